"""Where an inquiry came from (its *source*) and what it is about (its *interest*), from rules.

Vocabulary:

- A *source* is the point of origin of an inquiry: ``website``, ``facebook``, ``referral``, …;
  ``email`` (a person writing in directly) is the default when no rule fires.
- A *robot* source is mail a machine sends on a person's behalf (form plugins, ad platforms): the
  person is in the body or in Reply-To, never in From. ``contact.extract_contact`` needs to know.
- A ``SourceRule`` is one ``[[sources]]`` table of rules.toml. Its *conditions* are the keys it
  gives: ``from``, ``to`` (To, Cc and Delivered-To), ``reply_to`` (lists of shell-style globs on the
  addresses, case-insensitive), ``subject``, ``body`` (lists of regular expressions, searched in the
  body text and in XML/JSON attachments), ``links`` (regular expressions searched in the targets of
  the HTML links) and each entry of ``headers`` (a regex per header name). A condition holds when
  any of its patterns matches. ``relay`` is no condition: globs on the addresses of a platform's
  per-conversation *relays* (``*@reply.zillow.com``): mail to one reaches the person, so when a
  notification names no other address, the relay is the address to answer. ``match = "any"``
  (the default) fires on the first condition that holds; ``"all"`` only when every condition
  given holds. Rules are tried in order; the first that fires wins, and
  several rules may share a name.
- An *interest* is what the person wants: ``quote``, ``technical_assistance``, …, with
  ``product_information`` the default. An ``InterestRule`` is a list of keywords, matched
  case-insensitively and accent-insensitively as whole words in the subject and body; a keyword
  ending in ``*`` matches any word it begins, and spaces inside one match any white space.

Everything is compiled once, when the rules are parsed. The body is searched only by rules that
have body patterns, and only its first ``BODY_CAP`` characters.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from inbox_agent.exceptions import Problem
from inbox_agent.mail.domains import at_domains, business_domains
from inbox_agent.mail.message import Message
from inbox_agent.problems import Problems

BODY_CAP = 20_000  # characters of body text the rules look at
SOURCE_KEYS = (
    "name", "robot", "from", "to", "reply_to", "subject", "headers", "body", "links", "relay",
    "match",
)  # fmt: skip
SITE_SOURCE = "website"  # a form on the business's own site that no rule named
INTEREST_KEYS = ("name", "keywords")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


@dataclass(frozen=True)
class Glob:
    """A shell-style pattern on an e-mail address, kept with its text for the reason."""

    text: str
    regex: re.Pattern[str]

    def matches(self, addresses: Sequence[str]) -> bool:
        return any(self.regex.match(a) for a in addresses)


@dataclass(frozen=True)
class SourceRule:
    name: str
    robot: bool
    from_: tuple[Glob, ...] = ()
    to: tuple[Glob, ...] = ()
    reply_to: tuple[Glob, ...] = ()
    subject: tuple[re.Pattern[str], ...] = ()
    headers: tuple[tuple[str, re.Pattern[str]], ...] = ()  # (lower-case header name, regex)
    body: tuple[re.Pattern[str], ...] = ()
    links: tuple[re.Pattern[str], ...] = ()
    relay: tuple[Glob, ...] = ()  # not a condition: the platform's relay addresses
    match: str = "any"  # "any" | "all"

    @functools.cached_property
    def address_tests(self) -> tuple[tuple[str, re.Pattern[str], tuple[Glob, ...]], ...]:
        """(label, one regex for all its globs, the globs) for from, to and reply_to: a
        message's addresses are tried against each label once, not glob by glob."""
        return tuple(
            (label, re.compile("|".join(f"(?:{g.regex.pattern})" for g in globs)), globs)
            for label, globs in (("from", self.from_), ("to", self.to), ("reply_to", self.reply_to))
            if globs
        )

    @functools.cached_property
    def known_senders(self) -> tuple[Glob, ...]:
        """The ``from`` globs that name a platform's domain, for a robot rule (``known_sender``)."""
        return tuple(g for g in self.from_ if _names_a_domain(g)) if self.robot else ()


