"""What a message does to its record: pure functions over a record, what happened and ``now``.

Vocabulary (DOMAIN.md): an ``inquiry`` creates a record or joins the person's open one; a
``prospect_reply`` is the record's own person writing again (never a
new inquiry); an ``agent_reply`` is an agent answering — from their own address with the shared
mailbox in Cc/Bcc, or sending as the shared address (found in the Sent folder). The first human
answer sets ``first_response_at``; an agent's mail to the prospect is information sent
(``information_sent_at``, status ``email``). A prospect who answers after an agent did has
engaged: lead → prospect. An out-of-office reply from the prospect is kept in the timeline and
counts for nothing. Status and stage move only through ``status.apply``, and every move is
written into the timeline with its time and cause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from inbox_agent.mail.classify import ROBOT_KINDS, Kind
from inbox_agent.mail.message import Message
from inbox_agent.mail.reading import Reading
from inbox_agent.mail.replies import summary as text_summary
from inbox_agent.records import status
from inbox_agent.records.assignment import Agent
from inbox_agent.records.commands import Command
from inbox_agent.records.prospect import (
    Direction,
    Event,
    Moved,
    Prospect,
    Quote,
    Sale,
    Stage,
    Status,
)
from inbox_agent.records.status import COMMAND, Cause
from inbox_agent.records.threads import Author, Thread

SUMMARY_CHARS = 160


def kind_of(base: Kind, thread: Thread, *, human_from_us: bool) -> Kind:
    """The conversation kind of a message the detectors called ``base``."""
    if base in ROBOT_KINDS:
        return base
    if base == Kind.OWN and not human_from_us:
        return Kind.OWN  # our robot's own mail
    if thread.author == Author.AGENT:
        return Kind.AGENT_REPLY
    if thread.record is not None and thread.author == Author.PROSPECT:
        return Kind.PROSPECT_REPLY
    return Kind.INQUIRY


def _moved(record: Prospect, cause: str, now: datetime, value: str | None = None) -> Prospect:
    """Apply a status/stage cause and write each change into the timeline."""
    updated, changes = status.apply(record, cause, now, value=value)
    events = tuple(
        Event(c.at, Direction.INTERNAL, c.field, summary=f"{c.field} {c.old} → {c.new} ({c.cause})",
              moved=Moved(c.old, c.new, c.cause))
        for c in changes
    )  # fmt: skip
    return replace(updated, timeline=(*updated.timeline, *events)) if events else updated


def _with_event(record: Prospect, event: Event) -> Prospect:
    ids = record.message_ids
    if event.message_id and event.message_id not in ids:
        ids = (*ids, event.message_id)
    return replace(record, message_ids=ids, timeline=(*record.timeline, event))


def moved(record: Prospect, cause: str, now: datetime, value: str | None = None) -> Prospect:
    """``status.apply`` with every change written into the timeline."""
    return _moved(record, cause, now, value)


_ACCEPTED = re.compile(r"(?im)^METHOD:REPLY\b(?s:.*)^ATTENDEE[^\n]*PARTSTAT=ACCEPTED")


def accepted_meeting(msg: Message) -> bool:
    """An iCalendar answer (RFC 5546 REPLY) in which the sender accepted a call or meeting."""
    return bool(msg.calendar) and _ACCEPTED.search(msg.calendar.replace("\r\n ", "")) is not None


def prospect_replied(
    record: Prospect, event: Event, now: datetime, *, accepted: bool = False
) -> Prospect:
    """``accepted``: the reply accepts a call or meeting (engagement, even before an answer)."""
    updated = replace(_with_event(record, event), last_inbound_at=now)
    updated = _moved(updated, Cause.PROSPECT_REPLIED, now)
    return _moved(updated, Cause.MEETING_AGREED, now) if accepted else updated


def agent_replied(record: Prospect, event: Event, now: datetime, agent: str | None) -> Prospect:
    """``agent`` is None when someone answered as the shared address (we cannot tell who)."""
    updated = _with_event(record, event)
    updated = replace(
        updated,
        first_response_at=record.first_response_at or now,
        information_sent_at=record.information_sent_at or now,
        assigned_to=record.assigned_to or agent,
    )
    return _moved(updated, Cause.INFORMATION_SENT, now)


def noted(record: Prospect, event: Event) -> Prospect:
    """An out-of-office or other robot reply in the record's thread: kept, counts for nothing."""
    return _with_event(record, event)


