"""The person behind an inquiry: address, name, phone, company and what they asked.

Vocabulary: *form fields* are the labelled lines of a notification (``mail.fields``); a *payload*
is a machine-readable lead in the body or an attachment (``mail.payloads``: ADF/XML, JSON-like). A
*robot* message (see ``sources``) was sent by a machine on the person's behalf: the person is
found, in this order, in the payload, the form's e-mail field, a Reply-To, an address inside a
display name ("Josh <josh@…> via Zumper"), the subject, or an address alone on a line of the body;
never From. *Ours* are the shared mailbox, its aliases, the agents and owners and every address at
the business's own domains (``[business] website`` and the mailbox's domain, public mail
providers left out): never the person. The *platform's* addresses share the sender's registrable
domain (``support@zillow.com`` beside ``…@reply.zillow.com``): never the person either, except a
*relay* the source rule names (``relay``), which is the address to answer when it is the only
one (``Origin.RELAY``). The *signature* is the last lines of the new text, with quoted (``>``)
lines and the quoted history below "On … wrote:" left out.

Everything returned is sanitized: no control characters or line breaks, white space collapsed,
lengths capped. Names that look like header injection (``@``, ``:``, ``<``) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from inbox_agent.mail.domains import at_domains, business_domains, same_owner
from inbox_agent.mail.fields import (
    FormField,
    form_items,
    sanitize,
    sub_source,
)  # fmt: skip
from inbox_agent.mail.message import Message
from inbox_agent.mail.names import (
    NAME_CAP,
    display_name,
    field_names,
    line_name,
    notification_names,
)  # fmt: skip
from inbox_agent.mail.payloads import Payload, find_payload
from inbox_agent.mail.phones import Phone, field_phone, link_phone, text_phone
from inbox_agent.mail.question import fresh_text, question

__all__ = ["Contact", "Origin", "extract_contact", "fresh_text", "names_person"]

COMPANY_CAP, TOPIC_CAP = 200, 200
_SIGNATURE_LINES = 15
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_VALID_EMAIL = re.compile(
    r"^[^@\s<>\"(),;:]{1,64}@[\w-]+(\.[\w-]+)*\.([^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})$"
)
_NOREPLY = re.compile(r"^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|notifications?)\b")
_BARE_EMAIL = re.compile(r"^\s*<?([\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+)>?\s*$")
_REQUESTED = re.compile(  # "Rosa requested a quote from Acme for a dishwasher repair."
    r"(?i)\brequested an? (?:quote|estimate|consultation|appointment|booking)\b[^.\n]{0,80}? "
    r"for (?:an? |the )?(?P<topic>[^.\n]{3,80})\."
)
_FOUND_ON = re.compile(r"(?i)\bfound (?:your|this|the) (?:listing|ad|property|home) on ([\w.-]+)")


class Origin(StrEnum):
    """Where the person's address was found. Only ``FROM`` is the sender itself: any other
    origin names an address the message's sender chose, which may be anyone's."""

    FROM = "from"
    REPLY_TO = "reply_to"
    FORM = "form"  # a form field of a notification's body
    PAYLOAD = "payload"  # an ADF/XML or JSON-like lead in the body or an attachment
    DISPLAY_NAME = "display_name"  # inside a display name: "Josh <josh@…> via Zumper"
    SUBJECT = "subject"  # an address in the subject line
    BODY = "body"  # an address alone on a line of a notification's body
    RELAY = "relay"  # a platform's relay address (Zillow, Yelp, …): the only way to answer
    NONE = "none"  # no address found


@dataclass(frozen=True)
class Contact:
    email: str  # the person's address, never the form robot's
    name: str  # first name, '' if unknown
    surname: str
    phone: str  # E.164 when valid, else ''
    company: str
    question: str  # one line echoing what they asked
    fields: Mapping[str, str] = field(default_factory=dict, hash=False)  # canonical key -> value
    origin: Origin = Origin.NONE
    phone_raw: str = ""  # the number as written, kept whether or not it could be normalised
    sub_source: str = ""  # the channel behind a form lead: "facebook / spring_sale", "nextdoor"
    topic: str = ""  # the product, service, vehicle or property a form asks about
    form: tuple[tuple[str, str], ...] = ()  # a notification's own fields, label -> value

    @property
    def relay(self) -> bool:
        """The address is a platform's relay, not the person's own."""
        return self.origin == Origin.RELAY


@dataclass(frozen=True)
class _Ours:
    """Addresses that are never the person: ours, our domains', the robot sender and its
    platform's (``sender`` is '' for a person's own mail)."""

    addresses: frozenset[str]
    domains: frozenset[str]
    sender: str
    relays: frozenset[str]

    def excludes(self, address: str) -> bool:
        return (
            address in self.addresses
            or at_domains(address, self.domains)
            or address in self.relays
            or (bool(self.sender) and (address == self.sender or same_owner(address, self.sender)))
        )


def _valid_email(value: str, ours: _Ours | None = None) -> str:
    found = _EMAIL.search(value)
    address = found.group(0).lower().strip(".") if found else ""
    if not _VALID_EMAIL.match(address) or (ours is not None and ours.excludes(address)):
        return ""
    return address


class _Found:
    """An address, the display name that came with it, its origin, and its line of the body."""

    def __init__(self, email: str, name: str, origin: Origin, line: int = -1) -> None:
        self.email, self.name, self.origin, self.line = email, name, origin, line


def _robot_addresses(
    msg: Message, items: Iterable[FormField], payload: Payload | None, lines: list[str],
    ours: _Ours,
) -> Iterable[_Found]:  # fmt: skip
    """Where a notification names its person, best first (see the module docstring)."""
    if payload and (found := _valid_email(payload.email, ours)):
        yield _Found(found, "", Origin.PAYLOAD)
    for item in items:
        mail = item.key in ("email", "from") or "mail" in item.key or "correo" in item.key
        if mail and (found := _valid_email(item.value, ours)):
            yield _Found(found, item.value if item.key == "from" else "", Origin.FORM)
    for a in msg.reply_to:
        if not _NOREPLY.match(a.email) and (found := _valid_email(a.email, ours)):
            yield _Found(found, a.name, Origin.REPLY_TO)
    for a in (*filter(None, (msg.from_,)), *msg.reply_to):
        if found := _valid_email(a.name, ours):
            yield _Found(found, a.name.split("<")[0], Origin.DISPLAY_NAME)
    if found := _valid_email(msg.subject, ours):
        yield _Found(found, "", Origin.SUBJECT)
    for i, line in enumerate(lines):
        if (bare := _BARE_EMAIL.match(line)) and (found := _valid_email(bare.group(1), ours)):
            yield _Found(found, "", Origin.BODY, i)
    for a in (*filter(None, (msg.from_,)), *msg.reply_to):
        if a.email in ours.relays:
            yield _Found(a.email, a.name, Origin.RELAY)


def _person_addresses(msg: Message, ours: _Ours) -> Iterable[_Found]:
    sender = msg.from_.email if msg.from_ else ""
    for a in msg.reply_to:
        if not _NOREPLY.match(a.email) and (found := _valid_email(a.email, ours)):
            yield _Found(found, a.name, Origin.FROM if found == sender else Origin.REPLY_TO)
    if msg.from_ and (found := _valid_email(sender, ours)):
        yield _Found(found, msg.from_.name, Origin.FROM)


def _phone(
    msg: Message, items: Iterable[FormField], payload: Payload | None, text: str, lines: list[str],
    robot: bool, region: str,
) -> Phone | None:  # fmt: skip
    """Fields first (a valid one before one kept as written), then free text, then links."""
    fields = [field_phone(payload.phone, region) if payload and payload.phone else None]
    fields += [field_phone(i.value, region) for i in items if i.key == "phone"]
    found = [f for f in fields if f is not None]
    if found:
        return next((f for f in found if f.e164), found[0])
    message = next((i.value for i in items if i.key == "message"), "")
    if robot:
        texts = [message, text]
    else:
        texts = ["\n".join([ln for ln in lines if ln.strip()][-_SIGNATURE_LINES:]), text]
    for part in texts:
        if part and (phone := text_phone(part, region)):
            return phone
    return link_phone(msg.links, region)


def _names(
    msg: Message, fields: Mapping[str, str], payload: Payload | None, chosen: _Found | None,
    lines: list[str], text: str, robot: bool,
) -> tuple[str, str]:  # fmt: skip
    sender = msg.from_.email if msg.from_ else ""
    platform = sender.rpartition("@")[2]
    candidates = [(payload.name, payload.surname) if payload else ("", ""), field_names(fields)]
    if chosen:
        named = next((a.name for a in msg.reply_to if a.email == chosen.email and a.name), "")
        candidates.append(display_name(chosen.name or named, platform))
        if chosen.line >= 0:
            candidates.append(line_name(lines, chosen.line))
    if robot:
        candidates.append(notification_names(msg.subject, text, platform))
        if chosen and chosen.origin == Origin.RELAY and msg.from_:
            candidates.append(display_name(msg.from_.name, platform))
    elif msg.from_:
        candidates.append(display_name(msg.from_.name))
    return next((c for c in candidates if c[0] or c[1]), ("", ""))


def extract_contact(
    msg: Message,
    *,
    robot: bool,
    default_region: str = "US",
    own_addresses: frozenset[str] = frozenset(),
    site_domains: frozenset[str] = frozenset(),
    relays: frozenset[str] = frozenset(),
) -> Contact:
    """Who wrote (for a robot: who filled in the form), from headers, payload, form, signature.

    ``own_addresses``: the shared mailbox, its aliases, agents and owners; ``site_domains``: the
    business's own domains; ``relays``: the addresses of this message the source rule calls a
    platform's relay (``SourceMatch.relays``)."""
    sender = msg.from_.email if msg.from_ else ""
    ours = _Ours(
        frozenset(a.lower() for a in own_addresses), business_domains(site_domains),
        sender if robot else "", relays,
    )  # fmt: skip
    text = fresh_text(msg.text)
    lines = text.splitlines()
    items = form_items(text)
    fields: dict[str, str] = {}
    for item in items:
        fields.setdefault(item.key, item.value)
    payload = find_payload(msg.text, msg.payloads) if robot else None
    found = (
        _robot_addresses(msg, items, payload, lines, ours)
        if robot
        else _person_addresses(msg, ours)
    )
    chosen = next(iter(found), None)
    name, surname = _names(msg, fields, payload, chosen, lines, text, robot)
    phone = _phone(msg, items, payload, text, lines, robot, default_region)
    form = [(i.label, i.value) for i in items] + list(payload.fields if payload else ())
    topic = (payload.topic if payload else "") or fields.get("topic", "")
    if robot and not topic and (requested := _REQUESTED.search(text)):
        topic = requested["topic"]
    channel = sub_source(fields)
    if robot and not channel and (found_on := _FOUND_ON.search(text)):
        channel = found_on.group(1).lower().strip(".")
    if payload and payload.comments and "message" not in fields:
        fields["message"] = payload.comments
    return Contact(
        email=chosen.email if chosen else "",
        name=sanitize(name, NAME_CAP),
        surname=sanitize(surname, NAME_CAP),
        phone=phone.e164 if phone else "",
        company=sanitize(fields.get("company", ""), COMPANY_CAP),
        question=question(fields, lines, robot),
        fields=fields,  # a plain dict: it must pickle (the reader's worker processes)
        origin=chosen.origin if chosen else Origin.NONE,
        phone_raw=phone.raw if phone else "",
        sub_source=channel,
        topic=sanitize(topic, TOPIC_CAP),
        form=tuple(dict.fromkeys(form)) if robot else (),
    )


def names_person(
    msg: Message, *, own_addresses: frozenset[str], site_domains: frozenset[str]
) -> str:
    """The address of the person a notification names, or '': its body (text, HTML table,
    ``Label: value`` lines, a JSON-like or XML payload) holds an e-mail address that is neither
    ours nor the sender's platform's, plus a name, phone or message field."""
    sender = msg.from_.email if msg.from_ else ""
    ours = _Ours(own_addresses, business_domains(site_domains), sender, frozenset())
    payload = find_payload(msg.text, msg.payloads)
    named = payload and (payload.name or payload.phone or payload.comments)
    if payload and named and (found := _valid_email(payload.email, ours)):
        return found
    text = fresh_text(msg.text)
    items = form_items(text)
    if not any(i.key in ("name", "first_name", "last_name", "phone", "message") for i in items):
        return ""
    for candidate in (*(i.value for i in items), *text.split()):
        if "@" in candidate and (found := _valid_email(candidate, ours)):
            return found
    return ""
