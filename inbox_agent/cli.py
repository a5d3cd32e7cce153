"""The ``inbox-agent`` command: a thin shell over ``runner``, ``mail.reading`` and ``views``.

``main()`` is the one place that turns errors into messages and exit codes: 0 success, 2 usage
or configuration error, 1 anything else (one clear line on stderr, details in the log).
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import click

from inbox_agent import __version__
from inbox_agent.config import Settings, config_path, load_settings
from inbox_agent.exceptions import ConfigError, InboxAgentError, ParseError, UsageError
from inbox_agent.mail.classify import Kind
from inbox_agent.mail.reading import ReadingRules, read_message
from inbox_agent.mail.spam import spam_checked
from inbox_agent.records.prospect import Prospect
from inbox_agent.spamd import SpamCheck
from inbox_agent.store import Store, history
from inbox_agent.views import (
    due_row,
    due_table,
    forgotten_text,
    prospects_csv,
    prospects_json,
    prospects_table,
    quarantine_row,
    quarantine_table,
    reading_row,
    record_text,
    spam_table,
    undeliverable_table,
)

log = logging.getLogger("inbox_agent")


def starter_dir() -> Path:
    """The shipped starter ``rules.toml`` and ``templates/``."""
    return Path(str(resources.files("inbox_agent") / "starter"))


class Context:
    def __init__(self, config: str | None, verbose: int) -> None:
        self.config = config
        self.verbose = verbose

    def settings(self) -> Settings:
        return load_settings(config_path(self.config))

    def rules(self) -> ReadingRules:
        """Rules from the config; the shipped rules when no config is given or found."""
        from inbox_agent.rules import reading_rules

        return reading_rules(self._replay_settings())

    def _replay_settings(self) -> Settings:
        path = config_path(self.config)
        if self.config is None and not path.exists():
            path = starter_dir() / "rules.toml"
        return load_settings(path)

    def spam_check(self) -> SpamCheck | None:
        """``[classify] spamd`` of the config ``replay`` reads, when set."""
        from inbox_agent.rules import spam_checker

        return spam_checker(self._replay_settings())


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


@cli.command()
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


@cli.command()
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


@cli.command()
@click.pass_obj
def check(obj: Context) -> None:
    """Check config, templates, IMAP and SMTP logins and folders; sends nothing."""
    from inbox_agent.health import run_checks

    problems = run_checks(obj.settings(), click.echo)
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        sys.exit(1)


@cli.command()
@click.argument("template", default="acknowledgment")
@click.argument("record")
@click.pass_obj
def preview(obj: Context, template: str, record: str) -> None:
    """Render a template against a stored record (ID or email), without sending."""
    from datetime import datetime

    from inbox_agent.rules import renderer
    from inbox_agent.sending.actions import Acknowledge

    settings = obj.settings()
    with Store.open(settings.store.path, read_only=True) as store:
        prospect = _find(store, record)
        if template != "acknowledgment":
            raise UsageError(f"unknown template {template!r}; known: acknowledgment")
        action = Acknowledge(prospect.id, prospect.email)
        letter = renderer(settings).render(action, prospect, datetime.now(UTC))
    click.echo(letter.raw.decode("utf-8", errors="replace"))


def _find(store: Store, record: str) -> Prospect:
    prospect = (
        store.prospect(int(record)) if record.isdigit() else store.latest_prospect_for(record)
    )
    if prospect is None:
        raise UsageError(f"no record {record!r}")
    return prospect


def _eml_files(paths: tuple[str, ...]) -> Iterator[Path]:
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path
        else:
            raise UsageError(f"{name}: no such file or folder")


@cli.command()
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


@cli.command()
@click.option("--json", "fmt", flag_value="json", help="A JSON array.")
@click.option("--csv", "fmt", flag_value="csv", help="CSV with the same columns, flattened.")
@click.option("--status", multiple=True, help="Only these statuses.")
@click.option("--source", multiple=True, help="Only these sources.")
@click.pass_obj
def prospects(
    obj: Context, fmt: str | None, status: tuple[str, ...], source: tuple[str, ...]
) -> None:
    """The prospect list."""
    settings = obj.settings()
    with Store.open(settings.store.path, read_only=True) as store:
        found = [
            p
            for p in store.prospects()
            if (not status or p.status in status) and (not source or p.source in source)
        ]
    if fmt == "json":
        click.echo(prospects_json(found))
    elif fmt == "csv":
        click.echo(prospects_csv(found), nl=False)
    else:
        click.echo(prospects_table(found))


@cli.command()
@click.argument("record")
@click.pass_obj
def show(obj: Context, record: str) -> None:
    """One record (ID or email) with its whole timeline."""
    settings = obj.settings()
    with Store.open(settings.store.path, read_only=True) as store:
        prospect = _find(store, record)
        history = store.prospects_for(prospect.email)
    click.echo(record_text(prospect, history))


@cli.command()
@click.pass_obj
def quarantine(obj: Context) -> None:
    """Messages that could not be processed, with the reason."""
    settings = obj.settings()
    with Store.open(settings.store.path, read_only=True) as store:
        entries = store.quarantined()
        failed = history.undeliverable(store)
    if not entries and not failed:
        click.echo("Nothing in quarantine.")
    if entries:
        click.echo("Incoming mail that could not be processed:")
        click.echo(quarantine_table(entries))
    if failed:
        click.echo(("\n" if entries else "") + "Outgoing mail that could not be delivered:")
        click.echo(undeliverable_table(failed))


@cli.command()
@click.option(
    "--at", "at", metavar="ISO", help="As of this time (default: now), e.g. 2026-12-03T09:00+02:00."
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@click.pass_obj
def due(obj: Context, at: str | None, as_json: bool) -> None:
    """What automatic mail and agent reminders will go out, to whom and when; does nothing."""
    from datetime import datetime

    from inbox_agent.plan.followups import schedule
    from inbox_agent.rules import followup_rules

    settings = obj.settings()
    rules = followup_rules(settings)
    try:
        when = datetime.fromisoformat(at) if at else datetime.now(UTC)
    except ValueError as exc:
        raise UsageError(f"--at: not an ISO time: {at!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=rules.calendar.zone)
    with Store.open(settings.store.path, read_only=True) as store:
        records = ((r, store.is_suppressed(r.email)) for r in store.prospects())
        rows = [due_row(s) for s in schedule(records, when, rules)]
    click.echo(json.dumps(rows, indent=2, ensure_ascii=False) if as_json else due_table(rows))


def _digest_day(text: str | None, settings: Settings, now: datetime) -> date:
    """``--date``: YYYY-MM-DD, ``today`` or ``yesterday`` (the default), local dates."""
    from zoneinfo import ZoneInfo

    today = now.astimezone(ZoneInfo(settings.business.timezone)).date()
    if text in (None, "yesterday"):
        return today - timedelta(days=1)
    if text == "today":
        return today
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise UsageError(f"--date: not a date YYYY-MM-DD (or today, yesterday): {text!r}") from None


@cli.command()
@click.option("--date", "when", metavar="YYYY-MM-DD",
              help="The day (default: yesterday; also: today, so far).")  # fmt: skip
@click.option("--send", is_flag=True, help="Mail it to [digest] to; never twice for one day.")
@click.option("--format", "fmt", type=click.Choice(["text", "html"]), default="text",
              show_default=True, help="What to print.")  # fmt: skip
@click.pass_obj
def digest(obj: Context, when: str | None, send: bool, fmt: str) -> None:
    """The owner's daily digest: print it (works beside run), or --send it."""
    from inbox_agent.reporting import digest_content
    from inbox_agent.runner import Runner, utcnow

    settings = obj.settings()
    now = utcnow()
    day = _digest_day(when, settings, now)
    if send:
        with Store.open(settings.store.path) as store, Runner(settings, store) as runner:
            for line in runner.send_digest(day):
                click.echo(line)
        return
    with Store.open(settings.store.path, read_only=True) as store:
        content = digest_content(store, settings, day, now)
    _echo_page(settings, "digest", content, html=fmt == "html")