@dataclass(frozen=True)
class InterestRule:
    name: str
    keywords: re.Pattern[str]  # one alternation of every keyword, on accent-folded text


@dataclass(frozen=True)
class SourceMatch:
    name: str
    robot: bool
    reason: str  # e.g. "from matches wordpress@*"
    known_sender: bool = False  # From is a robot we know by name (see ``known_sender``)
    relays: frozenset[str] = frozenset()  # From / Reply-To addresses the rule calls relays


# ---------------------------------------------------------------- parsing rules.toml


def _strings(item: dict[str, Any], key: str, where: str, out: Problems) -> list[tuple[str, str]]:
    """The list at ``item[key]`` as (location, text) pairs; problems for anything else."""
    value = item.get(key, [])
    if not isinstance(value, list):
        out.add(f"{where}.{key}", f'must be a list of strings, e.g. {key} = ["…"]')
        return []
    found: list[tuple[str, str]] = []
    for i, text in enumerate(value):
        if not isinstance(text, str) or not text.strip():
            out.add(f"{where}.{key}[{i}]", "must be a non-empty string")
        else:
            found.append((f"{where}.{key}[{i}]", text))
    return found


def _regex(text: str, at: str, out: Problems) -> re.Pattern[str] | None:
    try:
        return re.compile(text)
    except re.error as exc:
        out.add(at, f"not a valid regular expression: {exc}")
        return None


def _globs(item: dict[str, Any], key: str, where: str, out: Problems) -> tuple[Glob, ...]:
    found: list[Glob] = []
    for at, text in _strings(item, key, where, out):
        pattern = _regex(fnmatch.translate(text.strip().lower()), at, out)
        if pattern is not None:
            found.append(Glob(text.strip(), pattern))
    return tuple(found)


def _regexes(
    item: dict[str, Any], key: str, where: str, out: Problems
) -> tuple[re.Pattern[str], ...]:
    compiled = (_regex(text, at, out) for at, text in _strings(item, key, where, out))
    return tuple(p for p in compiled if p is not None)


def _headers(
    item: dict[str, Any], where: str, out: Problems
) -> tuple[tuple[str, re.Pattern[str]], ...]:
    value = item.get("headers", {})
    if not isinstance(value, dict):
        out.add(f"{where}.headers", 'must be a table of header name = "regex"')
        return ()
    found: list[tuple[str, re.Pattern[str]]] = []
    for name, text in value.items():
        at = f"{where}.headers.{name}"
        if not _HEADER_NAME.match(name):
            out.add(at, "not a valid header name")
        elif not isinstance(text, str) or not text:
            out.add(at, "must be a non-empty string (a regular expression)")
        elif (pattern := _regex(text, at, out)) is not None:
            found.append((name.lower(), pattern))
    return tuple(found)


def _name(item: dict[str, Any], where: str, out: Problems) -> str:
    name = item.get("name")
    if name is None:
        out.add(f"{where}.name", "is required")
    elif not isinstance(name, str) or not _NAME.match(name):
        out.add(f"{where}.name", "must be a short name of letters, digits, _ or - (e.g. website)")
    else:
        return name
    return ""


