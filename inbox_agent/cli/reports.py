"""What is due and how the business is doing: ``due``, ``digest`` and ``report``; all work
beside ``run`` (``digest --send`` too, through the outbox's once-per-day key)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import click

from inbox_agent.cli.context import Context, echo_page
from inbox_agent.config import Settings
from inbox_agent.exceptions import UsageError
from inbox_agent.store import Store
from inbox_agent.views import due_row, due_table


@click.command()
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


@click.command()
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
    echo_page(settings, "digest", content, html=fmt == "html")


@click.command()
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
    echo_page(settings, "report", content, html=fmt == "html")


COMMANDS = (due, digest, report)
