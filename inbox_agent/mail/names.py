"""A person's name: from form fields, a display name, a notification's subject or its first lines.

Pure. Vocabulary: a *full name* is split into (name, surname) as "Surname, Name" or "Name
Surname" (honorifics dropped; a common two-word given name such as "Ana Paula" or "Juan Pablo"
stays the name). A *robot name* is no person's: a display name with words such as "WordPress",
"Forms" or "Team", or one that repeats the sending platform's domain ("Yelp Inbox" from
``messaging.yelp.com``). Notifications often name the person only in their *subject* ("New
realtor.com lead - Grace Holloway", "[Rafael Lima] New Form Submission", "New quote request from
Rosa") or in a *sentence* of their own ("Rosa T. sent you a new quote request"). Names that look
like header injection (``@``, ``:``, ``<``) or carry digits are dropped.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping

from inbox_agent.mail.fields import sanitize
from inbox_agent.mail.sources import fold

NAME_CAP = 100
_BAD_NAME = re.compile(r"[@:<>;=\\\"]|https?|\d{3}")
_HONORIFIC = re.compile(
    r"^(?:(?:mr|mrs|ms|miss|dr|prof|sr|sra|srta|herr|frau|mme|mlle)\.?|m\.)\s+", re.IGNORECASE
)
_ROBOTS = (  # a display name with one of these words is no person's
    "wordpress wix squarespace webflow hubspot facebook meta linkedin google twitter x no-reply "
    "noreply notification notifications mailer daemon postmaster forms form website admin info "
    "sales support team leads inbox lead contact"
)
_ROBOT_WORDS = frozenset(_ROBOTS.split())
# First words of two-word given names that are usually kept together (pt, es, fr, it).
_COMPOUND_FIRST = frozenset(
    fold(w)
    for w in [
        "ana",
        "maria",
        "joão",
        "juan",
        "josé",
        "luiz",
        "luis",
        "luís",
        "pedro",
        "jean",
        "marie",
        "anne",
        "gian",
    ]
)
_COMPOUND_SECOND = frozenset(
    fold(w)
    for w in [
        "paula",
        "clara",
        "luiza",
        "luísa",
        "luisa",
        "eduarda",
        "fernanda",
        "beatriz",
        "júlia",
        "julia",
        "carolina",
        "cristina",
        "pedro",
        "paulo",
        "carlos",
        "vitor",
        "victor",
        "gabriel",
        "guilherme",
        "miguel",
        "antonio",
        "antónio",
        "manuel",
        "pablo",
        "josé",
        "maría",
        "luis",
        "pierre",
        "claude",
        "marie",
        "luc",
        "paul",
        "sophie",
        "luca",
        "carlo",
        "paolo",
    ]
)
_SUBJECT_NAMES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # New realtor.com lead - Grace Holloway
        r"\blead\s*[-\u2013:]\s*(?P<n>[^-\u2013:()\[\]]+?)\s*$",
        r"^\[(?P<n>[^\]]+)\]\s*new (?:form )?(?:submission|entry)\b",  # Fluent Forms
        r"\b(?:message|request|inquiry|enquiry|lead|question|booking)\b.{0,80}?\bfrom\s+"
        r"(?![\"\u201c'])(?P<n>[^,;:()\[\]\"\u201c\u201d]+?)\s*$",  # New quote request from Rosa
        r"^reservation (?:confirmed|request(?:ed)?)\s*[-\u2013:]\s*(?P<n>.+?)\s+"
        r"(?:arrives|wants|has|is)\b",  # Airbnb
    )
)
_SENTENCE_NAME = re.compile(
    r"^(?P<n>[^\W\d_][\w'\u2019.-]*(?: [^\W\d_][\w'\u2019.-]*){0,3}) "
    r"(?:sent you|requested|would like|"
    r"is interested|has requested|has sent|wants to|said:)",
    re.MULTILINE,
)


def clean_name(value: str) -> str:
    """A person's name from a field or display name, or '' when it is none (or an injection)."""
    display, address = email.utils.parseaddr(value)
    if address and "@" in address:
        value = display
    first_line = next((line for line in value.splitlines() if line.strip()), "")
    value = sanitize(first_line, NAME_CAP).strip("'\" ")
    return "" if _BAD_NAME.search(value) else value


def split_name(full: str) -> tuple[str, str]:
    """(name, surname) from "Surname, Name" or "Name Surname"."""
    if full.count(",") == 1:
        surname, name = (p.strip() for p in full.split(","))
        return _HONORIFIC.sub("", name), surname
    words = _HONORIFIC.sub("", full).split()
    if not words:
        return "", ""
    given = 1
    if len(words) >= 3 and fold(words[0]) in _COMPOUND_FIRST and fold(words[1]) in _COMPOUND_SECOND:
        given = 2
    return " ".join(words[:given]), " ".join(words[given:])


def robot_name(value: str, platform: str = "") -> bool:
    """The name is a robot's: robot words, or a label of the sending platform's domain."""
    words = set(re.split(r"[\s,.|()]+", fold(value)))
    labels = {label for label in platform.lower().split(".") if len(label) >= 4}
    return bool(words & _ROBOT_WORDS or words & labels or fold(value) in labels)


def display_name(value: str, platform: str = "") -> tuple[str, str]:
    """(name, surname) from a header display name; ('', '') for a robot's name."""
    value = clean_name(value)
    return ("", "") if robot_name(value, platform) else split_name(value)


def _person_part(value: str) -> str:
    """ "Contact Form | Olivia Grant" → "Olivia Grant": the last part that is no robot's."""
    parts = [p.strip() for p in value.split("|") if p.strip()]
    return next((p for p in reversed(parts) if not robot_name(p)), "") if len(parts) > 1 else value


def field_names(fields: Mapping[str, str]) -> tuple[str, str]:
    """(name, surname) from a form's name fields."""
    first, last, full = (
        clean_name(_person_part(fields.get(k, ""))) for k in ("first_name", "last_name", "name")
    )
    if not (first or last or full) and (sender := fields.get("from", "")):
        full = clean_name(re.sub(r"<?[^\s<>]+@[^\s<>]+>?", " ", _person_part(sender)))
    if first and last:
        return first, last
    if first and full:  # French "Nom", German "Name" beside a first name: the surname
        rest = full[len(first) :].strip() if fold(full).startswith(fold(first)) else full
        return first, rest
    if last and full:
        rest = full[: -len(last)].strip() if fold(full).endswith(fold(last)) else full
        return rest, last
    if full:
        return split_name(full)
    return first, last


def _plausible(value: str) -> str:
    value = clean_name(value)
    words = value.split()
    if not 1 <= len(words) <= 4 or robot_name(value) or not value[:1].isupper():
        return ""
    if any(c.isdigit() for c in value):
        return ""
    return value


def notification_names(subject: str, text: str, platform: str = "") -> tuple[str, str]:
    """(name, surname) that a notification gives in a sentence of its own or in its subject."""
    for m in _SENTENCE_NAME.finditer(text[:5000]):
        if (found := _plausible(m["n"])) and not robot_name(found, platform):
            return split_name(found)
    for pattern in _SUBJECT_NAMES:
        hit = pattern.search(subject)
        if hit and (found := _plausible(hit["n"])) and not robot_name(found, platform):
            return split_name(found)
    return "", ""


def line_name(lines: list[str], index: int) -> tuple[str, str]:
    """(name, surname) from the line just above ``index`` (an unlabelled contact block)."""
    for line in reversed(lines[max(0, index - 2) : index]):
        if line.strip() and (found := _plausible(line.strip())):
            return split_name(found)
    return "", ""
