"""Carries out the outbox: render each due entry once, send it, record the outcome, file a copy.

Order matters for exactly-once: the entry exists (queued in the same transaction as the record
it answers) before anything is sent; its rendered bytes and Message-ID are saved before the first
attempt; only a confirmed send marks it sent. A crash after the server accepted but before the
mark means one resend of the *same* message (same Message-ID), which mail clients collapse.

Poison never stops the outbox: an entry whose letter cannot be built (an address no mail system
can carry, a bug) or that the server refuses for good fails alone, with the reason; it is listed
by ``inbox-agent quarantine``, and the person's agent is told so that a human writes to them
(``plan.delivery``). Every other entry goes on. A broken template is the owner's to fix: those
entries wait and are retried, and the cycle reports them.

Automatic mail to a person is looked at once more just before it goes: if they asked us to stop
(or bounced our mail) since it was queued, it is withheld, never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from inbox_agent.exceptions import (
    AmbiguousSendError,
    LetterError,
    MailboxError,
    PermanentSendError,
    SmtpUnavailableError,
    StoreError,
    TemplateError,
    TemporarySendError,
)
from inbox_agent.plan.delivery import after_failure, after_sent
from inbox_agent.records.conversation import mail_sent
from inbox_agent.records.prospect import Prospect
from inbox_agent.records.status import Cause
from inbox_agent.sending import outbox
from inbox_agent.sending.actions import (
    TO_THE_PERSON,
    Action,
    CourtesyNote,
    FollowUp,
    RelayAnswer,
)
from inbox_agent.sending.letters import Letter, mail_address
from inbox_agent.sending.outbox import OutboxEntry
from inbox_agent.smtp import Courier
from inbox_agent.store import Store

log = logging.getLogger(__name__)

Render = Callable[[Action, Prospect | None, datetime], Letter]
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
    action = entry.action
    by, words = None, ""
    if isinstance(action, RelayAnswer):  # the timeline shows what the agent said, once sent
        by, words = action.agent, f"{action.agent_name}: {action.text}"
    follow_up = isinstance(action, CourtesyNote | FollowUp)
    final = isinstance(action, CourtesyNote | FollowUp) and action.final
    return mail_sent(
        prospect, kind=entry.kind, message_id=entry.message_id, recipient=entry.recipient,
        cause=action.cause, now=now, by=by, words=words, follow_up=follow_up,
        then=Cause.CAP_REACHED if final else None, template=getattr(action, "template", ""),
    )  # fmt: skip


@dataclass
class Dispatcher:
    """One pass over the open outbox entries."""

    store: Store
    courier: Courier
    render: Render
    sender: str  # the envelope sender: the shared address
    now: Callable[[], datetime]
    file_copy: File | None = None
    supervisors: Sequence[str] = ()  # told of undeliverable mail when no agent is assigned
    report: DispatchReport = field(default_factory=DispatchReport)

    def run(self) -> DispatchReport:
        """Every open entry once; entries queued meanwhile (a failure's notice to the agent)
        go in the same run."""
        done: set[str] = set()
        while todo := [e for e in self.store.outbox_open() if e.key not in done]:
            for entry in todo:
                done.add(entry.key)
                try:
                    self._one(entry)
                except SmtpUnavailableError:
                    return self.report  # the server is down: the rest go next round
                except StoreError:
                    raise  # the disk, not this entry: stop and say so
                except Exception as exc:  # a bug on one entry must not hold up the others
                    log.exception("%s: failed while sending", entry.key)
                    self._failed(entry, f"processing failed: {exc!r}")
        return self.report

    def _one(self, entry: OutboxEntry) -> None:
        if entry.status == outbox.SENT:
            self._file(entry)
            return
        if not entry.due(self.now()):
            return
        if entry.kind in TO_THE_PERSON and self.store.is_suppressed(entry.recipient):
            why = "not sent: the recipient asked us to stop, or bounced our mail, meanwhile"
            log.info("%s: %s", entry.key, why)
            self._save(outbox.withheld(entry, self.now(), why))
            return
        about = entry.prospect_id  # None: mail about no one record (the digest)
        prospect = self.store.prospect(about) if about is not None else None
        if about is not None and prospect is None:
            self._failed(entry, "its record no longer exists (erased)")
            return
        if not entry.raw:
            try:
                letter = self.render(entry.action, prospect, self.now())
            except TemplateError as exc:
                log.error("%s: not sent: %s", entry.key, exc)
                self.report.errors.append(f"{entry.key}: {exc}")
                self._save(outbox.retry_later(entry, self.now(), str(exc)))
                return
            except LetterError as exc:
                self._failed(entry, str(exc), prospect)
                return
            entry = outbox.rendered(entry, letter.message_id, letter.raw)
            self._save(entry)
        entry = self._send(entry, prospect)
        if entry.status == outbox.SENT:
            self._file(entry)

    def _send(self, entry: OutboxEntry, prospect: Prospect | None) -> OutboxEntry:
        now = self.now()
        try:
            recipient, utf8 = mail_address(entry.recipient)
            self.courier.send(self.sender, [recipient], entry.raw, smtputf8=utf8)
        except (TemporarySendError, AmbiguousSendError) as exc:
            entry = outbox.retry_later(entry, now, str(exc))
            log.warning("%s %s: will retry at %s: %s", entry.key, entry.message_id,
                        entry.next_attempt_at, exc)  # fmt: skip
            self.report.retrying.append(entry.key)
            self._save(entry)
            if isinstance(exc, SmtpUnavailableError):
                self.report.unavailable = True
                raise
            return entry
        except (PermanentSendError, LetterError) as exc:
            return self._failed(entry, str(exc), prospect)
        entry = outbox.sent(entry, now)
        log.info("%s %s: sent to prospect %s", entry.key, entry.message_id, entry.prospect_id)
        self.report.sent.append(entry.key)
        with self.store.transaction():
            self.store.save_entry(entry)
            if prospect is not None:
                self.store.save_prospect(on_sent(prospect, entry, now))
            for action in after_sent(entry):
                self.store.queue(action, now)
        return entry

    def _failed(
        self, entry: OutboxEntry, reason: str, prospect: Prospect | None = None
    ) -> OutboxEntry:
        """Refused for good: recorded, never retried, and a person told (once) to write by hand."""
        now = self.now()
        entry = outbox.failed(entry, now, reason)
        log.error("%s %s: not deliverable: %s", entry.key, entry.message_id, reason)
        self.report.failed.append(entry.key)
        with self.store.transaction():
            self.store.save_entry(entry)
            if prospect is not None:
                for action in after_failure(entry, prospect, self.supervisors):
                    self.store.queue(action, now)
        return entry

    def _save(self, entry: OutboxEntry) -> None:
        with self.store.transaction():
            self.store.save_entry(entry)

    def _file(self, entry: OutboxEntry) -> None:
        if self.file_copy is None:
            return
        try:
            self.file_copy(entry.raw)
        except MailboxError as exc:
            log.warning("%s: copy not filed in Sent yet: %s", entry.key, exc)
            return
        self._save(outbox.filed(entry))


def dispatch(
    store: Store,
    courier: Courier,
    render: Render,
    sender: str,
    *,
    now: Callable[[], datetime],
    file_copy: File | None = None,
    supervisors: Sequence[str] = (),
) -> DispatchReport:
    """Send what is due; see ``Dispatcher``."""
    return Dispatcher(store, courier, render, sender, now, file_copy, supervisors).run()
