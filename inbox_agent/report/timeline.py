"""What a record's timeline says, read once per record for every report. Pure.

This is the one module that reads the timeline for the reports, so that when records carry
these facts as fields, only it changes. Vocabulary:

- a ``Move`` is one stage change, from the ``stage`` events ``records.conversation`` writes
  (each with its ``Moved``: old, new, cause);
- *follow-ups* are the mails to the prospect of the follow-up kinds (``FOLLOW_UP_KINDS``: the
  courtesy note, later follow-ups, the drip), *revive reminders* the mails to the agent saying
  "phone them" — each mail we send is a timeline event whose kind is its ``MailKind``;
- a quote is dated by the ``#quote`` command event that set it, a sale by its ``#sale`` (else
  by the move it caused, else by ``closed_at``); each record counts its current quote and sale
  once, at that date.

A ``Course`` is a record with these facts read out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inbox_agent.records.prospect import Prospect
from inbox_agent.records.status import Cause
from inbox_agent.sending.actions import MailKind

FOLLOW_UP_KINDS = frozenset({MailKind.COURTESY_NOTE, MailKind.FOLLOW_UP, MailKind.DRIP})
# the only events ``course`` reads: a store may hand out timelines of these kinds alone
READ_KINDS: frozenset[str] = frozenset(
    {"stage", "status", "command", MailKind.REVIVE_REMINDER, *FOLLOW_UP_KINDS}
)


@dataclass(frozen=True)
class Move:
    at: datetime
    old: str
    new: str
    cause: str


@dataclass(frozen=True)
class Course:
    """One record and what its timeline says."""

    prospect: Prospect
    moves: tuple[Move, ...] = ()  # stage moves, in order
    follow_ups: tuple[tuple[datetime, MailKind], ...] = ()
    revive_reminders: tuple[datetime, ...] = ()
    quoted_at: datetime | None = None
    sold_at: datetime | None = None


def course(prospect: Prospect) -> Course:
    moves: list[Move] = []
    follow_ups: list[tuple[datetime, MailKind]] = []
    revives: list[datetime] = []
    quoted = sold = won = None
    for event in prospect.timeline:
        kind = event.kind
        if kind in ("stage", "status"):
            found = event.moved
            if found is None:
                continue
            if found.cause == Cause.WON and won is None:
                won = event.at
            if kind == "stage":
                moves.append(Move(event.at, found.old, found.new, found.cause))
        elif kind in FOLLOW_UP_KINDS:
            follow_ups.append((event.at, MailKind(kind)))
        elif kind == MailKind.REVIVE_REMINDER:
            revives.append(event.at)
        elif kind == "command":
            if event.command == "quote":
                quoted = event.at
            elif event.command == "sale":
                sold = event.at
    if prospect.quote is None:
        quoted = None
    if prospect.sale is None:
        sold = None
    elif sold is None:
        sold = won or prospect.closed_at
    return Course(prospect, tuple(moves), tuple(follow_ups), tuple(revives), quoted, sold)
