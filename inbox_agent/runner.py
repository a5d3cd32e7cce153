"""One full cycle, the thing ``poll`` runs once and the daemon runs on every wake-up:
read the inbox and the Sent folder (``poller``), queue the timed work that is due
(``queue_due``: each timed planner is asked — the follow-ups, the daily digest), then send what
is due (``dispatch``).

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
from inbox_agent.exceptions import MailboxConnectionError, MailboxError, StoreError, UsageError
from inbox_agent.imap import ImapMailbox, MailboxSession
from inbox_agent.plan.digest import due_day, is_over, worth_sending
from inbox_agent.plan.followups import plan, upcoming
from inbox_agent.poller import Folder, PollReport, poll_folder
from inbox_agent.records.prospect import Prospect
from inbox_agent.reporting import digest_of as digest_of
from inbox_agent.rules import (
    digest_schedule,
    followup_rules,
    inbound_rules,
    renderer,
    spam_checker,
)
from inbox_agent.sending.actions import Digest, digest_key
from inbox_agent.smtp import Courier, SmtpCourier
from inbox_agent.store import Store
from inbox_agent.workers import ReaderPool

log = logging.getLogger(__name__)
SENT = b"\\Sent"


def utcnow() -> datetime:
    return datetime.now(UTC)


def connect(settings: Settings) -> ImapMailbox:
    return ImapMailbox(settings.mailbox, secret(settings.mailbox.password_env))


TimedPlanner = Callable[[datetime], list[str]]  # queue what is due at this moment; the keys
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
        self.followups = followup_rules(settings)
        self.reader = ReaderPool(self.rules.reading)
        self.renderer = renderer(settings)
        self.spam_check = spam_checker(settings)
        self.schedule = digest_schedule(settings)
        self.digest_checked: date | None = None  # the day whose digest needs nothing more
        self.planners: list[TimedPlanner] = [self.followups_due, self.digest_due]
        self.planner_paused: dict[str, datetime] = {}  # a planner that broke, until when
        store.follow(self._next_look)

    def _next_look(self, record: Prospect) -> datetime | None:
        blocked = self.store.is_suppressed(record.email)
        found = upcoming(record, self.followups, blocked=blocked)
        return found.at if found else None

    def queue_due(self) -> list[str]:
        """Ask each timed planner to queue what is due now; the keys queued. A planner that
        breaks fails alone (the mail of this cycle still goes) and is asked again 15 min later."""
        now = self.now()
        queued: list[str] = []
        for planner in self.planners:
            name = getattr(planner, "__name__", repr(planner))
            if now < self.planner_paused.get(name, now):
                continue
            try:
                queued += planner(now)
            except StoreError:
                raise  # the disk, not the planner: stop and say so
            except Exception:
                log.exception("timed work %s failed; asked again in %s", name, PLANNER_PAUSE)
                self.planner_paused[name] = now + PLANNER_PAUSE
        for key in queued:
            log.info("%s: queued", key)
        return queued

    def followups_due(self, now: datetime) -> list[str]:
        """The follow-ups due now (``plan.followups``), read from the store's due index: at
        most one step per record, queued with the record's note of any stale step skipped."""
        queued: list[str] = []
        with self.store.transaction():
            for record_id in self.store.due(now):
                record = self.store.prospect(record_id)
                if record is None:
                    continue
                blocked = self.store.is_suppressed(record.email)
                result = plan(record, now, self.followups, blocked=blocked)
                if result.record is not None:
                    self.store.save_prospect(result.record)
                queued += [a.key for a in result.actions if self.store.queue(a, now)]
                self.store.reschedule(record_id, result.next_at)  # sent ones move it on
                log.debug("record %s: %s", record_id, result.reason)
        return queued

    def digest_due(self, now: datetime) -> list[str]:
        """Queue the daily digest when it is due (``digests_due``); the keys queued."""
        actions = self.digests_due(now)
        if not actions:
            return []
        with self.store.transaction():
            return [a.key for a in actions if self.store.queue(a, now)]

    def digests_due(self, now: datetime) -> list[Digest]:
        """The daily digest, when its time has come and it was not queued yet (once per date,
        across restarts: the outbox has its key). Cheap when nothing is due."""
        schedule = self.schedule
        day = due_day(schedule, now)
        if day == self.digest_checked or not schedule.recipients:
            return []
        unsent = [r for r in schedule.recipients
                  if not self.store.has_entry(digest_key(day.isoformat(), r))]  # fmt: skip
        if not unsent or not worth_sending(day, schedule.tz, self.store.first_message_at()):
            self.digest_checked = day
            return []
        return digest_of(self.store, self.settings, day, now, unsent)

    def send_digest(self, day: date) -> list[str]:
        """``digest --send``: queue the digest of ``day`` for whoever has not had it (the same
        key as the daily send, so nobody gets it twice), send what is due, say what happened.
        Copies are filed in the Sent folder by the next cycle."""
        now, schedule = self.now(), self.schedule
        if not schedule.recipients:
            raise UsageError("nobody to send it to: [digest] to is empty in the config")
        if not is_over(day, schedule.tz, now):
            raise UsageError(f"{day} is not over yet: print it without --send")
        keys = {r: digest_key(day.isoformat(), r) for r in schedule.recipients}
        unsent = [r for r, key in keys.items() if not self.store.has_entry(key)]
        if unsent:
            actions = digest_of(self.store, self.settings, day, now, unsent)
            with self.store.transaction():
                for action in actions:
                    self.store.queue(action, now)
        self.send_due(None)
        lines = []
        for recipient, key in keys.items():
            entry = self.store.entry(key)
            state = "not queued" if entry is None else str(entry.status)
            if entry is not None and entry.sent_at is not None:
                state += f" {entry.sent_at.astimezone(schedule.tz):%Y-%m-%d %H:%M}"
            if entry is not None and entry.last_error:
                state += f" ({entry.last_error})"
            lines.append(f"digest of {day} to {recipient}: {state}"
                         + ("" if recipient in unsent else " before"))  # fmt: skip
        return lines

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
