"""Status and stage: where a prospect stands, and what moves it. Pure: data in, data out.

Vocabulary (DOMAIN.md, seeds 001/002):

- **status** is the SOP step: ``new`` (recorded, not yet acknowledged) → ``call`` (acknowledged;
  the agent should call) → ``email`` (an agent sent information) → ``follow_up`` (the 48-hour
  courtesy note went out) → ``revive`` (the 72-hour reminder to phone was given) → ``drip``
  (follow-up cap reached) or ``done``.
- **stage** is who the person is to us: ``lead`` (no two-way conversation yet) → ``prospect``
  (engaged: answered an agent, agreed to a call or meeting) → ``customer`` (bought).
- A **cause** is what happened: an observation (``acknowledged``, ``information_sent``,
  ``courtesy_note``, ``revive_reminder``, ``cap_reached``, ``prospect_replied``,
  ``meeting_agreed``, ``won``, ``lost``, ``closed``, ``opted_out``) or ``command`` (an agent
  set a value by mail).
- A **transition** is one row of the table: from a status (``*`` = any status but ``done``), a
  cause, and the status it leads to, optionally only ``when`` a named condition holds.
- A **change** is one field that moved, with its time and cause; ``apply`` returns them so the
  caller can write them into the timeline.

Rules the table encodes (and ``docs/STATUS.md`` shows):

- An observation that has no row for the current status leaves the status as it is: an agent's
  mail on a ``done`` record is recorded elsewhere but does not reopen it; a second courtesy note
  keeps ``follow_up``. Only ``command`` leaves ``done`` (a new inquiry makes a new record
  elsewhere, never here).
- A prospect who answers a follow-up, a revive or the drip owes us nothing more; the agent owes
  the next step: back to ``email`` when information was already sent (the conversation goes on
  by mail and the follow-up clock starts again), to ``call`` when none was sent yet.
- A meeting or call agreed puts the record on ``call``: the agent's next step is that call.
- ``command`` may set any status or stage from any status; its ``value`` says which (status and
  stage names do not overlap).
- Entering ``done`` sets ``closed_at``; leaving it (by command) clears it.
- Stage moves on its own, smaller table; a customer who asks about something new becomes a new
  record at stage ``prospect`` elsewhere (the intake), not here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from inbox_agent.records.prospect import STAGES, STATUSES, Prospect, Stage, Status

ANY_OPEN = "*"  # any status but done


class Cause(StrEnum):
    """What happened to a record; ``CAUSES`` says what each means."""

    ACKNOWLEDGED = "acknowledged"
    INFORMATION_SENT = "information_sent"
    COURTESY_NOTE = "courtesy_note"
    REVIVE_REMINDER = "revive_reminder"
    CAP_REACHED = "cap_reached"
    PROSPECT_REPLIED = "prospect_replied"
    MEETING_AGREED = "meeting_agreed"
    WON = "won"
    LOST = "lost"
    CLOSED = "closed"
    OPTED_OUT = "opted_out"
    COMMAND = "command"


COMMAND = Cause.COMMAND


@dataclass(frozen=True)
class Transition:
    """One row: ``cause`` moves ``from_`` to ``to`` (only ``when`` the named condition holds)."""

    from_: str
    cause: str
    to: str
    when: str = ""


@dataclass(frozen=True)
class Change:
    """One field that moved."""

    at: datetime
    field: str  # "status" | "stage"
    old: str
    new: str
    cause: str


# What each cause means; the docs list one line per cause, in this order.
CAUSES: Mapping[Cause, str] = {
    Cause.ACKNOWLEDGED: "the acknowledgment went out; the agent should call now",
    Cause.INFORMATION_SENT: "an agent sent information to the prospect, from any mail client",
    Cause.COURTESY_NOTE: "the 48-hour courtesy note (or a later follow-up) went out",
    Cause.REVIVE_REMINDER: "the agent was reminded, with the phone number, to phone after 72 hours",
    Cause.CAP_REACHED: "the follow-up cap was reached (2 for a lead, 8 for a prospect): drip only",
    Cause.PROSPECT_REPLIED: "the person answered (an out-of-office reply never counts)",
    Cause.MEETING_AGREED: "the person agreed to a call or a meeting",
    Cause.WON: "the sale was made (a `#sale` command)",
    Cause.LOST: "the prospect said no; the objection is kept in `lost_reason` (a `#lost` command)",
    Cause.CLOSED: "closed for another reason: a duplicate, not a real inquiry",
    Cause.OPTED_OUT: "the person asked us to stop writing (their words, or the unsubscribe link):"
    " no automatic mail ever again, unless they write in again themselves",
    COMMAND: "an agent or owner set a status or stage by mail (`#status email`, `#stage prospect`)",
}

# Named conditions a row may require.
CONDITIONS: Mapping[str, Callable[[Prospect], bool]] = {
    "information sent": lambda p: p.information_sent_at is not None,
    "no information sent": lambda p: p.information_sent_at is None,
    "an agent answered": lambda p: p.first_response_at is not None,
}

_REPLIED_FROM = ("follow_up", "revive", "drip")

STATUS_TABLE: tuple[Transition, ...] = (
    Transition("new", "acknowledged", "call"),
    *(Transition(s, "information_sent", "email") for s in ("new", "call", *_REPLIED_FROM)),
    Transition("email", "courtesy_note", "follow_up"),
    Transition("email", "revive_reminder", "revive"),
    Transition("follow_up", "revive_reminder", "revive"),
    *(Transition(s, "cap_reached", "drip") for s in ("email", "follow_up", "revive")),
    *(
        Transition(s, "prospect_replied", to, when)
        for s in _REPLIED_FROM
        for to, when in (("email", "information sent"), ("call", "no information sent"))
    ),
    *(Transition(s, "meeting_agreed", "call") for s in ("new", "email", *_REPLIED_FROM)),
    Transition(ANY_OPEN, "won", "done"),
    Transition(ANY_OPEN, "lost", "done"),
    Transition(ANY_OPEN, "closed", "done"),
    Transition(ANY_OPEN, "opted_out", "done"),
)

STAGE_TABLE: tuple[Transition, ...] = (
    Transition("lead", "prospect_replied", "prospect", "an agent answered"),
    Transition("lead", "meeting_agreed", "prospect"),
    Transition("lead", "won", "customer"),
    Transition("prospect", "won", "customer"),
)


def _next(table: tuple[Transition, ...], current: str, cause: str, p: Prospect) -> str | None:
    """The first matching row's target: exact ``from_`` first, then ``*`` (open statuses)."""
    for exact in (True, False):
        for row in table:
            if row.cause != cause:
                continue
            if exact and row.from_ != current:
                continue
            if not exact and (row.from_ != ANY_OPEN or current == "done"):
                continue
            if row.when and not CONDITIONS[row.when](p):
                continue
            return row.to
    return None


