"""When the owner's daily digest is due, and the mail that sends it. Pure.

Vocabulary: the digest *of* a local date D covers that day; it is due from ``[digest] at`` on
the day after, local time in ``[business] timezone``. ``due_day(schedule, now)`` is the one
date whose digest should have gone by ``now``: yesterday once today's send time has passed,
else the day before. Only that date is ever planned, so a digest missed while the daemon was
down goes out once when it comes back, and older days are not stacked up. Whether a date's
digest went already is the outbox's to say: one key per date and recipient
(``sending.actions.digest_key``), whatever restarts come between. A day that ended before the
store read its first message has nothing to tell (a new installation): no digest.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from inbox_agent.report.periods import midnight
from inbox_agent.sending.actions import Digest


@dataclass(frozen=True)
class DigestSchedule:
    at: time  # local time of day
    tz: tzinfo
    recipients: tuple[str, ...]


def due_day(schedule: DigestSchedule, now: datetime) -> date:
    """The latest date whose digest is due at ``now``."""
    today = now.astimezone(schedule.tz).date()
    sent_from = datetime.combine(today, schedule.at, schedule.tz)
    return today - timedelta(days=1 if now >= sent_from else 2)


def is_over(day: date, tz: tzinfo, now: datetime) -> bool:
    return now >= midnight(day + timedelta(days=1), tz)


def worth_sending(day: date, tz: tzinfo, first_message_at: datetime | None) -> bool:
    """False for a day that ended before the store read anything (nothing to report yet)."""
    return first_message_at is not None and first_message_at < midnight(day + timedelta(days=1), tz)


def digests(content: Mapping[str, Any], day: date, recipients: Collection[str]) -> list[Digest]:
    """One ``Digest`` of ``day`` per recipient, all carrying the same figures (``content``,
    made by ``report.daily.digest``)."""
    return [Digest(day.isoformat(), r.lower(), content) for r in recipients]
