"""The person behind an inquiry: address, name, phone, company and what they asked.

Vocabulary: *form fields* are the labelled lines of a notification (``mail.fields``). A *robot*
message (see ``sources``) was sent by a machine on the person's behalf: the person's address comes
from the form or Reply-To, never from From. The *signature* is the last lines of the new text, with
quoted (``>``) lines and the quoted history below "On … wrote:" left out.

Everything returned is sanitized: no control characters or line breaks, white space collapsed,
lengths capped. Names that look like header injection (``@``, ``:``, ``<``) are dropped.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import phonenumbers

from inbox_agent.mail.fields import KEYS, TEXT_CAP, field_head, form_fields, sanitize
from inbox_agent.mail.message import Address, Message
from inbox_agent.mail.sources import fold

NAME_CAP, COMPANY_CAP, QUESTION_CAP = 100, 200, 200
_SIGNATURE_LINES = 15
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_VALID_EMAIL = re.compile(
    r"^[^@\s<>\"(),;:]{1,64}@[\w-]+(\.[\w-]+)*\.([^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})$"
)
_NOREPLY = re.compile(r"^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|notifications?)\b")
_BAD_NAME = re.compile(r"[@:<>;=\\\"]|https?|\d{3}")
_HONORIFIC = re.compile(
    r"^(?:(?:mr|mrs|ms|miss|dr|prof|sr|sra|srta|herr|frau|mme|mlle)\.?|m\.)\s+", re.IGNORECASE
)
_ROBOTS = (  # a display name with one of these words is no person's
    "wordpress wix squarespace webflow hubspot facebook meta linkedin google twitter x no-reply "
    "noreply notification notifications mailer daemon postmaster forms form website admin info "
    "sales support team leads"
)
_ROBOT_WORDS = frozenset(_ROBOTS.split())
_REPLY_CUT = re.compile(
    r"^(?:-{2,}\s*(?:original message|forwarded message|mensaje original|message d'origine|"
    r"urspr\w+ngliche nachricht|messaggio originale|oorspronkelijk bericht|mensagem original)"
    r"\s*-{2,}|(?:on|el|le|am|em|il|op) .{4,200}(?:wrote|escribi\w|a \w?crit|schrieb|escreveu|"
    r"ha scritto|schreef)\b.{0,80}:\s*$|from: .+\n(?:sent|date|enviado|gesendet|envoy\w|data|"
    r"verzonden|inviato): )",
    re.IGNORECASE | re.MULTILINE,
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|dear|greetings|good (?:morning|afternoon|evening|day)|hola|"
    r"buen[oa]s (?:d[ií]as|tardes|noches)|estimad[oa]s?|bonjour|bonsoir|salut|ch[eè]re?s?|"
    r"madame|monsieur|hallo|guten (?:tag|morgen|abend)|sehr geehrte[rs]?|liebe[rs]?|moin|servus|"
    r"ol[aá]|oi|bom dia|boa tarde|prezad[oa]s?|car[oa]|ciao|buongiorno|buonasera|salve|"
    r"gentile|egregio|hoi|beste|geachte|goedemorgen|goedemiddag)\b"
    r"(?:[^,!.:;\n]{0,40}?(?:[,!.:;]+|$))",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^(?:thanks|thank you|many thanks|regards|best|cheers|kind regards|best regards|gracias|"
    r"saludos|un saludo|atentamente|danke|vielen dank|viele gr\w+e|mit freundlichen gr\w+en|"
    r"merci|cordialement|grazie|saluti|cordiali saluti|obrigad[oa]|atenciosamente|bedankt|"
    r"groeten|met vriendelijke groet)\b.{0,30}$",
    re.IGNORECASE,
)
_NOT_PHONE = re.compile(
    r"\b(fax|order|invoice|ref|reference|id|po|zip|postal|vat|iban|account)\b", re.I
)


class Origin(StrEnum):
    """Where the person's address was found. Only ``FROM`` is the sender itself: any other
    origin names an address the message's sender chose, which may be anyone's."""

    FROM = "from"
    REPLY_TO = "reply_to"
    FORM = "form"  # a form field of a notification's body
    NONE = "none"  # no address found


@dataclass(frozen=True)
class Contact:
    email: str  # the person's address, never the form robot's
    name: str  # first name, '' if unknown
    surname: str
    phone: str  # E.164 when parseable, else ''
    company: str
    question: str  # one line echoing what they asked
    fields: Mapping[str, str] = field(default_factory=dict, hash=False)
    origin: Origin = Origin.NONE


def fresh_text(text: str) -> str:
    """The new text of a message: above the quoted history, without ``>`` lines."""
    text = text[:TEXT_CAP].replace("\r\n", "\n")
    cut = _REPLY_CUT.search(text)
    if cut:
        text = text[: cut.start()]
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith(">"))


def _valid_email(value: str, own: frozenset[str]) -> str:
    found = _EMAIL.search(value)
    address = found.group(0).lower().strip(".") if found else ""
    return address if _VALID_EMAIL.match(address) and address not in own else ""


def _clean_name(value: str) -> str:
    """A person's name from a field or display name, or '' when it is none (or an injection)."""
    display, address = email.utils.parseaddr(value)
    if address and "@" in address:
        value = display
    first_line = next((line for line in value.splitlines() if line.strip()), "")
    value = sanitize(first_line, NAME_CAP).strip("'\" ")
    return "" if _BAD_NAME.search(value) else value


def _split(full: str) -> tuple[str, str]:
    """(name, surname) from "Surname, Name" or "Name Surname"."""
    if full.count(",") == 1:
        surname, name = (p.strip() for p in full.split(","))
        return _HONORIFIC.sub("", name), surname
    words = _HONORIFIC.sub("", full).split()
    return (words[0], " ".join(words[1:])) if words else ("", "")


