"""What a reply does to its record: pure decisions over a record, a thread and ``now``.

Vocabulary (DOMAIN.md): a ``prospect_reply`` is the record's own person writing again (never a
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

from inbox_agent import status
from inbox_agent.commands import Command
from inbox_agent.config import Agent
from inbox_agent.message import Message
from inbox_agent.prospect import Event, Prospect, Quote, Sale
from inbox_agent.status import COMMAND
from inbox_agent.threads import Thread

ROBOT_KINDS = frozenset({"bounce", "auto_reply", "list", "spam"})


def kind_of(base: str, thread: Thread, *, human_from_us: bool) -> str:
    """The conversation kind of a message the detectors called ``base``."""
    if base in ROBOT_KINDS:
        return base
    if base == "own" and not human_from_us:
        return "own"  # our robot's own mail
    if thread.author == "agent":
        return "agent_reply"
    if thread.record is not None and thread.author == "prospect":
        return "prospect_reply"
    return "inquiry"


def _moved(record: Prospect, cause: str, now: datetime, value: str | None = None) -> Prospect:
    """Apply a status/stage cause and write each change into the timeline."""
    updated, changes = status.apply(record, cause, now, value=value)
    events = tuple(
        Event(c.at, "internal", c.field, summary=f"{c.field} {c.old} → {c.new} ({c.cause})")
        for c in changes
    )
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
    updated = _moved(updated, "prospect_replied", now)
    return _moved(updated, "meeting_agreed", now) if accepted else updated


def agent_replied(record: Prospect, event: Event, now: datetime, agent: str | None) -> Prospect:
    """``agent`` is None when someone answered as the shared address (we cannot tell who)."""
    updated = _with_event(record, event)
    updated = replace(
        updated,
        first_response_at=record.first_response_at or now,
        information_sent_at=record.information_sent_at or now,
        assigned_to=record.assigned_to or agent,
    )
    return _moved(updated, "information_sent", now)


def noted(record: Prospect, event: Event) -> Prospect:
    """An out-of-office or other robot reply in the record's thread: kept, counts for nothing."""
    return _with_event(record, event)


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
                record = _moved(replace(record, sale=Sale(*args)), "won", now)
            elif name == "lost":
                record = _moved(replace(record, lost_reason=args[0]), "lost", now)
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
            note = Event(now, "internal", "note" if name == "note" else "command",
                         summary=f"{author}: {command.line.strip()}"[:300])  # fmt: skip
            record = replace(record, timeline=(*record.timeline, note))
            applied.append(command.line.strip())
    return record, applied, errors


def _agent(wanted: str, agents: Sequence[Agent]) -> str | None:
    wanted = wanted.strip().lower()
    for agent in agents:
        if wanted in (agent.email, agent.name.lower()):
            return agent.email
    return None
