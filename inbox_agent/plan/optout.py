"""Someone asked us to stop writing: what that does, and when it ends. Pure.

Vocabulary: a ``Stop`` is one request to stop (``mail.unsubscribe`` reads the words and our
unsubscribe link). It comes

- from the **unsubscribe link** of our follow-ups: the subject names the record and a token
  (``sending.letters.unsubscribe_token``) that only our mail to that record carries, so it
  holds whoever sends it (a mail client's "Unsubscribe" button, a forward);
- from the **person's words**, in their reply to the record (never an out-of-office or a read
  receipt: those are not a person's mail), or in a mail of their own from their address when
  no record is open (a form that names them does not count: anyone can type an address into a
  form).

A stop suppresses the address (``Barred.OPT_OUT``) — no acknowledgment, follow-up or
drip again, the outbox checks it once more before sending — closes the record (``opted_out``
→ ``done``), and tells its agent once (``OptedOut``, keyed by record).

It ends only when they **write in again themselves** (a new inquiry from their own address):
then the record shows it (``records.conversation.wrote_again``) and the opt-out is lifted. A
bounce never is.
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox_agent.mail.classify import Kind
from inbox_agent.mail.contact import Origin
from inbox_agent.mail.reading import Reading
from inbox_agent.mail.unsubscribe import asks_to_stop, unsubscribe_link
from inbox_agent.plan.context import Context
from inbox_agent.records import conversation
from inbox_agent.records.prospect import Barred, Event, Prospect, Suppression
from inbox_agent.sending.actions import Action, OptedOut
from inbox_agent.sending.letters import unsubscribe_token

LINK = "the unsubscribe link"
EVENT = "opt_out"  # the timeline kind of their request


@dataclass(frozen=True)
class Stop:
    """One request to stop: whose address, and the record it closes (None: no record)."""

    email: str
    record: Prospect | None
    how: str  # their words (quoted), or LINK


def request(reading: Reading, kind: Kind, record: Prospect | None, context: Context) -> Stop | None:
    """The stop this message asks for, or None. ``kind`` and ``record``: its thread."""
    msg = reading.message
    link = unsubscribe_link(msg.subject)
    if link is not None:
        linked = context.by_id.get(link[0])
        if linked is not None and link[1] == unsubscribe_token(linked):
            return Stop(linked.email, linked, LINK)
    if reading.kind != Kind.INQUIRY:  # a robot's mail, a bounce, an out-of-office: never
        return None
    words = asks_to_stop(reading.fresh, msg.subject)
    if words is None:
        return None
    if kind == Kind.PROSPECT_REPLY and record is not None:
        return Stop(record.email, record, f'"{words}"')
    contact = reading.contact
    if kind == Kind.INQUIRY and contact is not None and contact.origin == Origin.FROM:
        email = contact.email
        return Stop(email, context.latest_by_email.get(email), f'"{words}"') if email else None
    return None


def stopped(stop: Stop, event: Event, context: Context, agent: str) -> tuple[
    Prospect | None, Suppression, tuple[Action, ...]
]:  # fmt: skip
    """The record closed, the suppression, and the agent's notice (``agent``: who is told)."""
    suppression = Suppression(stop.email, stop.how, context.now, Barred.OPT_OUT)
    if stop.record is None:
        return None, suppression, ()
    record = conversation.opted_out(stop.record, event, context.arrived, stop.how)
    told = (OptedOut(record.id, agent, stop.how),) if agent else ()
    return record, suppression, told


def lifted(record: Prospect, reading: Reading, context: Context) -> Prospect | None:
    """A new record of someone who had asked us to stop and now wrote in again from their own
    address: the record noting it, or None when nothing is lifted."""
    contact = reading.contact
    if record.email not in context.opted_out or contact is None or contact.origin != Origin.FROM:
        return None
    before = context.latest_by_email.get(record.email)
    when = before.opted_out_at if before is not None and before.id != record.id else None
    return conversation.wrote_again(record, f"{when:%Y-%m-%d}" if when else "earlier", context.now)