def next_status(prospect: Prospect, cause: str) -> str | None:
    """Where ``cause`` takes the status, or None when it leaves it as it is."""
    _known(cause)
    return _next(STATUS_TABLE, prospect.status, cause, prospect)


def next_stage(prospect: Prospect, cause: str) -> str | None:
    """Where ``cause`` takes the stage, or None when it leaves it as it is."""
    _known(cause)
    return _next(STAGE_TABLE, prospect.stage, cause, prospect)


def _known(cause: str) -> None:
    if cause not in CAUSES:
        raise ValueError(f"unknown cause {cause!r}; known: {', '.join(CAUSES)}")


def apply(
    prospect: Prospect, cause: str, now: datetime, *, value: str | None = None
) -> tuple[Prospect, list[Change]]:
    """The record after ``cause``, and the fields that moved.

    ``value`` is the status or stage asked for, and only for the ``command`` cause. Raises
    ``ValueError`` for an unknown cause, a missing or unknown value, or a value given with
    another cause. A cause with no row for the record's status changes nothing.
    """
    _known(cause)
    if prospect.status not in STATUSES:
        raise ValueError(f"record {prospect.id} has an unknown status {prospect.status!r}")
    if prospect.stage not in STAGES:
        raise ValueError(f"record {prospect.id} has an unknown stage {prospect.stage!r}")
    status, stage = prospect.status, prospect.stage
    if cause == COMMAND:
        asked = (value or "").strip().lower()
        if asked in STATUSES:
            status = Status(asked)
        elif asked in STAGES:
            stage = Stage(asked)
        else:
            raise ValueError(
                f"a command needs a status ({', '.join(STATUSES)}) "
                f"or a stage ({', '.join(STAGES)}), not {value!r}"
            )
    else:
        if value is not None:
            raise ValueError(f"a value is only for the {COMMAND.value!r} cause, not {cause!r}")
        status = Status(_next(STATUS_TABLE, status, cause, prospect) or status)
        stage = Stage(_next(STAGE_TABLE, stage, cause, prospect) or stage)

    moves = (("status", prospect.status, status), ("stage", prospect.stage, stage))
    changes = [Change(now, name, old, new, cause) for name, old, new in moves if old != new]
    if not changes:
        return prospect, []
    closed_at = prospect.closed_at
    if status == Status.DONE and prospect.status != Status.DONE:
        closed_at = now
    elif status != Status.DONE:
        closed_at = None
    return replace(prospect, status=status, stage=stage, closed_at=closed_at), changes
