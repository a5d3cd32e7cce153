"""When the business is open: hours, working days, time zone and holidays. Pure.

Vocabulary: a ``Calendar`` knows the business's time zone, its opening hours on working days,
and the days it is closed (public holidays of a country and subdivision, from the maintained
``holidays`` package, plus dates the owner lists). ``is_open(t)`` and ``next_open(t)`` say when
automatic follow-ups may go out; ``add_hours(t, h, business=True)`` counts a delay in business
hours only. Times go in and come out as aware datetimes; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Calendar:
    timezone: str = "UTC"
    opens: time = time(8, 0)
    closes: time = time(17, 0)
    days: frozenset[int] = frozenset(range(5))  # Monday = 0
    country: str = ""  # ISO 3166 code for public holidays; "" for none
    subdivision: str = ""
    closed: frozenset[date] = field(default_factory=frozenset)  # the owner's own closed days

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | None:
        if not self.country:
            return None
        return holidays.country_holidays(self.country, subdiv=self.subdivision or None)

    def holiday(self, day: date) -> str | None:
        """Why the business is closed on ``day`` (a holiday's name), or None."""
        if day in self.closed:
            return "closed (rules.toml)"
        found = self._holidays.get(day) if self._holidays is not None else None
        return str(found) if found else None

    def working_day(self, day: date) -> bool:
        return day.weekday() in self.days and self.holiday(day) is None

    def is_open(self, t: datetime) -> bool:
        local = t.astimezone(self.zone)
        return self.working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_open(self, t: datetime) -> datetime:
        """``t`` itself when the business is open then, else the next opening time."""
        local = t.astimezone(self.zone)
        day, clock = local.date(), local.time()
        for _ in range(400):  # a year and a bit: a calendar that never opens is a config error
            if self.working_day(day) and clock < self.closes:
                start = max(clock, self.opens)
                if (day, start) == (local.date(), local.time()):
                    return t  # open right now
                return datetime.combine(day, start, self.zone)
            day, clock = day + timedelta(days=1), time(0, 0)
        raise ValueError("the business is never open: check [business] hours, days and holidays")

    def add_hours(self, t: datetime, hours: float, *, business: bool) -> datetime:
        """``t`` plus ``hours``, counted in business hours only when ``business``."""
        if not business:
            return t + timedelta(hours=hours)
        left = timedelta(hours=hours)
        at = self.next_open(t)
        for _ in range(4000):
            local = at.astimezone(self.zone)
            end = datetime.combine(local.date(), self.closes, self.zone)
            if at + left <= end:
                return at + left
            left -= end - at
            at = self.next_open(end)
        raise ValueError("the delay never ends: check [business] hours")


def days_of(names: Iterable[str]) -> frozenset[int]:
    return frozenset(DAYS.index(n.strip().lower()[:3]) for n in names)
