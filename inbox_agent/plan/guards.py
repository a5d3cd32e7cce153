"""The guards on automatic mail: may this acknowledgment go now? Pure, over a record and ``now``.

An acknowledgment (``sending.actions.Acknowledge``) goes to a new inquiry at once (business
hours do not apply) unless one of the guards says no, in this order:

- the reading already refused (a robot, our own or an agent's address, an address the message
  named that we may not mail: ``mail.named``);
- it is too late: the record was acknowledged, an agent has answered the person, or the record
  has left ``new`` (an agent called, a command moved it);
- the address hard-bounced our mail;
- the inquiry is older than ``max_age`` (found in a backlog: recorded, left to the agent, never
  answered days late by a robot);
- a *cap* is full (``Caps``): the recipient already had ``cap`` automatic mails in ``window``;
  the recipient's domain had ``domain_cap`` acknowledgments in the last hour (not counted for a
  sender the rules know: a form's visitors share gmail.com); the whole mailbox sent
  ``mailbox_cap`` in the last hour. The domain and mailbox caps are what keep any loop the other
  rules miss small; when one trips, the agent and the supervisors are told once an hour
  (``plan.inbound``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from inbox_agent.records.prospect import Prospect, Status
from inbox_agent.sending.actions import Acknowledge

HOUR = timedelta(hours=1)


class CapScope(StrEnum):
    """Which cap held an acknowledgment back."""

    RECIPIENT = "recipient"
    DOMAIN = "domain"
    MAILBOX = "mailbox"


@dataclass(frozen=True)
class AckPolicy:
    max_age: timedelta = timedelta(hours=72)
    cap: int = 5
    window: timedelta = timedelta(hours=2)
    domain_cap: int = 10  # acknowledgments to one domain per hour
    mailbox_cap: int = 100  # acknowledgments from the whole mailbox per hour


@dataclass(frozen=True)
class Recent:
    """When automatic mail went out lately: to this address, to its domain, from the mailbox."""

    recipient: Sequence[datetime] = ()
    domain: Sequence[datetime] = ()
    mailbox: Sequence[datetime] = ()


def _count(times: Sequence[datetime], now: datetime, window: timedelta) -> int:
    return sum(1 for t in times if now - window < t <= now)


def within_cap(times: Sequence[datetime], now: datetime, policy: AckPolicy) -> bool:
    return _count(times, now, policy.window) < policy.cap


def full_cap(
    recent: Recent, now: datetime, policy: AckPolicy, *, count_domain: bool = True
) -> tuple[CapScope, str] | None:
    """The cap that is full, and why; None when mail may go."""
    if not within_cap(recent.recipient, now, policy):
        return CapScope.RECIPIENT, f"{policy.cap} automatic mails in {policy.window} already"
    if count_domain and _count(recent.domain, now, HOUR) >= policy.domain_cap:
        return CapScope.DOMAIN, f"{policy.domain_cap} acknowledgments to its domain this hour"
    if _count(recent.mailbox, now, HOUR) >= policy.mailbox_cap:
        return CapScope.MAILBOX, f"{policy.mailbox_cap} acknowledgments from the mailbox this hour"
    return None


def too_late(prospect: Prospect) -> str | None:
    """Why an acknowledgment would come at the wrong moment for this record, or None."""
    if prospect.acknowledged_at is not None:
        return "already acknowledged"
    if prospect.first_response_at is not None or prospect.information_sent_at is not None:
        return "an agent has answered already"
    if prospect.status != Status.NEW:
        return f"the record has left new (status {prospect.status})"
    return None


@dataclass(frozen=True)
class AckPlan:
    """The acknowledgment (or None), why, and the cap that held it back (if one did)."""

    action: Acknowledge | None
    why: str
    cap: CapScope | None = None


def plan_acknowledgment(
    prospect: Prospect,
    *,
    wanted: bool,
    refusal: str,
    arrived: datetime,
    now: datetime,
    recent: Recent,
    suppressed: bool,
    policy: AckPolicy,
    count_domain: bool = True,
) -> AckPlan:
    """``wanted``/``refusal`` come from the message's reading; ``count_domain`` is False for a
    sender the rules know (its visitors' domains are not the sender's)."""
    if not wanted:
        return AckPlan(None, refusal)
    late = too_late(prospect)
    if late:
        return AckPlan(None, late)
    if suppressed:
        return AckPlan(None, "the address bounced our mail before")
    if now - arrived > policy.max_age:
        return AckPlan(None, f"older than {policy.max_age}: left to the agent")
    full = full_cap(recent, now, policy, count_domain=count_domain)
    if full is not None:
        return AckPlan(None, full[1], full[0])
    return AckPlan(Acknowledge(prospect.id, prospect.email), "acknowledge now")
