"""Carries out the outbox: render each due entry once, send it, record the outcome, file a copy.

Order matters for exactly-once: the entry exists (queued in the same transaction as the record
it answers) before anything is sent; its rendered bytes and Message-ID are saved before the first
attempt; only a confirmed send marks it sent. A crash after the server accepted but before the
mark means one resend of the *same* message (same Message-ID), which mail clients collapse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from inbox_agent.exceptions import (
    AmbiguousSendError,
    MailboxError,
    PermanentSendError,
    SmtpUnavailableError,
    TemplateError,
    TemporarySendError,
)
from inbox_agent.records.conversation import mail_sent
from inbox_agent.records.prospect import Prospect
from inbox_agent.sending import outbox
from inbox_agent.sending.actions import Action
from inbox_agent.sending.letters import Letter
from inbox_agent.sending.outbox import OutboxEntry
from inbox_agent.smtp import Courier
from inbox_agent.store import Store

log = logging.getLogger(__name__)

Render = Callable[[Action, Prospect, datetime], Letter]
File = Callable[[bytes], None]


@dataclass
class DispatchReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # template problems: need the owner
    unavailable: bool = False  # the SMTP server could not be reached


def on_sent(prospect: Prospect, entry: OutboxEntry, now: datetime) -> Prospect:
    """The record after its mail went out (``records.conversation.mail_sent``)."""
    return mail_sent(
        prospect, kind=entry.kind, message_id=entry.message_id, recipient=entry.recipient,
        cause=entry.action.cause, now=now,
    )  # fmt: skip


def dispatch(
    store: Store,
    courier: Courier,
    render: Render,
    sender: str,
    *,
    now: Callable[[], datetime],
    file_copy: File | None = None,
) -> DispatchReport:
    report = DispatchReport()
    for entry in store.outbox_open():
        if entry.status == outbox.SENT:
            _file(store, entry, file_copy)
            continue
        if not entry.due(now()):
            continue
        prospect = store.prospect(entry.prospect_id)
        if prospect is None:  # pragma: no cover - records are never deleted
            continue
        if not entry.raw:
            try:
                letter = render(entry.action, prospect, now())
            except TemplateError as exc:
                log.error("%s: not sent: %s", entry.key, exc)
                report.errors.append(f"{entry.key}: {exc}")
                with store.transaction():
                    store.save_entry(outbox.retry_later(entry, now(), str(exc)))
                continue
            entry = outbox.rendered(entry, letter.message_id, letter.raw)
            with store.transaction():
                store.save_entry(entry)
        entry = _send(store, courier, sender, entry, prospect, now(), report)
        if entry.status == outbox.SENT:
            _file(store, entry, file_copy)
        elif report.unavailable:
            break  # the server is down: the rest stay due and go next round
    return report


def _send(
    store: Store,
    courier: Courier,
    sender: str,
    entry: OutboxEntry,
    prospect: Prospect,
    now: datetime,
    report: DispatchReport,
) -> OutboxEntry:
    try:
        courier.send(sender, [entry.recipient], entry.raw)
    except (TemporarySendError, AmbiguousSendError) as exc:
        report.unavailable = isinstance(exc, SmtpUnavailableError)
        entry = outbox.retry_later(entry, now, str(exc))
        log.warning("%s %s: will retry at %s: %s", entry.key, entry.message_id,
                    entry.next_attempt_at, exc)  # fmt: skip
        report.retrying.append(entry.key)
        with store.transaction():
            store.save_entry(entry)
        return entry
    except PermanentSendError as exc:
        entry = outbox.failed(entry, now, str(exc))
        log.error("%s %s: refused for good: %s", entry.key, entry.message_id, exc)
        report.failed.append(entry.key)
        with store.transaction():
            store.save_entry(entry)
        return entry
    entry = outbox.sent(entry, now)
    log.info("%s %s: sent to prospect %s", entry.key, entry.message_id, entry.prospect_id)
    report.sent.append(entry.key)
    with store.transaction():
        store.save_entry(entry)
        store.save_prospect(on_sent(prospect, entry, now))
    return entry


def _file(store: Store, entry: OutboxEntry, file_copy: File | None) -> None:
    if file_copy is None:
        return
    try:
        file_copy(entry.raw)
    except MailboxError as exc:
        log.warning("%s: copy not filed in Sent yet: %s", entry.key, exc)
        return
    with store.transaction():
        store.save_entry(replace(entry, filed=True))
