"""The stretches of time a report speaks of, in the business's own time zone. Pure.

Vocabulary: a ``Window`` is ``[start, end)`` with a label; a *day* runs from local midnight to
the next (23 or 25 hours across a daylight-saving change), a *month* from the 1st at local
midnight. Every window is cut off at ``now``: nothing is counted that has not happened yet, so
the digest of today is "today so far".

Python compares and subtracts two times that share a ``ZoneInfo`` by their wall clocks (the
25-hour day would measure 24): so window bounds are kept in UTC, and ``span`` and ``after``
do the arithmetic on real elapsed time whatever zone the times carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    label: str

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


def midnight(day: date, tz: tzinfo) -> datetime:
    """Local midnight at the start of ``day``, in UTC."""
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def _exact(moment: datetime) -> datetime:
    return moment if isinstance(moment.tzinfo, timezone) else moment.astimezone(UTC)


def span(later: datetime, earlier: datetime) -> timedelta:
    """The real time between two moments (not their wall clocks')."""
    return _exact(later) - _exact(earlier)


def after(moment: datetime, delta: timedelta) -> datetime:
    """``delta`` of real time after ``moment``."""
    return _exact(moment) + delta


def _cut(start: datetime, end: datetime, now: datetime, label: str) -> Window:
    return Window(start, max(start, min(end, now)), label)


def day_window(day: date, tz: tzinfo, now: datetime) -> Window:
    label = f"{day:%a} {day.day} {day:%b}"
    return _cut(midnight(day, tz), midnight(day + timedelta(days=1), tz), now, label)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_to_date(day: date, tz: tzinfo, now: datetime) -> Window:
    """From the 1st of ``day``'s month to the end of ``day``."""
    first = month_start(day)
    end = midnight(day + timedelta(days=1), tz)
    label = f"{first:%b} 1" + (f"\u2013{day.day}" if day != first else "")
    return _cut(midnight(first, tz), end, now, label)


def month_window(first: date, tz: tzinfo, now: datetime) -> Window:
    start, end = midnight(month_start(first), tz), midnight(next_month(first), tz)
    return _cut(start, end, now, f"{first:%B %Y}")


def days_of(month: date) -> list[date]:
    first, following = month_start(month), next_month(month)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def parse_month(text: str) -> date:
    """``2026-12`` -> 1 December 2026; ValueError otherwise."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ValueError(f"not a month YYYY-MM: {text!r}") from None
