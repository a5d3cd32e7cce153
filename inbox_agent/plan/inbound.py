"""What one incoming message does: ``decide(reading, context, rules) -> Decision``. Pure.

The poller reads a ``Context`` (``plan.context``) from the store, calls ``decide`` and applies the
``Decision`` in the batch's transaction (``Store.apply``); nothing here touches the store. In order:

1. **Kind and thread**: a person's mail is threaded to its record (``records.threads``) and
   becomes an ``inquiry``, a ``prospect_reply`` or an ``agent_reply`` (``records.conversation``).
2. **Records**: an inquiry creates a record (numbered ``context.next_id``) or joins the person's
   open one; a reply is written into its record; staff's mail — an answer to the prospect
   (information sent), a Reply on our notification, ``#commands`` — is ``plan.staff``'s. Each
   of these is an ``Outcome`` (``plan.outcome``): the record part of the decision.
3. **Mail** (``sending.actions``): the acknowledgment, when the guards allow (``plan.guards``);
   for a new record, an agent chosen (``records.assignment``) and notified; the agent told of a
   prospect's reply; staff's commands confirmed back to them; the agent and the supervisors told
   once an hour when a cap on automatic mail held an acknowledgment back.
4. **Bounces**: an address that hard-bounced mail we sent gets no more automatic mail — only
   when the bounce names mail of ours (our Message-ID in its returned headers, our loop header),
   never on a stranger's ``X-Failed-Recipients`` alone.
5. **Stops** (``plan.optout``): a person's request to stop (their words, or our unsubscribe
   link) closes the record, suppresses the address and tells the agent once — nothing else is
   mailed; a new inquiry from someone who had opted out, from their own address, lifts it.

The safety rules on top (docs/SECURITY.md): the same message seen through another address or
folder is processed once; a spam filter's verdict (``context.spam``) makes it spam; a message
that answers our own automatic mail within seconds is a robot's, and one from an address we
never wrote to is never acknowledged (the loops of per-ticket autoresponders); staff-looking
mail that is not verified like a command (``records.trust``) moves no status and no SLA time:
it is kept as *unverified* (timeline and processed log) for the supervisor.

Vocabulary: ``InboundRules`` is what the decisions need from the settings; a ``Decision`` is
everything the message does — the records to write, the outbox actions, the suppressions, the
state to keep (who was assigned last), the message's entry in the processed log, and the log lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from inbox_agent.mail.classify import Kind
from inbox_agent.mail.domains import PUBLIC_MAIL_DOMAINS
from inbox_agent.mail.message import Message
from inbox_agent.mail.reading import ACKNOWLEDGE, Reading, ReadingRules
from inbox_agent.mail.replies import summary as text_summary
from inbox_agent.mail.spam import spam_checked
from inbox_agent.plan import optout, safety
from inbox_agent.plan.context import Context, content_key
from inbox_agent.plan.guards import AckPolicy, CapScope, Recent, plan_acknowledgment
from inbox_agent.plan.outcome import Outcome
from inbox_agent.plan.staff import staff_mail
from inbox_agent.records import conversation
from inbox_agent.records.assignment import Agent, AssignmentRule, choose_agent
from inbox_agent.records.prospect import (
    LoggedMessage,
    Prospect,
    QuarantineEntry,
    Suppression,
)
from inbox_agent.records.threads import Author, Lookups, Thread, find_thread
from inbox_agent.records.trust import TrustPolicy
from inbox_agent.sending.actions import Action, Confirm, Notify, NotifyReason

WORDS_CAP = 4000  # characters of a person's words quoted to an agent
LAST_ASSIGNED = "last_assigned"  # the state key of the round-robin
ROBOT_ANSWER = timedelta(seconds=20)  # an answer to our automatic mail this fast is a robot's


@dataclass(frozen=True)
class InboundRules:
    """The part of the settings the decisions about incoming mail use."""

    reading: ReadingRules
    agents: tuple[Agent, ...] = ()  # the agents, in config order (assignment, #assign)
    assignment: tuple[AssignmentRule, ...] = ()
    trust: TrustPolicy = field(default_factory=TrustPolicy)
    keep_bodies: bool = False
    ack: AckPolicy = field(default_factory=AckPolicy)
    supervisors: tuple[str, ...] = ()  # told when a cap trips ([commands] owners, [digest] to)
    robot_answer: timedelta = ROBOT_ANSWER

    @property
    def staff(self) -> frozenset[str]:
        return self.reading.staff

    @property
    def own(self) -> frozenset[str]:
        return self.reading.own_addresses


@dataclass(frozen=True)
class Decision:
    """Everything one message does, for ``Store.apply``; ``created`` says the record is new."""

    kind: Kind
    logged: LoggedMessage | None  # None: this very message was processed before
    records: tuple[Prospect, ...] = ()
    created: bool = False
    outbox: tuple[Action, ...] = ()
    suppress: tuple[Suppression, ...] = ()
    state: tuple[tuple[str, str], ...] = ()
    log: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    quarantine: QuarantineEntry | None = None  # for a person to handle (``inbox-agent quarantine``)
    lift: tuple[str, ...] = ()  # addresses whose opt-out ends: they wrote in again themselves

    @property
    def record(self) -> Prospect | None:
        return self.records[-1] if self.records else None


def is_human_from_us(msg: Message, rules: ReadingRules) -> bool:
    """From the shared address without our robot's marks: a person using the shared account."""
    ours = msg.from_ is not None and msg.from_.email in rules.own_addresses
    robot = rules.policy.loop_header.lower() in msg.headers or msg.message_id.startswith(
        rules.policy.own_message_id_prefix
    )
    return ours and not robot