def _source_rule(item: dict[str, Any], where: str, out: Problems) -> SourceRule | None:
    before = len(out.items)
    for key in item:
        if key not in SOURCE_KEYS:
            out.unknown(f"{where}.{key}", key, SOURCE_KEYS)
    name = _name(item, where, out)
    robot = item.get("robot", False)
    if not isinstance(robot, bool):
        out.add(f"{where}.robot", "must be true or false")
    match = item.get("match", "any")
    if match not in ("any", "all"):
        out.add(f"{where}.match", 'must be "any" or "all"')
    rule = SourceRule(
        name=name,
        robot=robot is True,
        from_=_globs(item, "from", where, out),
        to=_globs(item, "to", where, out),
        reply_to=_globs(item, "reply_to", where, out),
        subject=_regexes(item, "subject", where, out),
        headers=_headers(item, where, out),
        body=_regexes(item, "body", where, out),
        links=_regexes(item, "links", where, out),
        relay=_globs(item, "relay", where, out),
        match=str(match),
    )
    if len(out.items) > before:
        return None
    conditions = (rule.from_, rule.to, rule.reply_to, rule.subject, rule.headers, rule.body,
                  rule.links)  # fmt: skip
    if not any(conditions):
        out.add(
            where, "has no conditions: give from, to, reply_to, subject, headers, body or links"
        )
        return None
    return rule


def _tables(raw: object, section: str, out: Problems) -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, table) for each table of the list, reporting whatever else it holds."""
    if not isinstance(raw, list):
        out.add(section, f"must be a list of tables ([[{section}]])")
        return
    for i, item in enumerate(raw):
        if isinstance(item, dict):
            yield f"{section}[{i}]", item
        else:
            out.add(f"{section}[{i}]", "must be a table")


def parse_source_rules(raw: object, file: str) -> tuple[tuple[SourceRule, ...], list[Problem]]:
    """The ``[[sources]]`` list, validated; every problem is reported, none raised."""
    out = Problems(file)
    rules = (_source_rule(item, where, out) for where, item in _tables(raw, "sources", out))
    return tuple(r for r in rules if r is not None), out.items


def fold(text: str) -> str:
    """Lower case without accents: ``Cotización`` → ``cotizacion``."""
    if text.isascii():
        return text.lower()
    text = text.replace("\u2019", "'")  # U+2019, the apostrophe mail clients type
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()


def _keyword(text: str) -> str:
    word = fold(" ".join(text.split()))
    prefix = word.endswith("*")
    body = r"\s+".join(re.escape(part) for part in word.rstrip("*").split(" "))
    return body + (r"\w*" if prefix else "")


def parse_interest_rules(raw: object, file: str) -> tuple[tuple[InterestRule, ...], list[Problem]]:
    """The ``[[interests]]`` list, validated; every problem is reported, none raised."""
    out = Problems(file)
    rules: list[InterestRule] = []
    for where, item in _tables(raw, "interests", out):
        before = len(out.items)
        for key in item:
            if key not in INTEREST_KEYS:
                out.unknown(f"{where}.{key}", key, INTEREST_KEYS)
        name = _name(item, where, out)
        words = [_keyword(t) for _, t in _strings(item, "keywords", where, out) if t.strip("* ")]
        if "keywords" not in item or (not words and len(out.items) == before):
            out.add(f"{where}.keywords", "give at least one keyword")
        if len(out.items) == before:
            alternation = "|".join(sorted(set(words), key=len, reverse=True))
            pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)
            rules.append(InterestRule(name, pattern))
    return tuple(rules), out.items


# ---------------------------------------------------------------- matching


def _show(pattern: re.Pattern[str]) -> str:
    text = " ".join(pattern.pattern.split())
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class _Addresses:
    """A message's addresses as the ``from``, ``to`` and ``reply_to`` conditions see them."""

    by_label: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, msg: Message) -> _Addresses:
        return cls({
            "from": (msg.from_.email,) if msg.from_ else (),
            "to": (*(a.email for a in (*msg.to, *msg.cc)), *msg.delivered_to),
            "reply_to": tuple(a.email for a in msg.reply_to),
        })  # fmt: skip


