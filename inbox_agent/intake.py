"""What one inbound message is, and what it does to the prospect records: pure decisions.

Vocabulary: ``Rules`` bundles the settings the decisions need; a ``Reading`` is one parsed message
with its kind (``classify``), source and interest (``sources``), the person behind it
(``contact``) and the automatic ``action`` it deserves; ``apply_reading`` turns a reading plus the
person's current records into the record to save. No I/O, no clock: ``now`` is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from inbox_agent.classify import ClassifyPolicy, Verdict, classify
from inbox_agent.commands import TrustPolicy, parse_commands
from inbox_agent.config import Agent, Settings
from inbox_agent.contact import Contact, extract_contact
from inbox_agent.letters import MESSAGE_ID_PREFIX
from inbox_agent.message import Message, parse_message
from inbox_agent.prospect import Event, Prospect
from inbox_agent.replies import new_text
from inbox_agent.replies import summary as text_summary
from inbox_agent.sources import InterestRule, SourceMatch, SourceRule, match_interest, match_source

ROBOT_ADDRESS = re.compile(
    r"^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?|daemon|notifications?)"
    r"([+._-].*)?@",
    re.IGNORECASE,
)
SUMMARY_CHARS = 160


@dataclass(frozen=True)
class Rules:
    """The part of the settings the intake decisions use."""

    policy: ClassifyPolicy
    sources: tuple[SourceRule, ...]
    interests: tuple[InterestRule, ...]
    default_source: str
    default_interest: str
    default_region: str
    own_addresses: frozenset[str]
    agents: frozenset[str]  # staff: agents and owners (never prospects, never acknowledged)
    agent_list: tuple[Agent, ...] = ()  # the agents, in config order (assignment, #assign)
    trust: TrustPolicy = field(default_factory=TrustPolicy)
    keep_bodies: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        own = settings.mailbox.own_addresses
        return cls(
            policy=ClassifyPolicy(
                own_addresses=own,
                own_message_id_domains=frozenset({settings.message_id_domain}),
                own_message_id_prefix=MESSAGE_ID_PREFIX,
                loop_header=settings.classify.loop_header,
                spam_headers=settings.classify.spam_headers,
            ),
            sources=settings.sources,
            interests=settings.interests,
            default_source=settings.classify.default_source,
            default_interest=settings.classify.default_interest,
            default_region=settings.classify.default_region,
            own_addresses=own,
            agents=settings.staff,
            agent_list=settings.agents,
            trust=TrustPolicy(settings.commands.trust, frozenset(settings.commands.authserv_ids)),
            keep_bodies=settings.store.keep_bodies,
        )


@dataclass(frozen=True)
class Reading:
    message: Message
    verdict: Verdict
    source: SourceMatch
    interest: str
    contact: Contact | None
    action: str  # "acknowledge" | "none"
    action_reason: str
    fresh: str = ""  # what the person wrote this time: the text above the quoted history
    has_commands: bool = False  # ``#command`` lines in ``fresh`` (only staff may give them)

    @property
    def kind(self) -> str:
        return self.verdict.kind


def may_mail(address: str, rules: Rules) -> str | None:
    """Why an automatic mail must not go to this address, or None when it may."""
    if not address:
        return "no address to answer"
    if address in rules.own_addresses:
        return "our own address"
    if address in rules.agents:
        return "an agent's or owner's address"
    if ROBOT_ADDRESS.match(address):
        return "a no-reply or system address"
    return None


def read_message(raw: bytes, rules: Rules, *, truncated: bool = False) -> Reading:
    """Parse and understand one message. Raises ``ParseError`` for unreadable mail."""
    msg = parse_message(raw, truncated=truncated)
    return understand(msg, rules)


def understand(msg: Message, rules: Rules) -> Reading:
    """Everything about a message that needs no records (so it can run in a worker process)."""
    reading = _understand(msg, rules)
    if reading.kind in ("inquiry", "own", "auto_reply"):
        fresh = new_text(msg.text)
        reading = replace(reading, fresh=fresh, has_commands=bool(parse_commands(fresh).commands))
    return reading


def _understand(msg: Message, rules: Rules) -> Reading:
    source = match_source(msg, rules.sources, rules.default_source)
    verdict = classify(msg, rules.policy, robot_source=source.robot)
    if verdict.kind != "inquiry":
        return Reading(msg, verdict, source, "", None, "none", f"not an inquiry: {verdict.reason}")
    contact = extract_contact(
        msg,
        robot=source.robot,
        default_region=rules.default_region,
        own_addresses=rules.own_addresses,
    )
    interest = match_interest(msg, rules.interests, rules.default_interest)
    refused = may_mail(contact.email, rules)
    if refused:
        return Reading(
            msg, verdict, source, interest, contact, "none", f"no acknowledgment: {refused}"
        )
    return Reading(msg, verdict, source, interest, contact, "acknowledge", "new inquiry")


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


def summary(reading: Reading) -> str:
    if reading.contact and reading.contact.question:
        return reading.contact.question[:SUMMARY_CHARS]
    return reading.message.subject[:SUMMARY_CHARS]


def is_human_from_us(msg: Message, rules: Rules) -> bool:
    """From the shared address without our robot's marks: a person using the shared account."""
    ours = msg.from_ is not None and msg.from_.email in rules.own_addresses
    robot = rules.policy.loop_header.lower() in msg.headers or msg.message_id.startswith(
        rules.policy.own_message_id_prefix
    )
    return ours and not robot


