"""One full cycle, the thing ``poll`` runs once and the daemon runs on every wake-up:
read the inbox and the Sent folder (``poller``), queue the timed work that is due
(``queue_due``: each timed planner — the daily digest — is asked), then send what is due
(``dispatch``).

This is the only module that wires the others together: it turns the settings into the rules
the pure layers need (``reading_rules``, ``inbound_rules``, ``renderer``) and hands the seams
(IMAP, SMTP, store) to the poller and the dispatcher. The CLI and the daemon are thin shells
around ``Runner``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from inbox_agent.config import Settings, secret
from inbox_agent.dispatch import DispatchReport, dispatch
from inbox_agent.exceptions import MailboxConnectionError, MailboxError, StoreError, UsageError
from inbox_agent.imap import ImapMailbox, MailboxSession
from inbox_agent.mail.classify import ClassifyPolicy
from inbox_agent.mail.reading import ReadingRules
from inbox_agent.plan.digest import DigestSchedule, digests, due_day, is_over, worth_sending
from inbox_agent.plan.guards import AckPolicy
from inbox_agent.plan.inbound import InboundRules
from inbox_agent.poller import Folder, PollReport, poll_folder
from inbox_agent.records.trust import TrustPolicy
from inbox_agent.report import daily, monthly
from inbox_agent.report.facts import WHOLE, Facts, ReportRules
from inbox_agent.report.present import Data
from inbox_agent.report.timeline import READ_KINDS
from inbox_agent.sending.actions import Action, Digest, digest_key
from inbox_agent.sending.letters import MESSAGE_ID_PREFIX, Identity, Templates
from inbox_agent.sending.render import Business, Renderer
from inbox_agent.smtp import Courier, SmtpCourier
from inbox_agent.store import Store
from inbox_agent.workers import ReaderPool

log = logging.getLogger(__name__)
SENT = b"\\Sent"


def utcnow() -> datetime:
    return datetime.now(UTC)


def connect(settings: Settings) -> ImapMailbox:
    return ImapMailbox(settings.mailbox, secret(settings.mailbox.password_env))


def reading_rules(settings: Settings) -> ReadingRules:
    own = settings.mailbox.own_addresses
    policy = ClassifyPolicy(
        own_addresses=own,
        own_message_id_domains=frozenset({settings.message_id_domain}),
        own_message_id_prefix=MESSAGE_ID_PREFIX,
        loop_header=settings.classify.loop_header,
        spam_headers=settings.classify.spam_headers,
    )
    c = settings.classify
    return ReadingRules(
        policy, settings.sources, settings.interests, c.default_source, c.default_interest,
        c.default_region, own, settings.staff, settings.site_domains,
    )  # fmt: skip


def inbound_rules(settings: Settings) -> InboundRules:
    ack = settings.acknowledgment
    return InboundRules(
        reading=reading_rules(settings),
        agents=settings.agents,
        assignment=settings.assignment,
        trust=TrustPolicy(settings.commands.trust, frozenset(settings.commands.authserv_ids)),
        keep_bodies=settings.store.keep_bodies,
        ack=AckPolicy(
            max_age=timedelta(hours=ack.max_age_hours),
            cap=int(ack.per_recipient_cap),
            window=timedelta(hours=ack.cap_window_hours),
        ),
    )


def business(settings: Settings) -> Business:
    labels = settings.labels
    return Business(
        settings.business.name, settings.acknowledgment.next_step,
        settings.sla.acknowledge_hours, dict(labels.sources), dict(labels.interests),
    )  # fmt: skip


def shipped_templates() -> Path:
    """The templates that ship with the package (what ``inbox-agent init`` writes)."""
    return Path(str(resources.files("inbox_agent") / "starter" / "templates"))


def renderer(settings: Settings) -> Renderer:
    ack = settings.acknowledgment
    identity = Identity(settings.mailbox.address, ack.display_name, settings.classify.loop_header)
    shipped = Templates(shipped_templates())
    return Renderer(Templates(ack.templates), identity, business(settings), shipped)


def report_rules(settings: Settings) -> ReportRules:
    sla = settings.sla
    return ReportRules(
        business=business(settings),
        tz=ZoneInfo(settings.business.timezone),
        acknowledge_within=timedelta(hours=sla.acknowledge_hours),
        inform_within=timedelta(hours=sla.respond_hours),
        agents=tuple((a.email, a.name) for a in settings.agents),
    )


def report_facts(store: Store, since: datetime) -> Facts:
    """What the reports read from the store, for windows from ``since`` on."""
    return Facts(
        prospects=tuple(store.prospects_for_report(since, READ_KINDS, WHOLE)),
        messages=tuple(store.messages_since(since)),
        quarantined=tuple(store.quarantined()),
        undeliverable=tuple(store.undeliverable()),
        suppressions=tuple(store.suppressions()),
    )


def digest_schedule(settings: Settings) -> DigestSchedule:
    d = settings.digest
    return DigestSchedule(time.fromisoformat(d.at), ZoneInfo(settings.business.timezone), d.to)


@contextlib.contextmanager
def old_objects_left_alone() -> Iterator[None]:
    """While a report is made: the collector does not rescan what existed before (the store's
    millions of loaded objects, which form no cycles); new garbage is still collected. Without
    this, the full collections a report's allocations trigger cost as much as the report."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def digest_content(store: Store, settings: Settings, day: date, now: datetime) -> Data:
    """The figures of the digest of ``day``, made now from the store (``report.daily``)."""
    rules = report_rules(settings)
    with old_objects_left_alone():
        return daily.digest(report_facts(store, daily.reach(day, rules)), day, now, rules)


