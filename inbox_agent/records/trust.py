"""Whose mail may steer the records: Authentication-Results (RFC 8601) and the trust policy. Pure.

Vocabulary:

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

from inbox_agent.mail.message import Address, Message

MODES = ("authentication-results", "from-header")
NO_AUTHSERV_ID = "(none)"
_METHOD = re.compile(r"[a-z0-9][a-z0-9-]*")  # RFC 8601 Keyword


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