def event_for(
    reading: Reading, *, kind: str, at: datetime, folder: str, uid: int, keep_body: bool
) -> Event:
    msg = reading.message
    text = reading.fresh if kind in ("prospect_reply", "agent_reply") else ""
    return Event(
        at=at,
        direction="out" if kind == "agent_reply" else "in",
        kind=kind,
        message_id=msg.message_id,
        summary=text_summary(text) if text else summary(reading),
        folder=folder,
        uid=uid,
        body=reading.message.text if keep_body else None,
    )


def their_subject(reading: Reading) -> str:
    """The subject the person chose: for a form or ad notification, the form's subject field
    (the robot's "New lead from …" is not theirs), else nothing; otherwise the mail's subject."""
    contact = reading.contact
    if reading.source.robot:
        return contact.fields.get("subject", "") if contact else ""
    return reading.message.subject


def apply_reading(
    reading: Reading,
    *,
    open_record: Prospect | None,
    previous: Prospect | None,
    event: Event,
    now: datetime,
) -> Prospect | None:
    """The record this reading creates or updates, or None when it touches no record.

    An inquiry from someone with an open record joins that record (never two open records for
    one address). Someone whose last record is closed gets a new record linked to the old one:
    a past customer asking again is served as a prospect again, with their history kept.
    """
    contact = reading.contact
    if reading.kind != "inquiry" or contact is None or not contact.email:
        return None
    msg = reading.message
    if open_record is not None:
        return replace(
            open_record,
            name=open_record.name or contact.name,
            surname=open_record.surname or contact.surname,
            phone=open_record.phone or contact.phone,
            company=open_record.company or contact.company,
            last_inbound_at=now,
            message_ids=(*open_record.message_ids, msg.message_id),
            timeline=(*open_record.timeline, event),
        )
    returning = previous is not None and previous.stage in ("prospect", "customer")
    return Prospect(
        email=contact.email,
        created_at=now,
        name=contact.name,
        surname=contact.surname,
        phone=contact.phone,
        company=contact.company,
        source=reading.source.name,
        interest=reading.interest,
        stage="prospect" if returning else "lead",
        status="new",
        last_inbound_at=now,
        subject=their_subject(reading)[:300],
        question=contact.question,
        previous_id=previous.id if previous else None,
        message_ids=(msg.message_id,),
        timeline=(event,),
    )
