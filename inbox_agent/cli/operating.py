"""Running inbox-agent: ``poll`` (one cycle), ``run`` (the daemon), ``check``, ``replay`` (a
dry run over .eml files), ``init`` and ``demo``."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from inbox_agent.cli.context import Context, starter_dir
from inbox_agent.exceptions import InboxAgentError, ParseError, UsageError
from inbox_agent.mail.classify import Kind
from inbox_agent.mail.reading import read_message
from inbox_agent.mail.spam import spam_checked
from inbox_agent.store import Store
from inbox_agent.views import quarantine_row, reading_row

log = logging.getLogger("inbox_agent")


@click.command()
@click.pass_obj
def poll(obj: Context) -> None:
    """One full cycle now: fetch what is new, process it, send what is due; then exit."""
    from inbox_agent.runner import Runner

    settings = obj.settings()
    with Store.open(settings.store.path) as store, Runner(settings, store) as runner:
        report = runner.cycle()
    polled, sent = report.poll, report.dispatch
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(polled.kinds.items())) or "nothing new"
    click.echo(
        f"{polled.folder}: {polled.fetched} fetched ({kinds}); {len(set(polled.created))} new "
        f"records, {polled.quarantined} quarantined; {len(sent.sent)} sent, "
        f"{len(sent.retrying)} to retry, {len(sent.failed)} refused"
    )
    if report.sent_folder is not None and report.sent_folder.fetched:
        click.echo(f"{report.sent_folder.folder}: {report.sent_folder.fetched} read")
    if sent.errors:
        raise InboxAgentError("not sent: " + "; ".join(sent.errors))


@click.command()
@click.pass_obj
def run(obj: Context) -> None:
    """The daemon: IMAP IDLE (polling where the server lacks it) and timed work, until SIGTERM."""
    from inbox_agent.daemon import Daemon
    from inbox_agent.runner import Runner

    settings = obj.settings()
    if obj.verbose == 0:
        logging.getLogger().setLevel(logging.INFO)
    with Store.open(settings.store.path) as store, Runner(settings, store) as runner:
        Daemon(settings, runner).run()


@click.command()
@click.pass_obj
def check(obj: Context) -> None:
    """Check config, templates, IMAP and SMTP logins and folders; sends nothing."""
    from inbox_agent.health import run_checks

    problems = run_checks(obj.settings(), click.echo)
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        sys.exit(1)


def _eml_files(paths: tuple[str, ...]) -> Iterator[Path]:
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path
        else:
            raise UsageError(f"{name}: no such file or folder")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.argument("paths", nargs=-1, required=True)
@click.pass_obj
def replay(obj: Context, as_json: bool, paths: tuple[str, ...]) -> None:
    """Dry run over .eml files or folders: no mailbox, no sending, no store change."""
    rules, check = obj.rules(), obj.spam_check()
    for path in _eml_files(paths):
        row: dict[str, Any]
        try:
            raw = path.read_bytes()
            reading = read_message(raw, rules)
            if check is not None and reading.kind == Kind.INQUIRY:
                reading = spam_checked(reading, check(raw))
            row = reading_row(str(path), reading)
        except ParseError as exc:
            row = quarantine_row(str(path), str(exc))
        except OSError as exc:
            row = quarantine_row(str(path), f"cannot read file: {exc.strerror}")
        except Exception as exc:  # a detector broke: report it like the poller would
            log.exception("%s: processing failed", path)
            row = quarantine_row(str(path), f"processing failed: {exc!r}")
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            who = row["email"] or "-"
            click.echo(f"{row['file']}: {row['kind']} {who} -> {row['action']} ({row['reason']})")


@click.command()
@click.argument("directory", default=".", required=False)
def init(directory: str) -> None:
    """Write a starter rules.toml and templates/ to edit."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    rules = target / "rules.toml"
    if rules.exists():
        raise UsageError(f"{rules} exists already; not overwriting it")
    shutil.copyfile(starter_dir() / "rules.toml", rules)
    templates = starter_dir() / "templates"
    if templates.is_dir():
        shutil.copytree(templates, target / "templates", dirs_exist_ok=True)
    click.echo(
        f"Wrote {rules} and {target / 'templates'}; edit them, then run `inbox-agent check`."
    )


@click.command()
@click.pass_obj
def demo(obj: Context) -> None:
    """The whole product against an embedded mailbox loaded with sample mail; no setup."""
    from inbox_agent.demo import run_demo

    run_demo(click.echo)


COMMANDS = (poll, run, check, replay, init, demo)
