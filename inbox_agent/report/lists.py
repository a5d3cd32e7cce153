"""Who is waiting, now: the records a person should act on today. Pure.

Vocabulary: a record is *open* when it is not done and its person has not asked us to stop.
``waiting`` lists the open records nobody is assigned to, and those past an SOP standard — not
acknowledged within ``[sla] acknowledge_hours``, or no information sent within
``[sla] respond_hours`` — oldest first, each with why. ``revive_calls`` lists, by agent, the
calls to make: records whose status is ``revive`` now (the 72-hour reminder was given and the
prospect has not been reached), and those reminded in the window, with their number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox_agent.records.prospect import Prospect, Status
from inbox_agent.report.facts import ReportRules
from inbox_agent.report.periods import Window, span
from inbox_agent.report.timeline import Course

NOBODY = "nobody assigned"


@dataclass(frozen=True)
class Waiting:
    prospect: Prospect
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReviveCall:
    prospect: Prospect
    agent: str  # "" when nobody is assigned
    reminded_at: datetime | None


def is_open(p: Prospect) -> bool:
    return p.status != Status.DONE and p.opted_out_at is None


def hours(span: timedelta) -> str:
    """``timedelta(hours=24)`` -> ``24 h``."""
    return f"{span.total_seconds() / 3600:g} h"


def waiting(courses: Iterable[Course], now: datetime, rules: ReportRules) -> list[Waiting]:
    found = []
    ack_h, info_h = hours(rules.acknowledge_within), hours(rules.inform_within)
    for c in courses:
        p = c.prospect
        if not is_open(p) or p.created_at > now:
            continue
        reasons = []
        if not p.assigned_to:
            reasons.append(NOBODY)
        age = span(now, p.created_at)
        if p.acknowledged_at is None and age > rules.acknowledge_within:
            reasons.append(f"not acknowledged in {ack_h}")
        if p.information_sent_at is None and age > rules.inform_within:
            reasons.append(f"no information in {info_h}")
        if reasons:
            found.append(Waiting(p, tuple(reasons)))
    return sorted(found, key=lambda w: (w.prospect.created_at, w.prospect.id))


def revive_calls(courses: Iterable[Course], window: Window) -> list[ReviveCall]:
    found = []
    for c in courses:
        p = c.prospect
        reminded = [t for t in c.revive_reminders if t in window]
        if p.status != Status.REVIVE and not reminded:
            continue
        times = reminded or c.revive_reminders
        found.append(ReviveCall(p, p.assigned_to or "", max(times) if times else None))
    return sorted(found, key=lambda r: (r.agent == "", r.agent, r.prospect.id))
