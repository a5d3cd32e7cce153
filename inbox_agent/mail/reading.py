"""What one inbound message is, before any record is looked at: its ``Reading``. Pure.

Vocabulary: ``ReadingRules`` bundles what understanding a message needs (the detectors' policy,
the source and interest rules, the defaults, our own and staff addresses). A ``Reading`` is one
parsed message with its kind (``classify``), source and interest (``sources``), the person behind
it (``contact``), the text they wrote this time (``fresh``) and the automatic ``action`` it
deserves on its own (``acknowledge`` or ``none``). Needing no records, a reading can be made in a
worker process; what it does to the records is decided later (``plan.inbound``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from inbox_agent.mail.classify import ClassifyPolicy, Kind, Verdict, classify, says_no_reply
from inbox_agent.mail.contact import Contact, extract_contact, names_person
from inbox_agent.mail.domains import at_domains, business_domains, domain_of, registrable
from inbox_agent.mail.language import language_of
from inbox_agent.mail.message import Message, parse_message
from inbox_agent.mail.named import named_address_refusal, sender_contact
from inbox_agent.mail.replies import new_text
from inbox_agent.mail.sources import (
    SITE_SOURCE,
    InterestRule,
    SourceMatch,
    SourceRule,
    match_interest,
    match_source,
)

ROBOT_ADDRESS = re.compile(
    r"^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?|daemon|notifications?)"
    r"([+._-].*)?@",
    re.IGNORECASE,
)
ACKNOWLEDGE, NO_ACTION = "acknowledge", "none"
# Kinds whose new text matters: a person's mail (an inquiry, a reply, mail sent as us) and the
# out-of-office replies kept in a thread.
_FRESH_KINDS = frozenset({Kind.INQUIRY, Kind.OWN, Kind.AUTO_REPLY})


@dataclass(frozen=True)
class ReadingRules:
    """The part of the settings that understanding one message needs."""

    policy: ClassifyPolicy
    sources: tuple[SourceRule, ...]
    interests: tuple[InterestRule, ...]
    default_source: str
    default_interest: str
    default_region: str
    own_addresses: frozenset[str]
    staff: frozenset[str]  # agents and owners: never prospects, never acknowledged
    site_domains: frozenset[str] = frozenset()  # the business's own domains (config.site_domains)
    languages: tuple[str, ...] = ()  # the languages the business answers in ([business])


@dataclass(frozen=True)
class Reading:
    message: Message
    verdict: Verdict
    source: SourceMatch
    interest: str
    contact: Contact | None
    action: str  # ACKNOWLEDGE | NO_ACTION
    action_reason: str
    fresh: str = ""  # what the person wrote this time: the text above the quoted history
    language: str = ""  # the language they wrote it in (ISO 639-1), "" when not clear

    @property
    def kind(self) -> Kind:
        return self.verdict.kind

    @property
    def sender(self) -> str:
        return self.message.from_.email if self.message.from_ else ""


def may_mail(address: str, rules: ReadingRules) -> str | None:
    """Why an automatic mail must not go to this address, or None when it may."""
    if not address:
        return "no address to answer"
    if address in rules.own_addresses:
        return "our own address"
    if address in rules.staff:
        return "an agent's or owner's address"
    if ROBOT_ADDRESS.match(address) or says_no_reply(address.rpartition("@")[0]):
        return "a no-reply or system address"
    return None


def read_message(raw: bytes, rules: ReadingRules, *, truncated: bool = False) -> Reading:
    """Parse and understand one message. Raises ``ParseError`` for unreadable mail."""
    return understand(parse_message(raw, truncated=truncated), rules)


def understand(msg: Message, rules: ReadingRules) -> Reading:
    """Everything about a message that needs no records."""
    reading = _understand(msg, rules)
    if reading.kind in _FRESH_KINDS:
        reading = replace(reading, fresh=new_text(msg.text))
    if reading.kind == Kind.INQUIRY and rules.languages:
        said = reading.fresh
        if (
            reading.source.robot and reading.contact is not None
        ):  # the form's words, not its robot's
            said = reading.contact.fields.get("message", "") or reading.contact.question
        reading = replace(reading, language=language_of(said, rules.languages))
    return reading


def _understand(msg: Message, rules: ReadingRules) -> Reading:
    source = match_source(msg, rules.sources, rules.default_source, rules.site_domains)
    ours = rules.own_addresses | rules.staff
    sender = msg.from_.email if msg.from_ else ""
    own_domain = at_domains(sender, business_domains(rules.site_domains))
    named: list[str] = []  # names_person, computed once and only when needed

    def names() -> str:
        if not named:
            named.append(names_person(msg, own_addresses=ours, site_domains=rules.site_domains))
        return named[0]

    if not source.robot and (sender in rules.own_addresses or own_domain) and names():
        # from the business's own address or domain, naming someone else: the site's own form
        reason = "from the business's own domain, names a person"
        source = SourceMatch(SITE_SOURCE, True, reason, source.known_sender)
    verdict = classify(msg, rules.policy, robot_source=source.robot)
    platform = source.known_sender and not own_domain and not source.robot
    if verdict.detector == "no_reply_sender" or (platform and verdict.detector == "none"):
        # a no-reply sender, or a platform's robot whose mail no rule took for a lead
        if names():  # a lead is never dropped for its sender: a robot sent it for a person
            verdict = Verdict(Kind.INQUIRY, f"{verdict.reason}, but names a person", "names_person")
            if not source.robot:  # no rule knows this robot: tag it by its sending domain
                tag = registrable(domain_of(sender)) or rules.default_source
                source = SourceMatch(tag, True, "robot tagged by its domain", source.known_sender)
        elif verdict.kind == Kind.INQUIRY:
            verdict = Verdict(Kind.AUTO_REPLY, "a platform's own notice", "platform_notice")
    if verdict.kind != Kind.INQUIRY:
        return Reading(
            msg, verdict, source, "", None, NO_ACTION, f"not an inquiry: {verdict.reason}"
        )
    contact = extract_contact(
        msg,
        robot=source.robot,
        default_region=rules.default_region,
        own_addresses=ours if source.robot else rules.own_addresses,
        site_domains=rules.site_domains,
        relays=source.relays,
    )
    chosen = (contact.fields.get("subject", ""), contact.topic, contact.fields.get("message", ""))
    text = "\n".join(chosen) if source.robot else None
    interest = match_interest(msg, rules.interests, rules.default_interest, text)
    relay = named_address_refusal(msg, source, contact, rules.policy)  # the open-relay rule
    if relay:
        sender = msg.from_.email if msg.from_ else ""
        mailable = sender not in rules.own_addresses and may_mail(sender, rules) is None
        found = sender_contact(msg, contact, relay, mailable)
        contact = found.contact
        if found.keep or source.robot:  # a robot we do not know: nobody is answered
            return Reading(msg, verdict, source, interest, contact, NO_ACTION,
                           f"no acknowledgment: {relay}")  # fmt: skip
    refused = may_mail(contact.email, rules)
    if refused:
        return Reading(
            msg, verdict, source, interest, contact, NO_ACTION, f"no acknowledgment: {refused}"
        )
    return Reading(msg, verdict, source, interest, contact, ACKNOWLEDGE, "new inquiry")


_FINAL_RECIPIENT = re.compile(
    r"(?im)^(?:final|original)-recipient:\s*(?:rfc822;)?\s*<?([^\s<>;]+@[^\s<>;]+)>?"
)
_FAILED = re.compile(r"(?im)^(?:action:\s*failed|status:\s*5\.\d+\.\d+)")


def failed_recipients(msg: Message) -> frozenset[str]:
    """Addresses a bounce reports as permanently failed (DSN blocks, X-Failed-Recipients)."""
    found = {a.strip().lower() for v in msg.header_all("x-failed-recipients") for a in v.split(",")}
    if msg.report and _FAILED.search(msg.report):
        found.update(m.lower() for m in _FINAL_RECIPIENT.findall(msg.report))
    return frozenset(a for a in found if "@" in a)
