"""What a report is made from: a frozen snapshot of the store, and the rules to read it by. Pure.

Vocabulary: ``Facts`` holds the records (``Prospect``; read from the store with only the part
of their timeline a report reads — ``timeline.READ_KINDS``, from its reach on — except the
records waiting for a revive call, whole: see ``Store.prospects_for_report``), the
processed-message log, the inbound quarantine, the outbound mail that could not be delivered,
the suppressed addresses and the notices that a cap on automatic mail held some back.
``ReportRules`` carry what the owner configured: the business and its labels, its time zone, the
SOP's standards (acknowledge within ``[sla] acknowledge_hours``, information within
``[sla] respond_hours``) and the agents. ``Facts.courses`` reads every record's timeline once
(``report.timeline``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from functools import cached_property
from zoneinfo import ZoneInfo

from inbox_agent.records.prospect import (
    LoggedMessage,
    Prospect,
    QuarantineEntry,
    Status,
    Suppression,
)
from inbox_agent.report.timeline import Course, course
from inbox_agent.sending.outbox import OutboxEntry
from inbox_agent.sending.render import Business

WHOLE = frozenset({Status.REVIVE})  # their reminder's date is shown, however old
HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)


@dataclass(frozen=True)
class ReportRules:
    business: Business
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    acknowledge_within: timedelta = DAY
    inform_within: timedelta = 72 * HOUR
    agents: tuple[tuple[str, str], ...] = ()  # (address, name), in the config's order
    listed: int = 25  # rows of a list of records before "and N more"

    def agent_name(self, address: str) -> str:
        return next((name for email, name in self.agents if email == address), address)

    @property
    def tz_name(self) -> str:
        return str(getattr(self.tz, "key", self.tz))


@dataclass(frozen=True)
class Facts:
    prospects: tuple[Prospect, ...]
    messages: tuple[LoggedMessage, ...] = ()
    quarantined: tuple[QuarantineEntry, ...] = ()
    undeliverable: tuple[OutboxEntry, ...] = ()  # outbox entries refused for good
    suppressions: tuple[Suppression, ...] = ()
    cap_notices: tuple[OutboxEntry, ...] = ()  # a cap on automatic mail held one back

    @cached_property
    def courses(self) -> tuple[Course, ...]:
        return tuple(course(p) for p in self.prospects)
