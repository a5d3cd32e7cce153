"""The ``inbox-agent`` command: a thin shell over ``runner``, ``mail.reading``, ``reporting`` and
``views``, its commands grouped by what they are for (``operating``, ``records``, ``reports``).

``main()`` is the one place that turns errors into messages and exit codes: 0 success, 2 usage
or configuration error, 1 anything else (one clear line on stderr, details in the log).
"""

from __future__ import annotations

import logging
import sys

import click

from inbox_agent import __version__
from inbox_agent.cli import operating, records, reports
from inbox_agent.cli.context import Context
from inbox_agent.exceptions import ConfigError, InboxAgentError

log = logging.getLogger("inbox_agent")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    metavar="PATH",
    help="rules.toml (default: $INBOX_AGENT_CONFIG or ./rules.toml)",
)
@click.option("--verbose", "-v", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="inbox-agent")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: int) -> None:
    """Turn a shared sales mailbox into prospect records, acknowledgments and follow-ups."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = Context(config, verbose)


for command in (*operating.COMMANDS, *records.COMMANDS, *reports.COMMANDS):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point; the one place errors become messages and exit codes."""
    try:
        cli.main(args=argv, prog_name="inbox-agent", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except ConfigError as exc:
        click.echo("Configuration error:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(exc.exit_code)
    except InboxAgentError as exc:
        click.echo(f"inbox-agent: {exc}", err=True)
        log.debug("details", exc_info=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        log.exception("unexpected error")
        click.echo(f"inbox-agent: unexpected error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    sys.exit(0)
