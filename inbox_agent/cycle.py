"""One full cycle, the thing ``poll`` runs once and the daemon runs on every wake-up:
fetch what is new, record it, queue what it deserves, send what is due, file copies in Sent.

This is the only module that wires the others together (settings, mailbox, ingest, planner,
letters, dispatch, courier, store); the CLI and the daemon are thin shells around ``Agent``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from inbox_agent.config import Settings, secret
from inbox_agent.courier import Courier, SmtpCourier
from inbox_agent.dispatch import DispatchReport, dispatch
from inbox_agent.ingest import PollReport, poll_folder
from inbox_agent.intake import Reading, Rules, failed_recipients
from inbox_agent.letters import Identity, Letter, Templates, build, prospect_context, reply_subject
from inbox_agent.mailbox import ImapMailbox, MailboxSession
from inbox_agent.outbox import OutboxEntry
from inbox_agent.planner import AckPolicy, plan_acknowledgment
from inbox_agent.prospect import Prospect
from inbox_agent.reader import Reader
from inbox_agent.store import Store

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def connect(settings: Settings) -> ImapMailbox:
    return ImapMailbox(settings.mailbox, secret(settings.mailbox.password_env))


@dataclass
class CycleReport:
    poll: PollReport
    dispatch: DispatchReport


class Renderer:
    """Turns an outbox entry into the finished letter, from the templates and the record."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.templates = Templates(settings.acknowledgment.templates)
        self.identity = Identity(
            address=settings.mailbox.address,
            display_name=settings.acknowledgment.display_name,
            business_name=settings.business.name,
            loop_header=settings.classify.loop_header,
        )

    def render(self, entry: OutboxEntry, prospect: Prospect, now: datetime) -> Letter:
        context = {
            "business": {"name": self.settings.business.name},
            "prospect": prospect_context(prospect),
            "agent": None,
            "next_step": self.settings.acknowledgment.next_step,
            "within_hours": self.settings.sla.acknowledge_hours,
        }
        text, html = self.templates.render(
            "acknowledgment", context, source=prospect.source, interest=prospect.interest
        )
        inbound = [e.message_id for e in prospect.timeline if e.direction == "in"]
        return build(
            key=entry.key,
            kind=entry.kind,
            prospect=prospect,
            identity=self.identity,
            subject=reply_subject(prospect.subject),
            text=text,
            html=html,
            now=now,
            in_reply_to=inbound,
        )


class Agent:
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
        self.rules = Rules.from_settings(settings)
        self.reader = Reader(self.rules)
        self.renderer = Renderer(settings)
        ack = settings.acknowledgment
        self.policy = AckPolicy(
            max_age=timedelta(hours=ack.max_age_hours),
            cap=int(ack.per_recipient_cap),
            window=timedelta(hours=ack.cap_window_hours),
        )

    def close(self) -> None:
        """Stop the reader's worker processes, if any were started."""
        self.reader.close()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- planning, inside the ingest transaction -------------------------------------------
    def respond(
        self,
        store: Store,
        reading: Reading,
        record: Prospect | None,
        created: bool,
        arrived: datetime,
        now: datetime,
    ) -> None:
        msg = reading.message
        if reading.kind == "bounce":
            for address in failed_recipients(msg):
                if store.mail_times(address):  # it bounced mail we sent
                    store.suppress(address, f"bounce {msg.message_id}", now)
                    log.warning(
                        "%s: hard bounce: no more automatic mail to this address", msg.message_id
                    )
        if record is None:
            return
        action, why = plan_acknowledgment(
            record,
            wanted=reading.action == "acknowledge",
            refusal=reading.action_reason,
            arrived=arrived,
            now=now,
            mail_times=store.mail_times(record.email),
            suppressed=store.is_suppressed(record.email),
            policy=self.policy,
        )
        if action is None:
            log.info("record %s %s: no acknowledgment: %s", record.id, msg.message_id, why)
            return
        entry = OutboxEntry(action.key, "acknowledgment", record.id, action.recipient, now)
        if store.queue(entry):
            log.info("record %s %s: acknowledgment queued", record.id, msg.message_id)

    # -- the cycle ---------------------------------------------------------------------------
    def poll(
        self, mailbox: MailboxSession | None, on_batch: Callable[[int], None] | None = None
    ) -> PollReport:
        if mailbox is None:
            with connect(self.settings) as session:
                return self.poll(session, on_batch)
        return poll_folder(
            mailbox,
            self.store,
            self.rules,
            self.settings.mailbox.inbox,
            now=self.now,
            batch_size=int(self.settings.mailbox.batch_size),
            on_batch=on_batch,
            respond=self.respond,
            reader=self.reader,
        )

    def send_due(self, mailbox: MailboxSession | None) -> DispatchReport:
        file_copy = None
        if mailbox is not None:
            sent = mailbox.special_folder(b"\\Sent", self.settings.mailbox.sent)
            file_copy = lambda raw: mailbox.append(sent, raw)  # noqa: E731
        return dispatch(
            self.store,
            self.courier,
            self.renderer.render,
            self.settings.mailbox.address,
            now=self.now,
            file_copy=file_copy,
        )  # fmt: skip

    def cycle(self, mailbox: MailboxSession | None = None) -> CycleReport:
        if mailbox is None:
            with connect(self.settings) as session:
                return self.cycle(session)
        return CycleReport(self.poll(mailbox), self.send_due(mailbox))


def poll_once(
    settings: Settings,
    store: Store,
    *,
    mailbox: MailboxSession | None = None,
    now: Callable[[], datetime] = utcnow,
    on_batch: Callable[[int], None] | None = None,
) -> PollReport:
    """Fetch and process everything new in the inbox (no sending)."""
    with Agent(settings, store, now=now) as agent:
        return agent.poll(mailbox, on_batch)
