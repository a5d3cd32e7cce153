"""The safety rules on one incoming message's mail: who may be mailed, and when not. Pure.

Helpers of ``plan.inbound.decide`` (docs/SECURITY.md says what each one stops):

- ``cap_notices``: when a cap on automatic mail (``plan.guards``) held an acknowledgment back,
  tell the agent and the supervisors, once per cap and hour (the outbox key does the "once").
- ``flagged``: a message that named an address its sender chose (``mail.named``): the record's
  ``attention`` says so, and the agent's notification shows it beside the record's address.
- ``bounced``: a hard bounce suppresses an address only when it names mail of ours.
- ``answers_our_mail``: an answer to our own automatic mail within seconds is a robot's; one
  from an address we never wrote to is never acknowledged.

``SafetyRules`` is the part of ``InboundRules`` these need.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from inbox_agent.mail.classify import Kind
from inbox_agent.mail.named import NAMED_KEY, UNVERIFIED_KEY
from inbox_agent.mail.reading import Reading, ReadingRules, failed_recipients
from inbox_agent.plan.context import Context
from inbox_agent.plan.guards import AckPolicy, CapScope
from inbox_agent.records.prospect import Direction, Prospect, Suppression
from inbox_agent.sending.actions import Action, CapNotice


class SafetyRules(Protocol):
    @property
    def reading(self) -> ReadingRules: ...
    @property
    def ack(self) -> AckPolicy: ...
    @property
    def supervisors(self) -> tuple[str, ...]: ...
    @property
    def robot_answer(self) -> timedelta: ...


def cap_notices(
    record: Prospect, scope: CapScope, rules: SafetyRules, now: datetime
) -> list[Action]:
    """Once per cap and hour (the outbox key), to the agent and each supervisor."""
    limit = {CapScope.DOMAIN: f"{rules.ack.domain_cap} per domain per hour",
             CapScope.MAILBOX: f"{rules.ack.mailbox_cap} per hour"}.get(scope, "")  # fmt: skip
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0).isoformat()
    people = dict.fromkeys(p for p in (record.assigned_to, *rules.supervisors) if p)
    return [CapNotice(record.id, person, str(scope), limit, hour) for person in people]


def flagged(record: Prospect, reading: Reading) -> Prospect:
    """A new record whose address the message's sender chose: flagged for a person."""
    fields = reading.contact.fields if reading.contact else {}
    if UNVERIFIED_KEY in fields:
        return replace(record, attention=fields[UNVERIFIED_KEY][:300])
    if NAMED_KEY in fields:
        return replace(record, attention=f"the message also names {fields[NAMED_KEY]}"[:300])
    return record


def is_ours(message_id: str, rules: ReadingRules) -> bool:
    """A Message-ID inbox-agent made (``sending.letters.message_id_for``)."""
    local, _, domain = message_id.rpartition("@")
    policy = rules.policy
    return local.startswith(policy.own_message_id_prefix) and (
        domain.lower() in policy.own_message_id_domains
    )


def bounced(
    reading: Reading, context: Context, rules: SafetyRules
) -> tuple[tuple[Suppression, ...], tuple[str, ...], tuple[str, ...]]:
    """A hard bounce of mail we sent: that address gets no more automatic mail. (suppressions,
    warnings, log lines)"""
    if reading.kind != Kind.BOUNCE:
        return (), (), ()
    msg = reading.message
    failed = sorted(a for a in failed_recipients(msg) if context.mail_times.get(a))
    if not failed:
        return (), (), ()
    loop = f"{rules.reading.policy.loop_header.lower()}:"
    ids = (*msg.returned_ids, *msg.in_reply_to, *msg.references)
    if not any(is_ours(m, rules.reading) for m in ids) and loop not in msg.text.lower():
        why = f"{msg.message_id}: a bounce that names no mail of ours: no address suppressed"
        return (), (), (why,)
    suppress = tuple(Suppression(a, f"bounce {msg.message_id}", context.now) for a in failed)
    warnings = tuple(f"{msg.message_id}: hard bounce: no more automatic mail there" for _ in failed)
    return suppress, warnings, ()


def answers_our_mail(
    reading: Reading, context: Context, rules: SafetyRules
) -> tuple[str, str] | None:
    """("auto" | "no_ack", why) for mail from an address we never wrote to that answers our own
    automatic mail: within seconds, a robot's; later, never acknowledged (a helpdesk answering
    from a new address). Someone we wrote to is answering us: not judged here."""
    msg, sender = reading.message, reading.sender
    ours = [m for m in (*msg.in_reply_to, *msg.references) if is_ours(m, rules.reading)]
    if not ours:
        return None
    if context.mail_times.get(sender):
        return None  # someone we wrote to: their own reply (threads to their record)
    sent = [
        e.at for m in ours if (r := context.by_message_id.get(m)) is not None
        for e in r.timeline if e.message_id == m and e.direction != Direction.IN
    ]  # fmt: skip
    if sent and timedelta(0) <= context.arrived - min(sent) <= rules.robot_answer:
        seconds = int((context.arrived - min(sent)).total_seconds())
        return "auto", f"answered our automatic mail within {seconds} s (a robot)"
    return "no_ack", "a reply to our automatic mail from an address we never wrote to"
