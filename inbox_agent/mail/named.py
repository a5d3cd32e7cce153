"""Who may get automatic mail when a message names an address: the open-relay rule. Pure.

An acknowledgment quotes the subject and words of the message it answers, so whoever can choose
its recipient can make us mail anyone anything. The recipient is chosen by the sender whenever
the person's address was found anywhere but in From (``Contact.origin``: a form field, Reply-To,
…). Such an address gets automatic mail only when the message comes from a sender the rules
know (``SourceMatch.known_sender``: the business's own domains, a platform a robot rule names)
and, where our own server's Authentication-Results are present, they show a DKIM, SPF or DMARC
pass for the From domain — a From header alone is forgeable.

Otherwise, when From is a person's address, the inquiry is its *sender's*: the record goes to
the From address, the named address stays in ``Contact.fields`` (``NAMED_KEY``) for the agent
to see, and the sender is acknowledged as anyone writing in is — unless a robot rule fired
(then the sender is a machine we do not know, and nobody gets automatic mail). When From is a
machine's (a no-reply or platform address such as ``submissions@``, ``mail@``), the named person
keeps the record but gets no automatic mail (``Relay.keep``): an agent answers by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from inbox_agent.mail.authentication import our_results, vouched
from inbox_agent.mail.classify import ClassifyPolicy
from inbox_agent.mail.contact import Contact, Origin
from inbox_agent.mail.message import Message
from inbox_agent.mail.sources import SourceMatch

NAMED_KEY = "named_address"  # in Contact.fields: the address the message named, not mailed
UNVERIFIED_KEY = "unverified_address"  # in Contact.fields: why the named person's record gets
# no automatic mail (From was a machine we do not know)
MACHINE_LOCAL = re.compile(  # From local parts of platforms and relays, not of a person
    r"^(submissions?|forms?|leads?|alerts?|mail|mailer|wordpress|webmaster|system|automated|"
    r"auto|notify|robot|bot|website|web|bounce[s]?|messages?|reply|relay)([+._-].*)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Relay:
    """The rule's answer for one message: the contact to record, and why its named address
    gets no automatic mail ("" when it may)."""

    contact: Contact
    refused: str = ""
    keep: bool = False  # the named person keeps the record (From cannot be answered)


def named_address_refusal(
    msg: Message, source: SourceMatch, contact: Contact, policy: ClassifyPolicy
) -> str:
    """Why the address the message names may not get automatic mail, or "" when it may."""
    if contact.origin in (Origin.FROM, Origin.NONE) or not contact.email:
        return ""
    sender = msg.from_.email if msg.from_ else "(no From)"
    if not source.known_sender:
        return f"{contact.email} is named by {sender}, a sender the rules do not know"
    if policy.authserv_ids and msg.from_ is not None:
        ours = our_results(msg, policy.authserv_ids)
        if ours.heard and not vouched(ours, msg.from_.domain):
            return f"{contact.email} is named by {sender}, not verified by {ours.writer}"
    return ""


def sender_contact(msg: Message, contact: Contact, refused: str, mailable: bool) -> Relay:
    """The inquiry as its sender's when From is a person's (``mailable``: our other rules let it
    be answered), else the named person's record without automatic mail."""
    if not refused:
        return Relay(contact)
    if msg.from_ is None or not mailable or MACHINE_LOCAL.match(msg.from_.local):
        kept = replace(contact, fields={**contact.fields, UNVERIFIED_KEY: refused})
        return Relay(kept, refused, keep=True)
    fields = {**contact.fields, NAMED_KEY: contact.email}
    own = replace(contact, email=msg.from_.email, name="", surname="", phone="", company="",
                  fields=fields, origin=Origin.FROM)  # fmt: skip
    return Relay(own, refused)