def review_content(store: Store, settings: Settings, month: date, now: datetime) -> Data:
    """The figures of the monthly review of ``month`` (``report.monthly``)."""
    rules = report_rules(settings)
    with old_objects_left_alone():
        return monthly.review(report_facts(store, monthly.reach(month, rules)), month, now, rules)


def review_numbers(store: Store, settings: Settings, month: date, now: datetime) -> str:
    """The monthly review's figures as CSV (``report --csv``)."""
    rules = report_rules(settings)
    with old_objects_left_alone():
        facts = report_facts(store, monthly.reach(month, rules))
        return monthly.review_csv(facts, month, now, rules)


def digest_of(store: Store, settings: Settings, day: date, now: datetime,
              recipients: Sequence[str]) -> list[Digest]:  # fmt: skip
    """The digest of ``day`` made now from the store, one action per recipient."""
    return digests(digest_content(store, settings, day, now), day, recipients)


TimedPlanner = Callable[[datetime], Sequence[Action]]  # what is due at this moment
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
        self.schedule = digest_schedule(settings)
        self.digest_checked: date | None = None  # the day whose digest needs nothing more
        self.planners: list[TimedPlanner] = [self.digest_due]
        self.planner_paused: dict[str, datetime] = {}  # a planner that broke, until when

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
            on_batch=on_batch,
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

    def queue_due(self) -> list[str]:
        """Ask each timed planner what is due now and queue it; the keys queued. A planner that
        breaks fails alone (the mail of this cycle still goes) and is asked again 15 min later."""
        now = self.now()
        queued: list[str] = []
        for planner in self.planners:
            name = getattr(planner, "__name__", repr(planner))
            if now < self.planner_paused.get(name, now):
                continue
            try:
                actions = planner(now)
            except StoreError:
                raise  # the disk, not the planner: stop and say so
            except Exception:
                log.exception("timed work %s failed; asked again in %s", name, PLANNER_PAUSE)
                self.planner_paused[name] = now + PLANNER_PAUSE
                continue
            if actions:
                with self.store.transaction():
                    queued += [a.key for a in actions if self.store.queue(a, now)]
        for key in queued:
            log.info("%s: queued", key)
        return queued

    def digest_due(self, now: datetime) -> list[Digest]:
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

    def cycle(self, mailbox: MailboxSession | None = None) -> CycleReport:
        if mailbox is None:
            with connect(self.settings) as session:
                return self.cycle(session)
        inbox = self.poll(mailbox)
        sent = self.poll_sent(mailbox)
        queued = self.queue_due()
        return CycleReport(inbox, self.send_due(mailbox), sent, queued)