def opted_out(record: Prospect, event: Event, now: datetime, how: str) -> Prospect:
    """They asked us to stop writing (``how``: their words, or the unsubscribe link): no
    automatic mail again, the record closed. Asking again only adds the message."""
    updated = _with_event(record, event)
    if record.opted_out_at is not None:
        return updated
    updated = replace(updated, last_inbound_at=now, opted_out_at=now,
                      lost_reason=record.lost_reason or f"opted out ({how})")  # fmt: skip
    return _moved(updated, Cause.OPTED_OUT, now)


def wrote_again(record: Prospect, opted_out: str, now: datetime) -> Prospect:
    """A person who had asked us to stop (``opted_out``: when) wrote in again themselves."""
    why = f"wrote in again after asking us to stop ({opted_out}): automatic mail allowed again"
    event = Event(now, Direction.INTERNAL, "opt_out_lifted", summary=why)
    return replace(record, timeline=(*record.timeline, event))


def assigned(record: Prospect, agent: str, why: str, now: datetime) -> Prospect:
    event = Event(now, Direction.INTERNAL, "assigned", summary=f"assigned to {agent} ({why})")
    return replace(record, assigned_to=agent, timeline=(*record.timeline, event))


def mail_sent(
    record: Prospect, *, kind: str, message_id: str, recipient: str, cause: Cause | None,
    now: datetime, by: str | None = None, words: str = "", follow_up: bool = False,
    then: Cause | None = None, template: str = "",
) -> Prospect:  # fmt: skip
    """The record after one of our mails went out: the letter in the timeline, and ``cause``
    applied (an acknowledgment: ``acknowledged_at`` set, new → call; an agent's answer passed
    on, ``by`` them: first response and information sent). ``words``: what it said, for the
    timeline, when it said something a person wrote."""
    to_prospect = recipient == record.email
    mid = message_id.strip("<>")
    said = text_summary(words) if words else f"{kind} sent"
    event = Event(
        now, Direction.OUT if to_prospect else Direction.INTERNAL, kind, mid,
        said + ("" if to_prospect else f" to {recipient}"), template=template,
    )  # fmt: skip
    updated = replace(record, message_ids=(*record.message_ids, mid),
                      timeline=(*record.timeline, event))  # fmt: skip
    if cause == Cause.ACKNOWLEDGED:
        updated = replace(updated, acknowledged_at=record.acknowledged_at or now)
    if cause == Cause.INFORMATION_SENT:
        updated = replace(
            updated,
            first_response_at=record.first_response_at or now,
            information_sent_at=record.information_sent_at or now,
            assigned_to=record.assigned_to or by,
        )
    if follow_up:
        updated = replace(updated, follow_ups_sent=record.follow_ups_sent + 1)
    for step in (cause, then):
        if step is not None:
            updated = _moved(updated, step, now)
    return updated


# --- a new inquiry ------------------------------------------------------------------------------


def summary(reading: Reading) -> str:
    if reading.contact and reading.contact.question:
        return reading.contact.question[:SUMMARY_CHARS]
    return reading.message.subject[:SUMMARY_CHARS]


def event_for(
    reading: Reading, *, kind: Kind, at: datetime, folder: str, uid: int, keep_body: bool
) -> Event:
    """The timeline event for one incoming message (or one an agent sent)."""
    msg = reading.message
    text = reading.fresh if kind in (Kind.PROSPECT_REPLY, Kind.AGENT_REPLY) else ""
    return Event(
        at=at,
        direction=Direction.OUT if kind == Kind.AGENT_REPLY else Direction.IN,
        kind=kind,
        message_id=msg.message_id,
        summary=text_summary(text) if text else summary(reading),
        folder=folder,
        uid=uid,
        body=msg.text if keep_body else None,
    )


def their_subject(reading: Reading) -> str:
    """The subject the person chose: for a form or ad notification, the form's subject field
    (the robot's "New lead from …" is not theirs), else nothing; otherwise the mail's subject."""
    contact = reading.contact
    if reading.source.robot:
        return contact.fields.get("subject", "") if contact else ""
    return reading.message.subject


