"""The timed work every cycle asks for, between reading mail and sending it: the follow-ups due
(``FollowUps``) and the owner's daily digest (``Digests``). Each queues what is due now in the
outbox, in a transaction of its own, and returns the keys it queued; what to send and when is
decided by the pure planners (``plan.followups``, ``plan.digest``), from the store alone, so a
restart or a day of downtime changes nothing (nothing lives in memory that the store lacks).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Protocol

from inbox_agent.config import Settings
from inbox_agent.exceptions import UsageError
from inbox_agent.plan.digest import DigestSchedule, due_day, is_over, worth_sending
from inbox_agent.plan.followups import FollowUpRules, plan, upcoming
from inbox_agent.records.prospect import Prospect
from inbox_agent.reporting import digest_of
from inbox_agent.sending.actions import Digest, digest_key
from inbox_agent.store import Store, history

log = logging.getLogger(__name__)


class TimedWork(Protocol):
    name: str

    def due(self, now: datetime) -> list[str]:
        """Queue what is due at ``now``; the keys queued."""
        ...


class FollowUps:
    """The follow-ups due, read from the store's index of each open record's next due time."""

    name = "followups_due"

    def __init__(self, store: Store, rules: FollowUpRules) -> None:
        self.store, self.rules = store, rules
        store.follow(self.next_look)

    def next_look(self, record: Prospect) -> datetime | None:
        blocked = self.store.is_suppressed(record.email)
        found = upcoming(record, self.rules, blocked=blocked)
        return found.at if found else None

    def due(self, now: datetime) -> list[str]:
        """At most one step per record due now, queued with the record's note of any stale
        step skipped, in one transaction."""
        queued: list[str] = []
        with self.store.transaction():
            for record_id in self.store.due(now):
                record = self.store.prospect(record_id)
                if record is None:
                    continue
                blocked = self.store.is_suppressed(record.email)
                result = plan(record, now, self.rules, blocked=blocked)
                if result.record is not None:
                    self.store.save_prospect(result.record)
                queued += [a.key for a in result.actions if self.store.queue(a, now)]
                self.store.reschedule(record_id, result.next_at)  # sent ones move it on
                log.debug("record %s: %s", record_id, result.reason)
        return queued


class Digests:
    """The owner's daily digest: once per date and recipient (the outbox keeps its key)."""

    name = "digest_due"

    def __init__(self, store: Store, settings: Settings, schedule: DigestSchedule) -> None:
        self.store, self.settings, self.schedule = store, settings, schedule
        self.checked: date | None = None  # the day whose digest needs nothing more

    def due(self, now: datetime) -> list[str]:
        actions = self.actions(now)
        if not actions:
            return []
        with self.store.transaction():
            return [a.key for a in actions if self.store.queue(a, now)]

    def actions(self, now: datetime) -> list[Digest]:
        """The digest, when its time has come and it was not queued yet. Cheap when nothing
        is due: once a date is handled, only the clock is looked at."""
        schedule = self.schedule
        day = due_day(schedule, now)
        if day == self.checked or not schedule.recipients:
            return []
        unsent = [r for r in schedule.recipients
                  if not self.store.has_entry(digest_key(day.isoformat(), r))]  # fmt: skip
        if not unsent or not worth_sending(day, schedule.tz, history.first_message_at(self.store)):
            self.checked = day
            return []
        return digest_of(self.store, self.settings, day, now, unsent)

    def queue_day(self, day: date, now: datetime) -> list[str]:
        """``digest --send``: queue the digest of ``day`` for whoever has not had it (the same
        key as the daily send, so nobody gets it twice); the recipients it was queued for."""
        schedule = self.schedule
        if not schedule.recipients:
            raise UsageError("nobody to send it to: [digest] to is empty in the config")
        if not is_over(day, schedule.tz, now):
            raise UsageError(f"{day} is not over yet: print it without --send")
        unsent = [r for r in schedule.recipients
                  if not self.store.has_entry(digest_key(day.isoformat(), r))]  # fmt: skip
        if unsent:
            actions = digest_of(self.store, self.settings, day, now, unsent)
            with self.store.transaction():
                for action in actions:
                    self.store.queue(action, now)
        return unsent

    def states(self, day: date, unsent: list[str]) -> list[str]:
        """What became of the digest of ``day`` for each recipient, one line each."""
        lines = []
        for recipient in self.schedule.recipients:
            entry = self.store.entry(digest_key(day.isoformat(), recipient))
            state = "not queued" if entry is None else str(entry.status)
            if entry is not None and entry.sent_at is not None:
                state += f" {entry.sent_at.astimezone(self.schedule.tz):%Y-%m-%d %H:%M}"
            if entry is not None and entry.last_error:
                state += f" ({entry.last_error})"
            lines.append(f"digest of {day} to {recipient}: {state}"
                         + ("" if recipient in unsent else " before"))  # fmt: skip
        return lines
