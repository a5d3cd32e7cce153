"""One full cycle, the thing ``poll`` runs once and the daemon runs on every wake-up:
read the inbox and the Sent folder (``poller``), queue the timed work that is due
(``queue_due``: each timed work is asked — ``timed.FollowUps``, ``timed.Digests``), then send
what is due (``dispatch``).

This is the only module that wires the others together: it takes the rules the pure layers
need (``rules``: built from the settings) and hands the seams (IMAP, SMTP, store) to the poller,
the timed planners and the dispatcher. The CLI and the daemon are thin shells around ``Runner``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from inbox_agent.config import Settings, secret
from inbox_agent.dispatch import DispatchReport, dispatch
from inbox_agent.exceptions import MailboxConnectionError, MailboxError, StoreError
from inbox_agent.imap import ImapMailbox, MailboxSession
from inbox_agent.poller import Folder, PollReport, poll_folder
from inbox_agent.rules import (
    digest_schedule,
    followup_rules,
    inbound_rules,
    renderer,
    spam_checker,
)
from inbox_agent.smtp import Courier, SmtpCourier
from inbox_agent.store import Store
from inbox_agent.timed import Digests, FollowUps, TimedWork
from inbox_agent.workers import ReaderPool

log = logging.getLogger(__name__)
SENT = b"\\Sent"


def utcnow() -> datetime:
    return datetime.now(UTC)


def connect(settings: Settings) -> ImapMailbox:
    return ImapMailbox(settings.mailbox, secret(settings.mailbox.password_env))


PLANNER_PAUSE = timedelta(minutes=15)


@dataclass
class CycleReport:
    poll: PollReport
    dispatch: DispatchReport
    sent_folder: PollReport | None = None
    queued: list[str] = field(default_factory=list)  # timed work queued this cycle


class Runner:
    """Everything one cycle needs, built once from the settings."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        courier: Courier | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.courier = courier or SmtpCourier(settings.smtp)
        self.now = now
        self.rules = inbound_rules(settings)
        self.reader = ReaderPool(self.rules.reading)
        self.renderer = renderer(settings)
        self.spam_check = spam_checker(settings)
        self.followups = FollowUps(store, followup_rules(settings))
        self.digests = Digests(store, settings, digest_schedule(settings))
        self.planners: list[TimedWork] = [self.followups, self.digests]
        self.planner_paused: dict[str, datetime] = {}  # timed work that broke, until when

    def queue_due(self) -> list[str]:
        """Ask each timed work to queue what is due now; the keys queued. One that breaks
        fails alone (the mail of this cycle still goes) and is asked again 15 min later."""
        now = self.now()
        queued: list[str] = []
        for work in self.planners:
            if now < self.planner_paused.get(work.name, now):
                continue
            try:
                queued += work.due(now)
            except StoreError:
                raise  # the disk, not the planner: stop and say so
            except Exception:
                log.exception("timed work %s failed; asked again in %s", work.name, PLANNER_PAUSE)
                self.planner_paused[work.name] = now + PLANNER_PAUSE
        for key in queued:
            log.info("%s: queued", key)
        return queued

    def send_digest(self, day: date) -> list[str]:
        """``digest --send``: queue the digest of ``day`` for whoever has not had it, send what
        is due, say what happened. Copies are filed in the Sent folder by the next cycle."""
        unsent = self.digests.queue_day(day, self.now())
        self.send_due(None)
        return self.digests.states(day, unsent)

    def close(self) -> None:
        """Stop the reader's worker processes, if any were started."""
        self.reader.close()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll(
        self,
        mailbox: MailboxSession | None,
        on_batch: Callable[[int], None] | None = None,
        folder: Folder | None = None,
    ) -> PollReport:
        if mailbox is None:
            with connect(self.settings) as session:
                return self.poll(session, on_batch, folder)
        return poll_folder(
            mailbox, self.store, self.rules, folder or Folder(self.settings.mailbox.inbox),
            now=self.now, reader=self.reader, batch_size=int(self.settings.mailbox.batch_size),
            on_batch=on_batch, spam_check=self.spam_check,
        )  # fmt: skip

    def poll_sent(self, mailbox: MailboxSession) -> PollReport | None:
        """Agents who answer *as* the shared address leave their mail only in its Sent folder:
        read it too, with its own checkpoint (our own copies there are recognised and skipped).
        Mail there was sent by someone holding the shared account, so it is trusted staff mail."""
        name = mailbox.special_folder(SENT, self.settings.mailbox.sent)
        try:
            return self.poll(mailbox, folder=Folder(name, sent=True))
        except MailboxError as exc:
            if isinstance(exc, MailboxConnectionError):
                raise
            log.warning("Sent folder %r not read: %s", name, exc)
            return None

    def send_due(self, mailbox: MailboxSession | None) -> DispatchReport:
        file_copy = None
        if mailbox is not None:
            sent = mailbox.special_folder(SENT, self.settings.mailbox.sent)
            file_copy = lambda raw: mailbox.append(sent, raw)  # noqa: E731
        return dispatch(
            self.store, self.courier, self.renderer.render, self.settings.mailbox.address,
            now=self.now, file_copy=file_copy, supervisors=self.settings.supervisors,
        )  # fmt: skip

    def behind(self, mailbox: MailboxSession) -> bool:
        """Whether the inbox holds mail the last cycle did not process (it came meanwhile).
        Leaves the inbox selected, ready for IDLE."""
        name = self.settings.mailbox.inbox
        state = mailbox.select(name)
        checkpoint = self.store.checkpoint(name)
        if checkpoint is None or checkpoint.uidvalidity != state.uidvalidity:
            return True
        return bool(mailbox.uids_after(checkpoint.last_uid))

    def cycle(self, mailbox: MailboxSession | None = None) -> CycleReport:
        if mailbox is None:
            with connect(self.settings) as session:
                return self.cycle(session)
        inbox = self.poll(mailbox)
        sent = self.poll_sent(mailbox)
        queued = self.queue_due()
        return CycleReport(inbox, self.send_due(mailbox), sent, queued)