def inquiry(
    reading: Reading,
    *,
    open_record: Prospect | None,
    previous: Prospect | None,
    event: Event,
    now: datetime,
    new_id: int,
) -> Prospect | None:
    """The record this inquiry creates (with ``new_id``) or updates, or None when it touches no
    record (no one to answer).

    An inquiry from someone with an open record joins that record (never two open records for
    one address) and fills what it lacks (name, phone, sub-source, form fields). Someone whose
    last record is closed gets a new record linked to the old one: a past customer asking again
    is served as a prospect again, with their history kept. A record whose address is a
    platform's relay says so in its timeline.
    """
    contact = reading.contact
    if reading.kind != Kind.INQUIRY or contact is None or not contact.email:
        return None
    msg = reading.message
    if open_record is not None:
        return replace(
            open_record,
            name=open_record.name or contact.name,
            surname=open_record.surname or contact.surname,
            phone=open_record.phone or contact.phone,
            phone_raw=open_record.phone_raw or contact.phone_raw,
            company=open_record.company or contact.company,
            sub_source=open_record.sub_source or contact.sub_source,
            form=open_record.form or contact.form,
            language=open_record.language or reading.language,
            last_inbound_at=now,
            message_ids=(*open_record.message_ids, msg.message_id),
            timeline=(*open_record.timeline, event),
        )
    returning = previous is not None and previous.stage in (Stage.PROSPECT, Stage.CUSTOMER)
    timeline: tuple[Event, ...] = (event,)
    if contact.relay:
        note = f"{contact.email} is {reading.source.name}'s relay: their own address is unknown"
        timeline = (event, Event(now, Direction.INTERNAL, "relay", summary=note[:300]))
    return Prospect(
        id=new_id,
        email=contact.email,
        created_at=now,
        name=contact.name,
        surname=contact.surname,
        phone=contact.phone,
        phone_raw=contact.phone_raw,
        company=contact.company,
        source=reading.source.name,
        sub_source=contact.sub_source,
        interest=reading.interest,
        stage=Stage.PROSPECT if returning else Stage.LEAD,
        status=Status.NEW,
        last_inbound_at=now,
        subject=their_subject(reading)[:300],
        question=contact.question,
        form=contact.form,
        language=reading.language,
        previous_id=previous.id if previous else None,
        message_ids=(msg.message_id,),
        timeline=timeline,
    )


def apply_commands(
    record: Prospect,
    commands: Sequence[Command],
    now: datetime,
    agents: Sequence[Agent],
    author: str,
) -> tuple[Prospect, list[str], list[str]]:
    """Carry out an agent's or owner's ``#`` commands on a record: (record, applied, errors).

    ``#record`` only chose the record (the caller did that); everything else is applied in
    order, each as a timeline note naming its author.
    """
    applied: list[str] = []
    errors: list[str] = []
    for command in commands:
        name, args = command.name, command.args
        try:
            if name in ("status", "stage"):
                record = _moved(record, COMMAND, now, value=args[0])
            elif name == "quote":
                record = replace(record, quote=Quote(*args))
            elif name == "sale":
                record = _moved(replace(record, sale=Sale(*args)), Cause.WON, now)
            elif name == "lost":
                record = _moved(replace(record, lost_reason=args[0]), Cause.LOST, now)
            elif name == "lang":
                record = replace(record, language=args[0])
            elif name == "assign":
                agent = _agent(args[0], agents)
                if agent is None:
                    raise ValueError(f"no agent {args[0]!r}")
                record = replace(record, assigned_to=agent)
            elif name != "note" and name != "record":
                raise ValueError(f"unknown command #{name}")
        except ValueError as exc:
            errors.append(f"{command.line.strip()}: {exc}")
            continue
        if name != "record":
            note = Event(now, Direction.INTERNAL, "note" if name == "note" else "command",
                         summary=f"{author}: {command.line.strip()}"[:300],
                         command="" if name == "note" else name)  # fmt: skip
            record = replace(record, timeline=(*record.timeline, note))
            applied.append(command.line.strip())
    return record, applied, errors


def _agent(wanted: str, agents: Sequence[Agent]) -> str | None:
    wanted = wanted.strip().lower()
    for agent in agents:
        if wanted in (agent.email, agent.name.lower()):
            return agent.email
    return None