@cli.command()
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to review.")
@click.option("--csv", "fmt", flag_value="csv", help="The figures as CSV, one per line.")
@click.option("--html", "fmt", flag_value="html", help="As an HTML page.")
@click.pass_obj
def report(obj: Context, month: str, fmt: str | None) -> None:
    """The monthly performance review, beside the month before (works beside run)."""
    from inbox_agent.report.periods import parse_month
    from inbox_agent.reporting import review_content, review_numbers
    from inbox_agent.runner import utcnow

    try:
        first = parse_month(month)
    except ValueError as exc:
        raise UsageError(f"--month: {exc}") from None
    settings, now = obj.settings(), utcnow()
    with Store.open(settings.store.path, read_only=True) as store:
        if fmt == "csv":
            click.echo(review_numbers(store, settings, first, now), nl=False)
            return
        content = review_content(store, settings, first, now)
    _echo_page(settings, "report", content, html=fmt == "html")


def _echo_page(settings: Settings, name: str, content: Mapping[str, object], *, html: bool) -> None:
    """Print a page (the digest, the review) as text, or as HTML."""
    from inbox_agent.rules import renderer

    text, page = renderer(settings).page(name, content)
    if html and page is None:
        raise UsageError(f"no {name}.html.j2 in the templates folder")
    click.echo(page if html and page is not None else text, nl=False)


