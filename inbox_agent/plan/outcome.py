"""``Outcome``: the record part of a decision about one message, before any mail is planned.
Pure. ``plan.inbound`` and ``plan.staff`` make one; ``plan.inbound.decide`` turns it into the
``Decision`` (adding the acknowledgment, the assignment and the notifications).
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox_agent.mail.classify import Kind
from inbox_agent.plan import optout
from inbox_agent.records.prospect import Prospect, Suppression
from inbox_agent.sending.actions import Action


@dataclass(frozen=True)
class Outcome:
    """The record part of a decision, before any mail is planned."""

    kind: Kind
    record: Prospect | None = None
    created: bool = False
    applied: tuple[str, ...] = ()  # commands carried out
    errors: tuple[str, ...] = ()  # commands not understood
    refused: str = ""  # why commands in it were not accepted
    changed: bool = False  # the record was changed and must be written
    mail: tuple[Action, ...] = ()  # mail the record part already decided (a relayed answer)
    unanswerable: bool = False  # a person's inquiry with no address to answer
    note: str = ""  # why it was taken for what it is, when not the detectors' reason
    no_ack: str = ""  # why it must not be acknowledged, whatever the guards say
    unverified: str = ""  # staff-looking mail that could not be verified, and why
    stop: optout.Stop | None = None  # they asked us to stop writing (``plan.optout``)
    suppress: tuple[Suppression, ...] = ()
