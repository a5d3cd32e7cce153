"""One full cycle, the thing ``poll`` runs once and the daemon runs on every wake-up:
fetch what is new, record it, queue what it deserves, send what is due, file copies in Sent.

This is the only module that wires the others together (settings, mailbox, ingest, planner,
letters, dispatch, courier, store); the CLI and the daemon are thin shells around ``Agent``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from inbox_agent.assignment import choose_agent
from inbox_agent.config import Settings, secret
from inbox_agent.courier import Courier, SmtpCourier
from inbox_agent.dispatch import DispatchReport, dispatch
from inbox_agent.exceptions import MailboxConnectionError, MailboxError
from inbox_agent.ingest import Outcome, PollReport, poll_folder
from inbox_agent.intake import Reading, Rules, failed_recipients
from inbox_agent.letters import (
    Identity,
    Letter,
    Templates,
    build,
    prospect_context,
    reply_link,
    reply_subject,
)
from inbox_agent.mailbox import ImapMailbox, MailboxSession
from inbox_agent.outbox import OutboxEntry
from inbox_agent.planner import AckPolicy, plan_acknowledgment
from inbox_agent.prospect import Event, Prospect
from inbox_agent.reader import Reader
from inbox_agent.store import Store
from inbox_agent.threads import marker_for

log = logging.getLogger(__name__)


def own_words(reading: Reading) -> str:
    """What the person wrote: a form's message field (not the robot's notification around it),
    else the text above any quoted history."""
    contact = reading.contact
    if reading.source.robot and contact is not None:
        return (contact.fields.get("message") or contact.question)[:4000]
    return reading.fresh[:4000]


def utcnow() -> datetime:
    return datetime.now(UTC)


def connect(settings: Settings) -> ImapMailbox:
    return ImapMailbox(settings.mailbox, secret(settings.mailbox.password_env))


@dataclass
class CycleReport:
    poll: PollReport
    dispatch: DispatchReport
    sent_folder: PollReport | None = None


class Renderer:
    """Turns an outbox entry into the finished letter, from the templates and the record."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.templates = Templates(settings.acknowledgment.templates)
        self.identity = Identity(
            address=settings.mailbox.address,
            display_name=settings.acknowledgment.display_name,
            loop_header=settings.classify.loop_header,
        )

    def render(self, entry: OutboxEntry, prospect: Prospect, now: datetime) -> Letter:
        if entry.kind == "notification":
            return self._notification(entry, prospect, now)
        if entry.kind == "confirmation":
            return self._confirmation(entry, prospect, now)
        return self._acknowledgment(entry, prospect, now)

    def _context(self, prospect: Prospect) -> dict[str, object]:
        return {
            "business": {"name": self.settings.business.name},
            "prospect": prospect_context(prospect),
            "agent": None,
            "next_step": self.settings.acknowledgment.next_step,
            "within_hours": self.settings.sla.acknowledge_hours,
            "reference": marker_for(prospect.id),
        }

    def _acknowledgment(self, entry: OutboxEntry, prospect: Prospect, now: datetime) -> Letter:
        text, html = self.templates.render(
            "acknowledgment", self._context(prospect), source=prospect.source,
            interest=prospect.interest,
        )  # fmt: skip
        inbound = [e.message_id for e in prospect.timeline if e.direction == "in"]
        return build(
            key=entry.key,
            kind=entry.kind,
            prospect=prospect,
            identity=self.identity,
            subject=reply_subject(
                prospect.subject or f"Your inquiry to {self.settings.business.name}"
            ),
            text=text,
            html=html,
            now=now,
            in_reply_to=inbound,
        )

    def _notification(self, entry: OutboxEntry, prospect: Prospect, now: datetime) -> Letter:
        """To the agent: internal, never to the prospect; replying to it reaches sales@."""
        name = f"{prospect.name} {prospect.surname}".strip() or prospect.email
        replied = entry.key.split(":")[1] == "reply"
        headline = f"{name} replied" if replied else f"New prospect: {name}"
        first_in = next((e.message_id for e in prospect.timeline if e.direction == "in"), "")
        words = entry.words or prospect.question
        context = {
            **self._context(prospect),
            "headline": headline,
            "words": words,
            "status": prospect.status,
            "reply_link": reply_link(
                prospect, self.identity.address, prospect.subject,
                entry.in_reply_to or first_in, words,
            ),
        }  # fmt: skip
        text, html = self.templates.render("notification", context)
        about = f"{prospect.interest}, {prospect.source}"
        return build(
            key=entry.key, kind=entry.kind, prospect=prospect, identity=self.identity,
            subject=f"[{marker_for(prospect.id)}] {headline} ({about})",
            text=text, html=html, now=now, auto_submitted="auto-generated",
            to=entry.recipient, to_name="",
        )  # fmt: skip

    def _confirmation(self, entry: OutboxEntry, prospect: Prospect, now: datetime) -> Letter:
        lines = entry.words.splitlines()
        context = {
            **self._context(prospect),
            "applied": [x for x in lines if not x.startswith("! ")],
            "errors": [x[2:] for x in lines if x.startswith("! ")],
            "prospect_status": prospect.status,
            "prospect_stage": prospect.stage,
        }
        text, _ = self.templates.render("confirmation", context)
        return build(
            key=entry.key, kind=entry.kind, prospect=prospect, identity=self.identity,
            subject=f"[{marker_for(prospect.id)}] Done: {prospect.name or prospect.email}",
            text=text, html=None, now=now, in_reply_to=[entry.in_reply_to],
            auto_submitted="auto-generated", to=entry.recipient, to_name="",
        )  # fmt: skip


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
        self, store: Store, reading: Reading, outcome: Outcome, arrived: datetime, now: datetime
    ) -> None:
        """Queue what this message deserves, in the same transaction as its record."""
        msg = reading.message
        if outcome.kind == "bounce":
            for address in failed_recipients(msg):
                if store.mail_times(address):  # it bounced mail we sent
                    store.suppress(address, f"bounce {msg.message_id}", now)
                    log.warning("%s: hard bounce: no more automatic mail there", msg.message_id)
        record = outcome.record
        if record is None:
            return
        if outcome.kind in ("inquiry", "prospect_reply"):  # first: it is the urgent one
            self._plan_acknowledgment(store, reading, record, arrived, now)
        tag = hashlib.sha256(msg.message_id.encode()).hexdigest()[:10]
        sender = msg.from_.email if msg.from_ else ""
        if (outcome.applied or outcome.errors) and sender in self.rules.agents:
            words = "\n".join([*outcome.applied, *(f"! {e}" for e in outcome.errors)])
            store.queue(
                OutboxEntry(f"{record.id}:confirm:{tag}", "confirmation", record.id, sender, now,
                            words=words, in_reply_to=msg.message_id)
            )  # fmt: skip
        if outcome.kind == "inquiry" and outcome.created:
            record = self._assign(store, record, now)
            if record.assigned_to:
                store.queue(
                    OutboxEntry(f"{record.id}:notify", "notification", record.id,
                                record.assigned_to, now, words=own_words(reading))
                )  # fmt: skip
        if outcome.kind == "prospect_reply" and record.assigned_to:
            store.queue(
                OutboxEntry(f"{record.id}:reply:{tag}", "notification", record.id,
                            record.assigned_to, now, words=reading.fresh[:4000],
                            in_reply_to=msg.message_id)
            )  # fmt: skip

    def _assign(self, store: Store, record: Prospect, now: datetime) -> Prospect:
        """Choose the agent (rules, else round-robin over agents not away) and record it."""
        agent, why = choose_agent(
            source=record.source,
            interest=record.interest,
            agents=self.settings.agents,
            rules=self.settings.assignment,
            last_assigned=store.state("last_assigned"),
        )
        log.info("record %s: assigned to %s (%s)", record.id, agent or "nobody", why)
        if agent is None:
            return record
        store.set_state("last_assigned", agent)
        event = Event(now, "internal", "assigned", summary=f"assigned to {agent} ({why})")
        return store.save_prospect(
            replace(record, assigned_to=agent, timeline=(*record.timeline, event))
        )

    def _plan_acknowledgment(
        self, store: Store, reading: Reading, record: Prospect, arrived: datetime, now: datetime
    ) -> None:
        msg = reading.message
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
        inbox = self.poll(mailbox)
        sent = self.poll_sent(mailbox)
        return CycleReport(inbox, self.send_due(mailbox), sent)

    def poll_sent(self, mailbox: MailboxSession) -> PollReport | None:
        """Agents who answer *as* the shared address leave their mail only in its Sent folder:
        read it too, with its own checkpoint (our own copies there are recognised and skipped)."""
        folder = mailbox.special_folder(b"\\Sent", self.settings.mailbox.sent)
        try:
            return poll_folder(
                mailbox, self.store, self.rules, folder, now=self.now,
                batch_size=int(self.settings.mailbox.batch_size), reader=self.reader,
            )  # fmt: skip
        except MailboxError as exc:
            if isinstance(exc, MailboxConnectionError):
                raise
            log.warning("Sent folder %r not read: %s", folder, exc)
            return None
