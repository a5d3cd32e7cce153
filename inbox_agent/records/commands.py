"""Commands by mail: the ``#`` lines agents and owners write. Pure: text in, data out.

Vocabulary:

- A **command** is a line of an agent's or owner's *new* text (the quote cut off by the caller)
  that starts with ``#`` and a known keyword, case-insensitive, optionally followed by ``:``::

      #status email                 one of the statuses (``follow up`` / ``follow-up`` allowed)
      #stage prospect               lead, prospect or customer
      #quote 1500 Q-1042 https://…  amount, then optional id, optional http(s) link
      #sale € 1.500,00 INV-7 https://…   value, optional invoice id, optional link
      #lost too expensive           the objection, free text
      #assign bob@example.com       an agent's address (or name, resolved by the caller)
      #note called, will decide Friday
      #record 12                    which record (id, or the prospect's address) when the
                                    message does not thread to one
      #lang es                      the language of our automatic mail to them (ISO 639-1)

  Amounts are kept as written (``1500``, ``1,500.00``, ``R1500``, ``€ 1.500,00``, ``1500 EUR``)
  but must contain a number. ``#quote`` and ``#sale`` always have three args (amount, id, link;
  missing ones are ``""``); the others have one.
- A line starting with ``#`` and an unknown letters-word (``#foo``) is an **error**, reported
  back; ``#1 priority``, ``# heading`` and hashtags mid-line are prose. Parsing stops at a
  signature delimiter (``-- ``), so hashtags in a signature are never commands.

Who may give commands is ``records.trust``.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from inbox_agent.records.prospect import STAGES, STATUSES

KEYWORDS = ("status", "stage", "quote", "sale", "lost", "assign", "note", "record", "lang")

_LINE = re.compile(r"[ \t]*#([^\W\d_][\w-]*)(?=[\s:]|$):?[ \t]*(.*)")
_SYMBOLS = (  # Unicode's currency symbols (category Sc) in the BMP
    r"$\u00a2-\u00a5\u058f\u060b\u07fe\u07ff\u09f2\u09f3\u09fb\u0af1\u0bf9\u0e3f\u17db"
    r"\u20a0-\u20c0\ua838\ufdfc\ufe69\uff04\uffe0\uffe1\uffe5\uffe6"
)
_CUR = rf"(?:[^\W\d_]{{1,3}}\.?|[^\W\d_]{{0,3}}[{_SYMBOLS}])"  # R, EUR, Rs., €, US$, R$
_NUM = r"\d(?:[\d.,'\u2019]*\d)?(?:[.,]-)?"  # 1500, 1,500.00, 1.500,00, 1'500, 1.500,-
_AMOUNT = re.compile(rf"{_CUR}?{_NUM}{_CUR}?")
_PREFIX = re.compile(_CUR)
_SUFFIX = re.compile(rf"[A-Z]{{3}}|[{_SYMBOLS}]")  # 1500 EUR, 1500 €
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_AMOUNT_HELP = "a number, e.g. 1500, 1,500.00, R1500 or € 1.500,00"


@dataclass(frozen=True)
class Command:
    """One command line: keyword (lower-case), its arguments, and the line as written."""

    name: str
    args: tuple[str, ...]
    line: str


@dataclass(frozen=True)
class Parsed:
    commands: tuple[Command, ...]
    errors: tuple[str, ...]


class _Bad(Exception):
    """A command line that cannot be understood; the message goes back to the agent."""


def _one_of(name: str, rest: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    value = re.sub(r"[\s-]+", "_", rest.strip().lower())
    if value not in allowed:
        got = f"; got {rest.strip()!r}" if rest.strip() else ""
        raise _Bad(f"#{name} needs one of: {', '.join(allowed)}{got}")
    return (value,)


def _link(token: str) -> str | None:
    """The link in ``token``, None when it is not one; raises when it is a link but not http(s)."""
    bare = token.strip("<>")
    if "://" not in bare and not bare.lower().startswith(("www.", "mailto:")):
        return None
    parts = urlsplit(bare)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise _Bad(f"links must be http(s): {bare!r}")
    return bare


def _money(name: str, rest: str) -> tuple[str, ...]:
    """``amount [id] [link]``; the amount kept as written (it may span a currency token)."""
    tokens = [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", rest)]
    first = 0
    if len(tokens) > 1 and _PREFIX.fullmatch(tokens[0][0]) and _AMOUNT.fullmatch(tokens[1][0]):
        first = 1
    if not tokens or not _AMOUNT.fullmatch(tokens[first][0]):
        got = f"; got {tokens[0][0]!r}" if tokens else ""
        raise _Bad(f"#{name} needs an amount first: {_AMOUNT_HELP}{got}")
    last = first
    if len(tokens) > last + 1 and _SUFFIX.fullmatch(tokens[last + 1][0]):
        last += 1
    amount = rest[tokens[0][1] : tokens[last][2]]
    ident = link = ""
    for token, _, _ in tokens[last + 1 :]:
        found = _link(token)
        if found is not None and not link:
            link = found
        elif found is None and not ident:
            ident = token
        else:
            raise _Bad(f"#{name} takes an amount, an id and a link; unexpected {token!r}")
    return (amount, ident, link)


def _text(name: str, rest: str, what: str) -> tuple[str, ...]:
    if not rest.strip():
        raise _Bad(f"#{name} needs {what}")
    return (rest.strip(),)


def _assignee(rest: str) -> tuple[str, ...]:
    if "@" not in rest:
        return _text("assign", rest, "an agent's address or name")
    _, addr = email.utils.parseaddr(rest.strip())
    if not _EMAIL.fullmatch(addr):
        raise _Bad(f"#assign needs an agent's address or name; got {rest.strip()!r}")
    return (addr.lower(),)


def _language(rest: str) -> tuple[str, ...]:
    code = rest.strip().lower()
    if not re.fullmatch(r"[a-z]{2}", code):
        raise _Bad(f"#lang needs a two-letter language code such as es or de; got {rest.strip()!r}")
    return (code,)


def _record(rest: str) -> tuple[str, ...]:
    value = rest.strip().removeprefix("#")
    if value.isdigit() and int(value) > 0:
        return (str(int(value)),)
    if _EMAIL.fullmatch(value.strip("<>")):
        return (value.strip("<>").lower(),)
    raise _Bad(f"#record needs a record number or the prospect's address; got {rest.strip()!r}")


def _args(name: str, rest: str) -> tuple[str, ...]:
    if name == "status":
        return _one_of(name, rest, STATUSES)
    if name == "stage":
        return _one_of(name, rest, STAGES)
    if name in ("quote", "sale"):
        return _money(name, rest)
    if name == "lost":
        return _text(name, rest, "the reason (the objection)")
    if name == "note":
        return _text(name, rest, "some text")
    if name == "assign":
        return _assignee(rest)
    if name == "lang":
        return _language(rest)
    return _record(rest)


def parse_commands(text: str) -> Parsed:
    """Every command line in ``text`` (the new text of a message), in order, and the errors."""
    commands: list[Command] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if raw.rstrip() == "--":  # the signature delimiter: nothing below is a command
            break
        match = _LINE.fullmatch(raw.rstrip())
        if match is None:
            continue
        name, rest = match.group(1).lower(), match.group(2)
        if name not in KEYWORDS:
            known = ", ".join(f"#{k}" for k in sorted(KEYWORDS))
            errors.append(f"line {number}: unknown command #{match.group(1)}; known: {known}")
            continue
        try:
            commands.append(Command(name, _args(name, rest), line))
        except _Bad as exc:
            errors.append(f"line {number}: {exc}")
    records = {c.args for c in commands if c.name == "record"}
    if len(records) > 1:
        errors.append(f"more than one #record: {', '.join(sorted(r[0] for r in records))}")
    return Parsed(tuple(commands), tuple(errors))
