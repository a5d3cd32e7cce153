"""Authentication-Results (RFC 8601): the parser, and which of a message's headers our server wrote.

Vocabulary:

- An ``AuthResults`` is one parsed header: the *authserv-id* of the server that wrote it and its
  ``AuthResult`` entries (``method=result`` plus properties such as ``header.d``).
- *Ours*: a header whose authserv-id is one of the configured ``authserv_ids`` (our own receiving
  server's). Anyone can add a header claiming that id (RFC 8601 §5 asks the server to remove them,
  and many do not), so ``our_results`` believes only the **topmost** of them: walking down from
  the top, those above the first ``Received`` header that follows one of ours (the hop our server
  recorded; anything below it came with the message), and, of several headers of ours, for each
  method only the topmost result (a forged ``dkim=pass`` below a genuine ``dkim=fail`` is
  ignored). A method our server never reports can still be claimed below its header: the
  reason texts say which header was used.
- ``NO_AUTHSERV_ID`` (``"(none)"``) stands for Microsoft 365, which writes no authserv-id.
- ``passes(result, domain)``: a ``dkim`` pass signed by the From domain, a ``dmarc`` pass for it,
  or an ``spf`` pass for a MAIL FROM at it. ``forged(...)`` names a DMARC fail, or an SPF fail
  with no DKIM pass, for the From domain: mail we must never answer automatically.

Pure: text in, data out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from inbox_agent.mail.message import Message

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


# --- which headers are ours --------------------------------------------------------------------


@dataclass(frozen=True)
class OurResults:
    """What our own server said about one message (``our_results``)."""

    heard: bool  # a header of ours counted, whatever it says
    results: tuple[AuthResult, ...] = ()  # the results that count, topmost first
    writer: str = ""  # the authserv-id of the topmost header of ours
    foreign: tuple[str, ...] = ()  # authserv-ids of headers not ours (ignored)
    ignored_below: int = 0  # headers claiming our id, below the topmost ones (ignored)


def ordered_headers(msg: Message) -> Iterator[tuple[str, str]]:
    """(lower-case name, value) from the top of the header block down."""
    if not msg.header_order:  # a Message made by hand: its headers in dict order
        for name, values in msg.headers.items():
            for value in values:
                yield name, value
        return
    seen: dict[str, int] = {}
    for name in msg.header_order:
        i = seen.get(name, 0)
        values = msg.headers.get(name, ())
        if i < len(values):
            yield name, values[i]
        seen[name] = i + 1


def our_results(msg: Message, authserv_ids: frozenset[str]) -> OurResults:
    """The Authentication-Results our server wrote: the topmost headers with our authserv-id."""
    ids = frozenset(i.strip().lower() for i in authserv_ids if i.strip())
    heard, writer, closed = False, "", False
    results: list[AuthResult] = []
    methods: set[str] = set()
    foreign: list[str] = []
    below = 0
    for name, value in ordered_headers(msg):
        if name == "received" and heard:
            closed = True  # the hop our server recorded: what follows came with the message
        if name != "authentication-results":
            continue
        header = parse_authentication_results(value)
        who = header.authserv_id or NO_AUTHSERV_ID
        if who not in ids:
            foreign.append(who)
            continue
        if closed:
            below += 1
            continue
        if not heard:
            heard, writer = True, who
        fresh = [r for r in header.results if r.method not in methods]
        results.extend(fresh)
        methods.update(r.method for r in header.results)
    return OurResults(heard, tuple(results), writer, tuple(dict.fromkeys(foreign)), below)


def domain_of(value: str) -> str:
    return value.strip().strip("<>").rpartition("@")[2].rstrip(".").lower()


def passes(result: AuthResult, domain: str) -> bool:
    """A pass that vouches for ``domain`` (the From domain)."""
    if result.result != "pass" or not domain:
        return False
    if result.method == "dkim":
        # The signing domain; Gmail writes only the identity (``header.i=@example.com``).
        signer = result.props.get("header.d") or result.props.get("header.i", "")
        return domain_of(signer) == domain
    if result.method == "dmarc":
        return domain_of(result.props.get("header.from", "")) == domain
    if result.method == "spf":
        return domain_of(result.props.get("smtp.mailfrom", "")) == domain
    return False


def describe(result: AuthResult) -> str:
    keys = {"dkim": ("header.d", "header.i"), "spf": ("smtp.mailfrom",)}.get(
        result.method, ("header.from",)
    )
    props = " ".join(f"{k}={result.props[k]}" for k in keys if k in result.props)
    return f"{result.method}={result.result}" + (f" {props}" if props else "")


def forged(ours: OurResults, domain: str) -> str | None:
    """Why our server's results say the From domain was forged, or None: DMARC fail for it, or
    SPF fail with no DKIM pass for it."""
    if not ours.heard or not domain:
        return None
    for result in ours.results:
        if result.method == "dmarc" and result.result == "fail":
            found = domain_of(result.props.get("header.from", "")) or domain
            if found == domain:
                return f"{ours.writer}: {describe(result)}"
    dkim_pass = any(r.method == "dkim" and passes(r, domain) for r in ours.results)
    for result in ours.results:
        if result.method == "spf" and result.result in ("fail", "hardfail") and not dkim_pass:
            mailfrom = domain_of(result.props.get("smtp.mailfrom", ""))
            if mailfrom in ("", domain):
                return f"{ours.writer}: {describe(result)} and no dkim=pass for {domain}"
    return None


def vouched(ours: OurResults, domain: str) -> str | None:
    """The result of ours that shows DKIM or SPF (or DMARC) pass for the From domain, or None."""
    found = next((r for r in ours.results if passes(r, domain)), None)
    return f"{ours.writer}: {describe(found)}" if found else None