@cli.group()
def store() -> None:
    """Look after the store: check it, or restore it from its backups."""


@store.command("check")
@click.pass_obj
def store_check(obj: Context) -> None:
    """What the store's files hold, and whether it reads; changes nothing (works beside run)."""
    from inbox_agent.store.repair import check

    found = check(obj.settings().store.path)
    for line in found.facts:
        click.echo(line)
    for problem in found.problems:
        click.echo(f"problem: {problem}", err=True)
    if found.problems:
        sys.exit(1)


@store.command("restore")
@click.option("--accept-loss", is_flag=True, help="Restore from the backup even where it does "
              "not reach today; mail still waiting is then marked not sent.")  # fmt: skip
@click.pass_obj
def store_restore(obj: Context, accept_loss: bool) -> None:
    """Rebuild a lost or damaged snapshot from the backups (stop the daemon first)."""
    from inbox_agent.store.repair import restore

    click.echo(restore(obj.settings().store.path, accept_loss=accept_loss))


@cli.command()
@click.pass_obj
def spam(obj: Context) -> None:
    """Mail taken for spam (never answered), for a person to look over: filters hit real leads."""
    settings = obj.settings()
    with Store.open(settings.store.path) as store:
        found = [m for m in store.messages() if m.kind == Kind.SPAM]
    click.echo(spam_table(found) if found else "No spam.")


@cli.command()
@click.argument("email")
@click.pass_obj
def forget(obj: Context, email: str) -> None:
    """Erase a person from the store (a suppression stays, as a hash); lists their mail left
    in the mailbox, which inbox-agent never deletes."""
    from inbox_agent.store.forget import forget as erase

    if "@" not in email:
        raise UsageError(f"{email!r} is not an e-mail address")
    settings = obj.settings()
    with Store.open(settings.store.path) as store:
        done = erase(store, email)
    click.echo(forgotten_text(done))


@cli.command()
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


@cli.command()
@click.pass_obj
def demo(obj: Context) -> None:
    """The whole product against an embedded mailbox loaded with sample mail; no setup."""
    from inbox_agent.demo import run_demo

    run_demo(click.echo)


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
