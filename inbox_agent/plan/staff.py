"""What a message from an agent or an owner does: ``staff_mail``. Pure.

Staff write in three ways, all from their normal mail client: an answer to the prospect (To or
Cc the prospect, the shared address in Cc or Bcc, or sent as the shared address), a Reply on
our notification (its words are relayed to the prospect: ``plan.relay``), and ``#commands``
(``records.commands``). Commands, relayed words and answers that move the status or the SLA
times need proof the mail is theirs (``records.trust``: our server's Authentication-Results, or
the Sent folder); staff-looking mail without it is kept as *unverified* (``UNVERIFIED``) and
moves nothing. Internal mail about a record is a note, not information sent.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from inbox_agent.mail.classify import Kind
from inbox_agent.mail.reading import Reading
from inbox_agent.plan.context import Context
from inbox_agent.plan.outcome import Outcome
from inbox_agent.plan.relay import answers_our_mail_to_agents, relay, words_for_prospect
from inbox_agent.records import conversation
from inbox_agent.records.commands import Command, parse_commands
from inbox_agent.records.prospect import Direction, Event, Prospect
from inbox_agent.records.trust import internal_only, trusted_sender

if TYPE_CHECKING:  # plan.inbound calls this module: its rules type is for the checker only
    from inbox_agent.plan.inbound import InboundRules

UNVERIFIED = "unverified_agent_reply"  # the timeline kind of staff-looking mail not verified


def staff_mail(
    reading: Reading, record: Prospect | None, event: Event, context: Context,
    rules: InboundRules,
) -> Outcome:  # fmt: skip
    """An agent's or owner's mail: an answer to the prospect (directly, or by Reply on our
    notification: ``plan.relay``), and/or #commands."""
    msg, sender, kind = reading.message, reading.sender, Kind.AGENT_REPLY
    parsed = parse_commands(reading.fresh)
    to_prospect = record is not None and record.email in {a.email for a in (*msg.to, *msg.cc)}
    words = ""
    if record is not None and not to_prospect and answers_our_mail_to_agents(reading, context):
        words = words_for_prospect(reading.fresh)
    refused = ""
    if parsed.commands or parsed.errors or words:
        trusted, why = trusted_sender(
            msg, rules.staff | rules.own, rules.trust, in_sent_folder=context.in_sent_folder
        )
        if not trusted:
            refused = why
        elif not internal_only(msg, rules.staff, rules.own):
            refused = "the mail also went outside the business"
    if refused and not words:
        return Outcome(kind, record, refused=refused)
    applied: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    if (parsed.commands or parsed.errors) and not refused:
        target = _target(parsed.commands, record, context)
        if target is None:
            return Outcome(kind, refused="no record: reply to one, or add #record N")
        updated, done, failed = conversation.apply_commands(
            target, parsed.commands, context.arrived, rules.agents, sender
        )
        if record is not None and updated.id != record.id:
            words = ""  # #record named another record: the words were for this thread's person
        applied, errors, record = tuple(done), (*parsed.errors, *failed), updated
    if record is None:
        return Outcome(kind)
    internal = replace(event, direction=Direction.INTERNAL)
    if words:  # by Reply on our notification: pass the words on, or say why not
        mail = relay(reading, record, words, rules.agents, refused)
        return Outcome(kind, conversation.noted(record, internal), applied=applied,
                        errors=errors, refused=refused, changed=True, mail=mail)  # fmt: skip
    if applied or errors:
        return Outcome(kind, record, applied=applied, errors=errors, changed=True)
    if not to_prospect:  # internal mail about the record: kept, not information sent
        return Outcome(kind, conversation.noted(record, internal), changed=True)
    trusted, why = trusted_sender(
        msg, rules.staff | rules.own, rules.trust, in_sent_folder=context.in_sent_folder
    )
    if not trusted:  # an observation needs the same proof as a command: kept, moves nothing
        unverified = replace(event, kind=UNVERIFIED, direction=Direction.IN,
                             summary=f"unverified ({why}): {event.summary}"[:300])  # fmt: skip
        return Outcome(kind, conversation.noted(record, unverified), changed=True,
                        unverified=f"unverified: {why}")  # fmt: skip
    agent = sender if sender in rules.staff else None
    updated = conversation.agent_replied(record, event, context.arrived, agent)
    return Outcome(kind, updated, changed=True)


def _target(
    commands: tuple[Command, ...], record: Prospect | None, context: Context
) -> Prospect | None:
    for command in commands:
        if command.name == "record":
            ref = command.args[0]
            if ref.isdigit():
                return context.by_id.get(int(ref))
            return context.open_by_email.get(ref)
    return record