def own_words(reading: Reading) -> str:
    """What the person wrote: a form's message field (not the robot's notification around it),
    else the text above any quoted history."""
    contact = reading.contact
    if reading.source.robot and contact is not None:
        return (contact.fields.get("message") or contact.question)[:WORDS_CAP]
    return reading.fresh[:WORDS_CAP]


def decide(reading: Reading, context: Context, rules: InboundRules) -> Decision:
    """Everything ``reading`` does to the records and the outbox, given ``context``."""
    msg = reading.message
    where = f"{context.folder} uid {context.uid} {msg.message_id}"
    if context.seen:
        return Decision(reading.kind, None, log=(f"{where}: already processed",))
    if context.same_content and not context.in_sent_folder:
        why = "already processed (the same message through another address or folder)"
        return Decision(reading.kind, None, log=(f"{where}: {why}",))
    outcome = _outcome(reading, context, rules)
    if outcome.kind == Kind.INQUIRY and context.spam is not None and context.spam.spam:
        # a filter's "spam" never silences a known prospect's reply or an agent's answer
        reading = spam_checked(reading, context.spam)
        outcome = _outcome(reading, context, rules)
    record = outcome.record
    reason = outcome.refused or outcome.unverified or outcome.note or reading.verdict.reason
    log = [
        f"{where}: {outcome.kind} ({reason}); source {reading.source.name}; "
        + (f"record {record.id}" if record else "no record")
        + (f"; commands refused: {outcome.refused}" if outcome.refused else "")
    ]
    noted = outcome.kind == Kind.SPAM or bool(outcome.unverified)
    logged = LoggedMessage(
        key=msg.dedupe_key, message_id=msg.message_id, folder=context.folder, uid=context.uid,
        kind=outcome.kind, reason=reason, at=context.now,
        prospect_id=record.id if record else None, content_key=content_key(msg),
        sender=reading.sender, subject=msg.subject[:200] if noted else "",
        unverified=bool(outcome.unverified),
    )  # fmt: skip
    suppress, warnings, lines = safety.bounced(reading, context, rules)
    suppress = (*suppress, *outcome.suppress)
    log.extend(lines)
    records = (record,) if record is not None and outcome.changed else ()
    if outcome.stop is not None:  # no acknowledgment, no notification: the agent is told once
        log.append(f"{outcome.stop.email}: asked us to stop writing ({outcome.stop.how})")
        return Decision(outcome.kind, logged, records, outcome.created, outcome.mail, suppress,
                        log=tuple(log), warnings=warnings)  # fmt: skip
    for_a_person = None
    if outcome.unanswerable:  # never nothing: a person must answer it by hand
        sender = " ".join(msg.header("from").split())[:120] or "none"
        why = f"an inquiry with no address to answer (From: {sender}): answer it by hand"
        for_a_person = QuarantineEntry(context.folder, context.uidvalidity, context.uid, why,
                                       context.now, msg.message_id, msg.subject[:200])  # fmt: skip
        warnings = (*warnings, f"{where}: {why}")
    if record is None or context.in_sent_folder:  # what we sent ourselves needs no answer
        return Decision(outcome.kind, logged, records, outcome.created, suppress=suppress,
                        log=tuple(log), warnings=warnings, quarantine=for_a_person)  # fmt: skip
    mail: list[Action] = []
    state: list[tuple[str, str]] = []
    held: CapScope | None = None
    lift = optout.lifted(record, reading, context) if outcome.created else None
    if lift is not None:  # they asked us to stop before, and now wrote in again themselves
        record, records = lift, (lift,)
        log.append(f"record {record.id}: {record.email} wrote in again: their opt-out is lifted")
    if outcome.kind in (Kind.INQUIRY, Kind.PROSPECT_REPLY):  # first: it is the urgent one
        domain = record.email.rpartition("@")[2]
        plan = plan_acknowledgment(
            record, wanted=reading.action == ACKNOWLEDGE and not outcome.no_ack,
            refusal=outcome.no_ack or reading.action_reason, arrived=context.arrived,
            now=context.now, policy=rules.ack,
            suppressed=record.email in context.suppressed and lift is None,
            recent=Recent(context.mail_times.get(record.email, ()),
                          context.domain_times.get(domain, ()), context.mailbox_times),
            count_domain=not reading.source.known_sender and domain not in PUBLIC_MAIL_DOMAINS,
        )  # fmt: skip
        if plan.action is None:
            log.append(f"record {record.id} {msg.message_id}: no acknowledgment: {plan.why}")
            held = plan.cap if plan.cap != CapScope.RECIPIENT else None
        else:
            mail.append(plan.action)
    if (outcome.applied or outcome.errors) and reading.sender in rules.staff:
        mail.append(Confirm(record.id, reading.sender, msg.message_id, outcome.applied,
                            outcome.errors))  # fmt: skip
    if outcome.kind == Kind.INQUIRY and outcome.created:
        record = safety.flagged(record, reading)
        agent, why = choose_agent(
            source=record.source, interest=record.interest, agents=rules.agents,
            rules=rules.assignment, last_assigned=context.last_assigned,
        )  # fmt: skip
        log.append(f"record {record.id}: assigned to {agent or 'nobody'} ({why})")
        records = (record,)
        if agent is not None:
            record = conversation.assigned(record, agent, why, context.now)
            records = (record,)
            state.append((LAST_ASSIGNED, agent))
            words = own_words(reading) if rules.keep_bodies else record.question
            mail.append(Notify(record.id, agent, NotifyReason.NEW_PROSPECT, words))
    mail.extend(outcome.mail)
    if outcome.kind == Kind.PROSPECT_REPLY and record.assigned_to:
        words = reading.fresh[:WORDS_CAP] if rules.keep_bodies else text_summary(reading.fresh)
        mail.append(Notify(record.id, record.assigned_to, NotifyReason.REPLIED, words,
                           msg.message_id))  # fmt: skip
    if held is not None:
        mail.extend(safety.cap_notices(record, held, rules, context.now))
        log.append(f"record {record.id}: the {held} cap is full: agent and supervisors told")
    return Decision(
        outcome.kind, logged, records, outcome.created, tuple(mail), suppress, tuple(state),
        tuple(log), warnings, lift=(record.email,) if lift is not None else (),
    )  # fmt: skip


