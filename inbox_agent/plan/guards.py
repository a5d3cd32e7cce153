"""The guards on automatic mail: may this acknowledgment go now? Pure, over a record and ``now``.

An acknowledgment (``sending.actions.Acknowledge``) goes to a new
inquiry at once (business hours do not apply) unless one of the guards says no: the reading
already refused (a robot, our own or an agent's address), the address hard-bounced our mail,
the recipient already had ``cap`` automatic mails in ``window``, or the inquiry is older than
``max_age`` (found in a backlog: recorded, left to the agent, never answered days late by a robot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox_agent.records.prospect import Prospect
from inbox_agent.sending.actions import Acknowledge


@dataclass(frozen=True)
class AckPolicy:
    max_age: timedelta = timedelta(hours=72)
    cap: int = 5
    window: timedelta = timedelta(hours=2)


def within_cap(times: Sequence[datetime], now: datetime, policy: AckPolicy) -> bool:
    recent = [t for t in times if now - policy.window < t <= now]
    return len(recent) < policy.cap


def plan_acknowledgment(
    prospect: Prospect,
    *,
    wanted: bool,
    refusal: str,
    arrived: datetime,
    now: datetime,
    mail_times: Sequence[datetime],
    suppressed: bool,
    policy: AckPolicy,
) -> tuple[Acknowledge | None, str]:
    """(the action or None, why). ``wanted``/``refusal`` come from the message's reading."""
    if not wanted:
        return None, refusal
    if prospect.acknowledged_at is not None:
        return None, "already acknowledged"
    if suppressed:
        return None, "the address bounced our mail before"
    if now - arrived > policy.max_age:
        return None, f"older than {policy.max_age}: left to the agent"
    if not within_cap(mail_times, now, policy):
        return None, f"{policy.cap} automatic mails in {policy.window} already"
    return Acknowledge(prospect.id, prospect.email), "acknowledge now"