def _conditions(
    rule: SourceRule, msg: Message, body: str, addresses: _Addresses
) -> Iterator[tuple[str, bool]]:
    """(reason, holds) for each condition of the rule, cheapest first, computed lazily."""
    for label, any_glob, globs in rule.address_tests:
        theirs = addresses.by_label[label]
        if not any(any_glob.match(a) for a in theirs):
            yield label, False
            continue
        hit = next(g for g in globs if g.matches(theirs))
        yield f"{label} matches {hit.text}", True
    if rule.subject:
        found = next((p for p in rule.subject if p.search(msg.subject)), None)
        yield (f"subject matches {_show(found)}" if found else "subject"), found is not None
    for name, pattern in rule.headers:
        holds = any(pattern.search(v) for v in msg.header_all(name))
        yield f"header {name} matches {_show(pattern)}", holds
    if rule.body:
        found = next((p for p in rule.body if p.search(body)), None)
        if found is None and msg.payloads:
            found = next(
                (p for p in rule.body for part in msg.payloads if p.search(part[:BODY_CAP])), None
            )
        yield (f"body matches {_show(found)}" if found else "body"), found is not None
    if rule.links:
        found = next((p for p in rule.links if any(p.search(u) for u in msg.links)), None)
        yield (f"a link matches {_show(found)}" if found else "links"), found is not None


def _fires(rule: SourceRule, msg: Message, body: str, addresses: _Addresses) -> str | None:
    if rule.match == "all" and rule.address_tests:  # most rules fail here: say so at once
        label, any_glob, _ = rule.address_tests[0]
        if not any(any_glob.match(a) for a in addresses.by_label[label]):
            return None
    reasons: list[str] = []
    for reason, holds in _conditions(rule, msg, body, addresses):
        if holds and rule.match == "any":
            return reason
        if not holds and rule.match == "all":
            return None
        if holds:
            reasons.append(reason)
    return " and ".join(reasons) if reasons and rule.match == "all" else None


def _names_a_domain(glob: Glob) -> bool:
    """``*@facebookmail.com`` names the platform's domain; ``wordpress@*`` fits anyone's."""
    domain = glob.text.rpartition("@")[2]
    return bool(domain) and not any(c in domain for c in "*?[")


def known_sender(
    msg: Message, rules: Sequence[SourceRule], site_domains: frozenset[str] = frozenset()
) -> bool:
    """From is a robot we know by name: an address at one of the business's own domains (its
    site's forms), or one a robot rule's ``from`` glob names with a concrete domain (a platform's
    sender). A From header alone can be forged; the caller decides what that proof is worth."""
    sender = msg.from_.email if msg.from_ else ""
    if at_domains(sender, business_domains(site_domains)):  # never gmail.com and the like
        return True
    return any(g.regex.match(sender) for rule in rules for g in rule.known_senders)


def match_source(
    msg: Message,
    rules: Sequence[SourceRule],
    default: str = "email",
    site_domains: frozenset[str] = frozenset(),
) -> SourceMatch:
    """The first rule that fires names the source; else ``default`` (a person, not a robot)."""
    body = msg.text[:BODY_CAP]
    known = known_sender(msg, rules, site_domains)
    addresses = _Addresses.of(msg)
    for rule in rules:
        reason = _fires(rule, msg, body, addresses)
        if reason is not None:
            return SourceMatch(rule.name, rule.robot, reason, known, _relays(rule, msg))
    return SourceMatch(default, False, "no source rule matched", known)


def _relays(rule: SourceRule, msg: Message) -> frozenset[str]:
    addresses = (*((msg.from_.email,) if msg.from_ else ()), *(a.email for a in msg.reply_to))
    return frozenset(a for a in addresses if any(g.matches((a,)) for g in rule.relay))


def match_interest(
    msg: Message,
    rules: Sequence[InterestRule],
    default: str = "product_information",
    text: str | None = None,
) -> str:
    """The first rule with a keyword in ``text`` names the interest; else ``default``. ``text``
    defaults to the subject and body; for a form notification the caller passes what the person
    chose (the form's subject, product or service fields, their message)."""
    if not rules:
        return default
    text = fold(text if text is not None else f"{msg.subject}\n{msg.text[:BODY_CAP]}")
    for rule in rules:
        if rule.keywords.search(text):
            return rule.name
    return default
