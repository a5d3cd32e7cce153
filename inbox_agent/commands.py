"""Commands by mail, and who may give them. Pure: text and parsed messages in, data out.

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

  Amounts are kept as written (``1500``, ``1,500.00``, ``R1500``, ``€ 1.500,00``, ``1500 EUR``)
  but must contain a number. ``#quote`` and ``#sale`` always have three args (amount, id, link;
  missing ones are ``""``); the others have one.
- A line starting with ``#`` and an unknown letters-word (``#foo``) is an **error**, reported
  back; ``#1 priority``, ``# heading`` and hashtags mid-line are prose. Parsing stops at a
  signature delimiter (``-- ``), so hashtags in a signature are never commands.
- **Trust** (``TrustPolicy``): the sender must be staff (agents and owners), and then the mail
  must be in the shared Sent folder, or — in the default ``authentication-results`` mode — carry
  an ``Authentication-Results`` header (RFC 8601) written by *our* receiving server (a configured
  authserv-id) showing ``dkim=pass`` for the From domain or ``dmarc=pass`` with that
  ``header.from``. Headers claiming any other authserv-id are ignored: anyone can add one
  (RFC 8601 §5). This relies on our server removing headers that arrive claiming its own id, as
  §5 requires. The ``from-header`` mode trusts the From address alone and must be chosen
  explicitly.
- Microsoft 365 (Exchange Online) writes its header without an authserv-id; list
  ``NO_AUTHSERV_ID`` (``"(none)"``) among the ids to trust it. Exchange renames headers that
  arrive with a message to ``Authentication-Results-Original``.
- A command mail must be **internal only**: every To/Cc/Bcc recipient is one of our own
  addresses or staff (``internal_only``), so a command never reaches a prospect.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from inbox_agent.message import Address, Message
from inbox_agent.prospect import STAGES, STATUSES

KEYWORDS = ("status", "stage", "quote", "sale", "lost", "assign", "note", "record")
MODES = ("authentication-results", "from-header")
NO_AUTHSERV_ID = "(none)"

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
_METHOD = re.compile(r"[a-z0-9][a-z0-9-]*")  # RFC 8601 Keyword
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


# --- Authentication-Results (RFC 8601) --------------------------------------------------------


@dataclass(frozen=True)
class AuthResult:
    """One ``method=result`` with its properties (keys lower-case, values unquoted)."""

    method: str
    result: str
    props: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class AuthResults:
    """One header: who wrote it (lower-case; ``""`` when it names no one) and its results."""

    authserv_id: str
    results: tuple[AuthResult, ...]


def _tokens(value: str) -> list[tuple[str, bool]]:
    """(text, is_separator) pairs; comments dropped, quoted strings unquoted, case kept."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c.isspace():
            i += 1
        elif c == "(":  # a comment, possibly nested, with quoted-pairs
            depth = 0
            while i < n:
                if value[i] == "\\":
                    i += 2
                    continue
                depth += {"(": 1, ")": -1}.get(value[i], 0)
                i += 1
                if depth == 0:
                    break
        elif c in ";=":
            out.append((c, True))
            i += 1
        elif c == '"':
            chars: list[str] = []
            i += 1
            while i < n and value[i] != '"':
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(value[i])
                i += 1
            out.append(("".join(chars), False))
            i += 1
        else:
            j = i
            while j < n and not value[j].isspace() and value[j] not in '();="':
                j += 1
            if j == i:  # a stray ")"
                j += 1
            else:
                out.append((value[i:j], False))
            i = j
    return out


def _resinfo(seg: list[tuple[str, bool]]) -> AuthResult | None:
    """``method[/version]=result`` then ``key=value`` pairs; None when it is not one."""
    if len(seg) < 3 or seg[0][1] or seg[1] != ("=", True) or seg[2][1]:
        return None
    method = seg[0][0].split("/")[0].lower()
    if not _METHOD.fullmatch(method):
        return None  # e.g. a stray ``header.i=…`` after a broken writer's ``;``
    props: dict[str, str] = {}
    i = 3
    while i < len(seg):
        key, sep = seg[i]
        if not sep and i + 1 < len(seg) and seg[i + 1] == ("=", True):
            has_value = i + 2 < len(seg) and not seg[i + 2][1]
            props.setdefault(key.lower(), seg[i + 2][0] if has_value else "")
            i += 3 if has_value else 2
        else:
            i += 1  # stray text (a version number, a broken writer's leftovers)
    return AuthResult(method, seg[2][0].lower(), MappingProxyType(props))


def parse_authentication_results(value: str) -> AuthResults:
    """Parse one header value: ``authserv-id [version]; method=result prop=value …; …``.

    Tolerates comments (nested, containing ``;``), quoted values, folding, any case, a missing
    authserv-id (Microsoft 365) and fragments that are not results (skipped).
    """
    segments: list[list[tuple[str, bool]]] = [[]]
    for token in _tokens(value):
        if token == (";", True):
            segments.append([])
        else:
            segments[-1].append(token)
    head = segments[0]
    authserv_id = ""
    if head and not head[0][1] and not (len(head) > 1 and head[1] == ("=", True)):
        authserv_id = head[0][0].lower()
        segments = segments[1:]
    results = tuple(r for r in map(_resinfo, segments) if r is not None)
    return AuthResults(authserv_id, results)