def _display_name(value: str) -> tuple[str, str]:
    """(name, surname) from a header display name; ('', '') for a robot's name."""
    value = _clean_name(value)
    if set(re.split(r"[\s,.]+", value.lower())) & _ROBOT_WORDS:
        return "", ""
    return _split(value)


def _names(fields: Mapping[str, str]) -> tuple[str, str]:
    first, last, full = (
        _clean_name(fields.get(k, "")) for k in ("first_name", "last_name", "name")
    )
    if first and last:
        return first, last
    if first and full:  # French "Nom", German "Name" beside a first name: the surname
        rest = full[len(first) :].strip() if fold(full).startswith(fold(first)) else full
        return first, rest
    if last and full:
        rest = full[: -len(last)].strip() if fold(full).endswith(fold(last)) else full
        return rest, last
    if full:
        return _split(full)
    return first, last


def _phone(text: str, region: str) -> str:
    try:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        ):
            return str(
                phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            )
    except Exception:  # phonenumbers raises on odd input; a phone is never worth a crash
        return ""
    return ""


def _signature_phone(lines: list[str], region: str) -> str:
    tail = [ln for ln in lines if ln.strip()][-_SIGNATURE_LINES:]
    for line in tail:
        if not _NOT_PHONE.search(line) and (found := _phone(line, region)):
            return found
    return ""


def _question(fields: Mapping[str, str], lines: list[str], robot: bool) -> str:
    message = fields.get("message", "").strip()
    if message:
        text = _strip_greeting(message)
        if _meaningful(text):
            return sanitize(text, QUESTION_CAP)
        # the field's first line is only a greeting ("Good morning,"): read on in the body
        start = next((i for i, line in enumerate(lines) if line.strip() == message), None)
        for line in lines[start + 1 :] if start is not None else ():
            head = field_head(line.strip())
            text = "" if head and head.known else _strip_greeting(line.strip())
            if _meaningful(text):
                return sanitize(text, QUESTION_CAP)
        return sanitize(message, QUESTION_CAP)
    if robot:  # the longest free-text answer, else nothing: the robot's own lines are no question
        free = [
            v for k, v in fields.items() if k not in KEYS and len(v.split()) >= 4 and "@" not in v
        ]
        return sanitize(max(free, key=len), QUESTION_CAP) if free else ""
    for line in lines:
        head = field_head(line.strip())
        text = "" if head and head.known else _strip_greeting(line.strip())
        if _meaningful(text):
            return sanitize(text, QUESTION_CAP)
    return ""


def _meaningful(text: str) -> bool:
    """Not empty, not a closing ("Thanks,"), a link or an ``[image]``; three letters at least."""
    if not text or _CLOSING.match(text) or text.startswith(("http", "www.", "[")):
        return False
    return len(re.findall(r"[^\W\d_]", text)) >= 3


def _strip_greeting(line: str) -> str:
    m = _GREETING.match(line)
    rest = line[m.end() :].strip() if m else line
    return rest[:1].upper() + rest[1:] if m else rest


def _address(
    msg: Message, fields: Mapping[str, str], robot: bool, own: frozenset[str]
) -> tuple[str, str, Origin]:
    """(the person's e-mail, the display name that came with it, where the address was found)."""
    sender = msg.from_.email if msg.from_ else ""
    replies = [a for a in msg.reply_to if a.email not in own and not _NOREPLY.match(a.email)]
    candidates: list[tuple[Address, Origin]] = []
    if robot:
        keys = ["email", "from", *(k for k in fields if "mail" in k or "correo" in k)]
        for key in keys:
            if found := _valid_email(fields.get(key, ""), own):
                candidates.append(
                    (Address(fields[key] if key == "from" else "", found), Origin.FORM)
                )
        candidates += [(a, Origin.REPLY_TO) for a in replies if a.email != sender]
    else:
        candidates = [(a, Origin.REPLY_TO) for a in replies]
        if msg.from_ and sender not in own:
            candidates.append((msg.from_, Origin.FROM))
    for candidate, origin in candidates:
        if address := _valid_email(candidate.email, own):
            named = next((a.name for a in msg.reply_to if a.email == address and a.name), "")
            if origin == Origin.REPLY_TO and address == sender:
                origin = Origin.FROM
            return address, candidate.name or named, origin
    return "", "", Origin.NONE


def extract_contact(
    msg: Message,
    *,
    robot: bool,
    default_region: str = "US",
    own_addresses: frozenset[str] = frozenset(),
) -> Contact:
    """Who wrote (for a robot: who filled in the form), from headers, form fields, signature."""
    own = frozenset(a.lower() for a in own_addresses)
    text = fresh_text(msg.text)
    lines = text.splitlines()
    fields = form_fields(text)
    address, display, origin = _address(msg, fields, robot, own)
    name, surname = _names(fields)
    if not name and not surname:
        name, surname = _display_name(display)
    if not name and not surname and not robot and msg.from_:
        name, surname = _display_name(msg.from_.name)
    phone = _phone(fields.get("phone", ""), default_region) if fields.get("phone") else ""
    if not phone and not robot:
        phone = _signature_phone(lines, default_region)
    return Contact(
        email=address,
        name=sanitize(name, NAME_CAP),
        surname=sanitize(surname, NAME_CAP),
        phone=phone,
        company=sanitize(fields.get("company", ""), COMPANY_CAP),
        question=_question(fields, lines, robot),
        fields=dict(fields),  # a plain dict: it must pickle (the reader's worker processes)
        origin=origin,
    )