def _outcome(reading: Reading, context: Context, rules: InboundRules) -> Outcome:
    msg = reading.message
    human_from_us = reading.kind == Kind.OWN and is_human_from_us(msg, rules.reading)
    thread = Thread(None, "none", Author.ELSE)
    if reading.kind in (Kind.INQUIRY, Kind.OWN, Kind.AUTO_REPLY):
        lookups = Lookups(context.by_message_id.get, context.by_id.get, context.open_by_email.get)
        thread = find_thread(
            msg, lookups, agents=rules.staff, own=rules.own, sent_as_us=human_from_us
        )
    kind = conversation.kind_of(reading.kind, thread, human_from_us=human_from_us)
    answered = (
        safety.answers_our_mail(reading, context, rules) if reading.kind == Kind.INQUIRY else None
    )
    if answered is not None and answered[0] == "auto" and kind != Kind.AGENT_REPLY:
        kind = Kind.AUTO_REPLY
    event = conversation.event_for(
        reading, kind=kind, at=context.arrived, folder=context.folder, uid=context.uid,
        keep_body=rules.keep_bodies,
    )  # fmt: skip
    record = thread.record
    stop = optout.request(reading, kind, record, context)
    if stop is not None:
        agent = (stop.record.assigned_to if stop.record else None) or next(
            iter(rules.supervisors), ""
        )
        closed, suppression, told = optout.stopped(
            stop, replace(event, kind=optout.EVENT), context, agent or ""
        )
        return Outcome(kind, closed, changed=closed is not None, mail=told, stop=stop,
                        suppress=(suppression,), note=f"asked us to stop ({stop.how})")  # fmt: skip
    # '#' lines from anyone but staff are text, not commands: "#lost my old supplier…" is a lead
    if kind == Kind.PROSPECT_REPLY and record is not None:
        accepted = conversation.accepted_meeting(msg)
        updated = conversation.prospect_replied(record, event, context.arrived, accepted=accepted)
        return Outcome(kind, updated, changed=True)
    if kind == Kind.AGENT_REPLY:
        return staff_mail(reading, record, event, context, rules)
    note = answered[1] if answered else ""
    if kind == Kind.AUTO_REPLY and record is not None and thread.author == Author.PROSPECT:
        return Outcome(kind, conversation.noted(record, event), changed=True, note=note)
    contact = reading.contact
    if kind != Kind.INQUIRY:
        return Outcome(kind, note=note)
    if contact is None or not contact.email:
        return Outcome(kind, note=note, unanswerable=True)
    no_ack = answered[1] if answered and answered[0] == "no_ack" else ""
    open_record = context.open_by_email.get(contact.email)
    previous = None if open_record else context.latest_by_email.get(contact.email)
    made = conversation.inquiry(
        reading, open_record=open_record, previous=previous, event=event,
        now=context.arrived, new_id=context.next_id,
    )  # fmt: skip
    if made is None:
        return Outcome(kind, note=note)
    return Outcome(kind, made, created=open_record is None, changed=True, note=note, no_ack=no_ack)