# --- trust --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustPolicy:
    """How a staff member's mail is verified before its commands count.

    ``mode`` is ``authentication-results`` (default) or ``from-header`` (weaker: anyone can
    write a From header; choose it explicitly). ``authserv_ids`` are our receiving server's
    authserv-id(s), e.g. ``mx.google.com``; ``NO_AUTHSERV_ID`` stands for Microsoft 365's.
    """

    mode: str = "authentication-results"
    authserv_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown trust mode {self.mode!r}; known: {', '.join(MODES)}")
        ids = frozenset(i.strip().lower() for i in self.authserv_ids if i.strip())
        object.__setattr__(self, "authserv_ids", ids)


def _domain_of(value: str) -> str:
    return value.strip().strip("<>").rpartition("@")[2].rstrip(".").lower()


def _passes(result: AuthResult, domain: str) -> bool:
    if result.result != "pass" or not domain:
        return False
    if result.method == "dkim":
        # The signing domain; Gmail writes only the identity (``header.i=@example.com``).
        signer = result.props.get("header.d") or result.props.get("header.i", "")
        return _domain_of(signer) == domain
    if result.method == "dmarc":
        return _domain_of(result.props.get("header.from", "")) == domain
    return False


def _describe(result: AuthResult) -> str:
    keys = ("header.d", "header.i") if result.method == "dkim" else ("header.from",)
    props = " ".join(f"{k}={result.props[k]}" for k in keys if k in result.props)
    return f"{result.method}={result.result}" + (f" {props}" if props else "")


def _from_addresses(msg: Message) -> list[str]:
    pairs = email.utils.getaddresses(list(msg.header_all("from")))
    return [addr for _, addr in pairs if "@" in addr]


def trusted_sender(
    msg: Message, staff: frozenset[str], policy: TrustPolicy, *, in_sent_folder: bool = False
) -> tuple[bool, str]:
    """Whether ``msg`` comes from a staff member we can believe, and why (for the record).

    ``staff`` holds agents' and owners' addresses. Mail sent *as* the shared address carries
    that address in From: include it in ``staff`` when checking the Sent folder.
    """
    if msg.from_ is None:
        return False, "no From address"
    if len(msg.header_all("from")) > 1 or len(_from_addresses(msg)) > 1:
        return False, "more than one From address"
    sender = msg.from_.email.lower()
    if sender not in {s.lower() for s in staff}:
        return False, f"From {sender} is not staff"
    if in_sent_folder:
        return True, "found in the shared Sent folder"
    if policy.mode == "from-header":
        return True, f"From {sender} is staff (from-header mode: the From header is not verified)"
    ours = sorted(policy.authserv_ids)
    if not ours:
        return False, "no authserv-id configured: Authentication-Results cannot be checked"
    domain = msg.from_.domain
    heard = False  # a header from our server, whatever it says
    seen: list[str] = []
    foreign: list[str] = []
    for value in msg.header_all("authentication-results"):
        header = parse_authentication_results(value)
        writer = header.authserv_id or NO_AUTHSERV_ID
        if writer not in policy.authserv_ids:
            foreign.append(writer)
            continue
        heard = True
        for result in header.results:
            if _passes(result, domain):
                return True, f"Authentication-Results from {writer}: {_describe(result)}"
            if result.method in ("dkim", "dmarc"):
                seen.append(_describe(result))
    if not heard:
        why = f"no Authentication-Results from {', '.join(ours)}"
        if foreign:
            why += f" (ignored those claiming {', '.join(dict.fromkeys(foreign))})"
        return False, why
    found = "; ".join(seen) if seen else "no dkim or dmarc result"
    return False, f"no dkim=pass or dmarc=pass for {domain} ({found})"


def _mailbox(address: str) -> str:
    """Lower-case, with a ``+tag`` sub-address removed: ``sales+p12@x`` is ``sales@x``."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def internal_only(msg: Message, staff: frozenset[str], own: frozenset[str]) -> bool:
    """Every visible recipient (To, Cc, and Bcc where a sent copy kept it) is ours or staff.

    A message with no visible recipient is not internal: we cannot tell who else got it.
    """
    allowed = {_mailbox(a) for a in (*staff, *own)}
    bcc = tuple(
        Address(name, addr.lower())
        for name, addr in email.utils.getaddresses(list(msg.header_all("bcc")))
        if "@" in addr
    )
    recipients: Iterable[Address] = (*msg.to, *msg.cc, *bcc)
    visible = [a.email for a in recipients]
    return bool(msg.to or msg.cc) and all(_mailbox(a) in allowed for a in visible)
