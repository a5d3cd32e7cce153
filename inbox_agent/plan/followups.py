"""Fast and steady: which follow-up is due for one record, and when. Pure: a record, the rules
and ``now`` in, actions out.

Vocabulary (DOMAIN.md, the SOP's steps 6 and 7, seed 002):

- The **anchor** is the last mail a person of ours sent the prospect (an agent's answer from any
  mail client, or one passed on from a Reply): information sent. The prospect's turn begins
  there; a real answer from them after it (never an out-of-office) stops the cadence until an
  agent writes again, which starts it anew.
- A **cadence** is the list of steps for a stage (``lead`` or ``prospect``): each a delay from the
  anchor (``after_hours``, counted in business hours when the rules say so), a **channel** —
  ``mail`` to the prospect, or ``task`` for the agent — and a template. The default: the courtesy
  note at 48 h, the revive reminder to the agent at 72 h, then further follow-ups.
- A **cap** is how many follow-up mails a stage may get (2 for a lead, 8 for a prospect): the
  mail that reaches it moves the record to ``drip`` (``cap_reached``), after which a drip mail goes
  every ``drip_days`` in rotation (off without drip templates) until they answer.
- **Information overdue**: no information sent by ``information_hours`` after the inquiry (the
  SOP's 72 hours). Then no courtesy note goes — it would be false — and the agent and the
  supervisor are told, once.
- **Stale** steps are skipped: after downtime, only the latest step that is due goes out (at most
  one follow-up per record per run), the skipped ones noted in the timeline; never stacked.
- Follow-ups and tasks go only while the business is open (``plan.calendar``); a record that is
  closed, opted out or bounced gets none.

Each step is an outbox entry with the key ``<record>:followup:<n>`` (``n`` counts the record's
cadence steps), so a crash or a restart never sends one twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from inbox_agent.plan.calendar import Calendar
from inbox_agent.records.prospect import Direction, Event, Prospect, Stage, Status
from inbox_agent.sending.actions import (
    Action,
    CourtesyNote,
    Drip,
    FollowUp,
    InformationOverdue,
    MailKind,
    ReviveReminder,
)

HUMAN_OUT = frozenset({"agent_reply", MailKind.RELAYED_ANSWER})  # information sent by a person
THEIRS = frozenset({"inquiry", "prospect_reply"})  # a real answer (an out-of-office is not)
SKIPPED = "followup_skipped"
OVERDUE = MailKind.INFORMATION_OVERDUE
STEPS = frozenset(
    {MailKind.COURTESY_NOTE, MailKind.FOLLOW_UP, MailKind.REVIVE_REMINDER, MailKind.DRIP, SKIPPED}
)
IN_CADENCE = frozenset({Status.EMAIL, Status.FOLLOW_UP, Status.REVIVE, Status.DRIP})


class Channel(StrEnum):
    MAIL = "mail"  # to the prospect
    TASK = "task"  # for the agent


@dataclass(frozen=True)
class Step:
    after_hours: float
    channel: Channel
    template: str


DEFAULT_LEAD = (
    Step(48, Channel.MAIL, "courtesy_note"),
    Step(72, Channel.TASK, "revive_reminder"),
    Step(7 * 24, Channel.MAIL, "follow_up"),
)
_LATER = ((14, "follow_up_2"), (21, "follow_up"), (30, "follow_up_2"), (45, "follow_up"),
          (60, "follow_up_2"), (75, "follow_up"))  # fmt: skip
DEFAULT_PROSPECT = (*DEFAULT_LEAD, *(Step(d * 24, Channel.MAIL, t) for d, t in _LATER))


@dataclass(frozen=True)
class FollowUpRules:
    calendar: Calendar = field(default_factory=Calendar)
    lead: tuple[Step, ...] = DEFAULT_LEAD
    prospect: tuple[Step, ...] = DEFAULT_PROSPECT
    lead_cap: int = 2
    prospect_cap: int = 8
    drip: tuple[str, ...] = ("drip", "drip_2")  # templates in rotation; () for no drip
    drip_days: float = 30
    information_hours: float = 72
    business_hours_only: bool = False
    supervisors: tuple[str, ...] = ()

    @property
    def mail_templates(self) -> frozenset[str]:
        """The templates the cadences and the drip write to the person with."""
        steps = (*self.lead, *self.prospect)
        return frozenset({s.template for s in steps if s.channel == Channel.MAIL} | set(self.drip))

    def cadence(self, stage: Stage) -> tuple[Step, ...]:
        return self.lead if stage == Stage.LEAD else self.prospect

    def cap(self, stage: Stage) -> int:
        return self.lead_cap if stage == Stage.LEAD else self.prospect_cap

    def after(self, t: datetime, hours: float) -> datetime:
        return self.calendar.add_hours(t, hours, business=self.business_hours_only)


@dataclass(frozen=True)
class Upcoming:
    """The next step for a record: what, when, to whom."""

    at: datetime
    what: MailKind
    to: str
    template: str
    step: int  # its index in the cadence (-1: drip or the overdue notice)


@dataclass(frozen=True)
class Plan:
    """What to do for one record now: actions, the record with what was noted, when to look
    again (None: not until the record changes)."""

    actions: tuple[Action, ...] = ()
    record: Prospect | None = None
    next_at: datetime | None = None
    reason: str = ""


def _last(
    record: Prospect, kinds: frozenset[str], direction: Direction | None = None
) -> Event | None:
    found = [e for e in record.timeline
             if e.kind in kinds and (direction is None or e.direction == direction)]  # fmt: skip
    return max(found, key=lambda e: e.at) if found else None


def anchor(record: Prospect) -> datetime | None:
    """When a person of ours last sent them information (their turn began)."""
    event = _last(record, HUMAN_OUT, Direction.OUT)
    return event.at if event is not None else record.information_sent_at


def _blocked(record: Prospect, blocked: bool) -> str:
    if not record.is_open:
        return "closed"
    if blocked or record.opted_out_at is not None:
        return "asked to stop, or their address bounced"
    return ""


def upcoming(record: Prospect, rules: FollowUpRules, *, blocked: bool = False) -> Upcoming | None:
    """The next step and when it falls due (ignoring business hours), or None."""
    if _blocked(record, blocked):
        return None
    agent = record.assigned_to or next(iter(rules.supervisors), "")
    if record.information_sent_at is None:
        told = _last(record, frozenset({OVERDUE}))
        if record.status not in (Status.NEW, Status.CALL) or told is not None or not agent:
            return None
        at = rules.after(record.created_at, rules.information_hours)
        return Upcoming(at, OVERDUE, agent, "information_overdue", -1)
    start = anchor(record)
    answered = _last(record, THEIRS, Direction.IN)
    if start is None or record.status not in IN_CADENCE or (answered and answered.at > start):
        return None
    done = [e for e in record.timeline if e.kind in STEPS and e.at >= start]
    steps = rules.cadence(record.stage)
    capped = record.follow_ups_sent >= rules.cap(record.stage) or record.status == Status.DRIP
    for index in range(len(done), len(steps)):
        step = steps[index]
        if step.channel == Channel.MAIL and capped:
            break
        if step.channel == Channel.TASK:
            kind = MailKind.REVIVE_REMINDER
        elif step.template == "courtesy_note":
            kind = MailKind.COURTESY_NOTE
        else:
            kind = MailKind.FOLLOW_UP
        if step.channel == Channel.TASK and not agent:
            continue
        to = agent if step.channel == Channel.TASK else record.email
        return Upcoming(rules.after(start, step.after_hours), kind, to, step.template, index)
    if not rules.drip or not capped:
        return None
    mails = [e for e in record.timeline if e.direction == Direction.OUT and e.kind in STEPS]
    since = max((start, *(e.at for e in mails)))  # our last automatic mail, or the anchor
    drips = sum(1 for e in record.timeline if e.kind == MailKind.DRIP)
    template = rules.drip[drips % len(rules.drip)]
    at = rules.after(since, rules.drip_days * 24)
    return Upcoming(at, MailKind.DRIP, record.email, template, -1)


def plan(record: Prospect, now: datetime, rules: FollowUpRules, *, blocked: bool = False) -> Plan:
    """What to send for ``record`` now: at most one step, the latest that is due."""
    nxt = upcoming(record, rules, blocked=blocked)
    if nxt is None:
        return Plan(reason=_blocked(record, blocked) or "nothing due")
    if nxt.at > now:
        return Plan(next_at=nxt.at, reason=f"{nxt.what} due {nxt.at.isoformat()}")
    opens = rules.calendar.next_open(now)
    if opens > now:
        return Plan(next_at=opens, reason=f"{nxt.what} due; the business opens {opens.isoformat()}")
    updated, skipped = record, []
    while nxt.step >= 0:  # a later step is due too (after downtime): this one is stale
        note = f"skipped the {nxt.template.replace('_', ' ')} (due {nxt.at:%Y-%m-%d %H:%M}): late"
        passed = Event(now, Direction.INTERNAL, SKIPPED, summary=note)
        probe = replace(updated, timeline=(*updated.timeline, passed))
        later = upcoming(probe, rules, blocked=blocked)
        if later is None or later.at > now or later.step < 0:
            break
        updated, nxt = probe, later
        skipped.append(note)
    reason = "; ".join([*skipped, f"{nxt.what} now"])
    return Plan(_actions(updated, nxt, rules), updated if skipped else None, None, reason)


@dataclass(frozen=True)
class Scheduled:
    """One line of ``inbox-agent due``: a record's next step falls due at ``due_at`` and goes
    at ``goes`` (when the business is open; in its time zone), as ``actions`` (a stale step
    skipped by then); ``now``: the keys that would go if the daemon ran at the time asked."""

    record: Prospect
    due_at: datetime
    goes: datetime
    actions: tuple[Action, ...]
    reason: str
    now: tuple[str, ...]


def schedule(
    records: Iterable[tuple[Prospect, bool]], now: datetime, rules: FollowUpRules
) -> list[Scheduled]:
    """The next step of each record (given with whether its address is blocked), soonest
    first, as the daemon would see it from ``now`` if no mail came meanwhile; sends nothing."""
    found = []
    for record, blocked in records:
        nxt = upcoming(record, rules, blocked=blocked)
        if nxt is None:
            continue
        goes = rules.calendar.next_open(max(nxt.at, now)).astimezone(rules.calendar.zone)
        then = plan(record, goes, rules, blocked=blocked)
        keys = tuple(a.key for a in plan(record, now, rules, blocked=blocked).actions)
        found.append(Scheduled(record, nxt.at, goes, then.actions, then.reason, keys))
    return sorted(found, key=lambda s: (s.goes, s.record.id))


def _thread(record: Prospect) -> tuple[str, tuple[str, ...]]:
    ids = [
        e.message_id
        for e in record.timeline
        if e.message_id and e.direction in (Direction.IN, Direction.OUT)
    ]
    return (ids[-1] if ids else ""), tuple(ids[-10:])


def _number(record: Prospect) -> int:
    return 1 + sum(1 for e in record.timeline if e.kind in STEPS or e.kind == OVERDUE)


def last_template(record: Prospect) -> str:
    """The template of the last automatic mail that went to the person ("" if none)."""
    ours = [e for e in record.timeline if e.direction == Direction.OUT and e.template]
    return ours[-1].template if ours else ""


def _fresh(template: str, record: Prospect, rules: FollowUpRules) -> str:
    """``template``, unless the last mail to them came from it: then the next of the cadence's
    (and the drip's) templates that did not — a second cadence never opens with the courtesy
    note the first one ended on."""
    last = last_template(record)
    if template != last:
        return template
    mails = (s.template for s in rules.cadence(record.stage) if s.channel == Channel.MAIL)
    pool = list(dict.fromkeys((*mails, *rules.drip)))
    i = pool.index(template) if template in pool else -1
    return next((t for t in (*pool[i + 1 :], *pool[: i + 1]) if t != last), template)


def _actions(record: Prospect, nxt: Upcoming, rules: FollowUpRules) -> tuple[Action, ...]:
    n, pid = _number(record), record.id
    if nxt.what == OVERDUE:  # the agent and every supervisor, once
        told = dict.fromkeys((nxt.to, *rules.supervisors))
        return tuple(InformationOverdue(pid, who) for who in told)
    if nxt.what == MailKind.REVIVE_REMINDER:
        since = (anchor(record) or record.created_at).isoformat()
        return (ReviveReminder(pid, nxt.to, n, since),)
    in_reply_to, refs = _thread(record)
    template = _fresh(nxt.template, record, rules)
    if nxt.what == MailKind.DRIP:
        return (Drip(pid, nxt.to, n, template, in_reply_to, refs),)
    final = record.follow_ups_sent + 1 >= rules.cap(record.stage) or not any(
        s.channel == Channel.MAIL for s in rules.cadence(record.stage)[nxt.step + 1 :]
    )
    kind = CourtesyNote if nxt.what == MailKind.COURTESY_NOTE else FollowUp
    return (kind(pid, nxt.to, n, template, in_reply_to, refs, final=final),)
