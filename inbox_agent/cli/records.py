"""Looking after the records: ``prospects``, ``show``, ``preview``, ``quarantine``, ``spam``,
``forget`` and ``store check`` / ``store restore``. Those that only read work beside ``run``."""

from __future__ import annotations

import sys
from datetime import UTC

import click

from inbox_agent.cli.context import Context, find_record
from inbox_agent.exceptions import UsageError
from inbox_agent.mail.classify import Kind
from inbox_agent.store import Store, history
from inbox_agent.views import (
    forgotten_text,
    prospects_csv,
    prospects_json,
    prospects_table,
    quarantine_table,
    record_text,
    spam_table,
    undeliverable_table,
)


@click.command()
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


@click.command()
@click.argument("record")
@click.pass_obj
def show(obj: Context, record: str) -> None:
    """One record (ID or email) with its whole timeline."""
    settings = obj.settings()
    with Store.open(settings.store.path, read_only=True) as store:
        prospect = find_record(store, record)
        history = store.prospects_for(prospect.email)
    click.echo(record_text(prospect, history))


@click.command()
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


@click.command()
@click.argument("template", default="acknowledgment")
@click.argument("record")
@click.pass_obj
def preview(obj: Context, template: str, record: str) -> None:
    """Render a mail (acknowledgment, courtesy_note, notification, …) for a stored record (ID
    or email), as it would go out now; sends nothing."""
    from datetime import datetime

    from inbox_agent.rules import followup_rules, renderer
    from inbox_agent.sending.trial import mails_for

    settings = obj.settings()
    rules, now = followup_rules(settings), datetime.now(UTC)
    names = {a.email: a.name for a in settings.agents}
    agent = next(iter(names), settings.mailbox.address)
    with Store.open(settings.store.path, read_only=True) as store:
        prospect = find_record(store, record)
        to = prospect.assigned_to or agent
        mails = mails_for(prospect, to, rules.mail_templates, now, names.get(to, ""))
        if template not in mails:
            raise UsageError(f"unknown mail {template!r}; known: {', '.join(sorted(mails))}")
        letter = renderer(settings).render(mails[template], prospect, now)
    click.echo(letter.raw.decode("utf-8", errors="replace"))


@click.group()
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


@click.command()
@click.pass_obj
def spam(obj: Context) -> None:
    """Mail taken for spam (never answered), for a person to look over: filters hit real leads."""
    settings = obj.settings()
    with Store.open(settings.store.path) as store:
        found = [m for m in store.messages() if m.kind == Kind.SPAM]
    click.echo(spam_table(found) if found else "No spam.")


@click.command()
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


COMMANDS = (prospects, show, quarantine, preview, spam, forget, store)
