"""The project's own view of one mail message, and the parser that makes it from raw bytes.

Vocabulary: an ``Address`` is a display name plus a lower-cased address; a ``Message`` is everything
the decisions need (addresses, threading ids, the automatic-mail headers, the text body, MIME
defects) and nothing they do not. Its *payloads* are the text of machine-readable parts (XML or
JSON, such as an ADF auto lead attached as ``leads.adf``); its *links* are the targets of the HTML
parts' links (``tel:`` links and query strings carry phone numbers some notifications show nowhere
else). Only this module imports ``mailparser``.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message as StdMessage
from html import unescape
from typing import Any

import mailparser

from inbox_agent.exceptions import ParseError
from inbox_agent.mail.htmltext import html_to_text

logging.getLogger("mailparser").setLevel(logging.ERROR)  # it warns once per unhandled MIME part

_MSGID = re.compile(r"<([^<>\s]+)>")
_TEXT_CAP = 200_000  # characters of body text kept for the detectors
_PAYLOAD_CAP = 100_000  # characters of XML / JSON parts kept
_PAYLOAD_TYPES = frozenset({"application/xml", "text/xml", "application/json", "text/json"})
_PAYLOAD_NAME = re.compile(r"(?i)\.(adf|xml|json)$")
_HREF = re.compile(r"""(?i)\bhref\s*=\s*(?:"([^"]{1,2000})"|'([^']{1,2000})')""")
_LINKS_CAP = 300  # links kept per message


@dataclass(frozen=True)
class Address:
    """A mailbox: display name and lower-cased address."""

    name: str
    email: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def local(self) -> str:
        return self.email.rpartition("@")[0]


@dataclass(frozen=True)
class Message:
    """One parsed message. ``headers`` maps lower-case names to all their values."""

    message_id: str
    subject: str
    from_: Address | None
    reply_to: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    delivered_to: tuple[str, ...] = ()
    return_path: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    date: datetime | None = None
    content_type: str = "text/plain"
    part_types: tuple[str, ...] = ()
    text: str = ""
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defects: tuple[str, ...] = ()
    report: str = ""  # the text of message/delivery-status parts (bounces)
    calendar: str = ""  # the text of text/calendar parts (meeting invitations and answers)
    payloads: tuple[str, ...] = ()  # the text of XML / JSON parts (see the module docstring)
    links: tuple[str, ...] = ()  # link targets of the HTML parts, entities decoded
    size: int = 0
    truncated: bool = False
    content_hash: str = ""
    header_order: tuple[str, ...] = ()  # lower-case header names, top to bottom, repeats kept
    returned_ids: tuple[str, ...] = ()  # Message-IDs in a bounce's returned message or headers

    def header(self, name: str) -> str:
        """The first value of a header, or ``""``."""
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    def header_all(self, name: str) -> tuple[str, ...]:
        return self.headers.get(name.lower(), ())

    @property
    def dedupe_key(self) -> str:
        """Identity that survives a UIDVALIDITY change: Message-ID plus content hash."""
        return f"{self.message_id}|{self.content_hash}"


def _decode(value: Any) -> str:
    """A header as clean text: RFC 2047 words decoded, raw 8-bit bytes read as UTF-8."""
    text = str(value) if value is not None else ""
    if not text.isascii() and any("\udc80" <= c <= "\udcff" for c in text):  # escaped bytes
        raw = text.encode("utf-8", "surrogateescape")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
    if "=?" in text:
        with contextlib.suppress(Exception):  # a broken encoded-word stays as it was
            text = str(make_header(decode_header(text)))
    return " ".join(text.split())


def _addresses(values: Iterable[str]) -> tuple[Address, ...]:
    """Addresses parsed from the *raw* header; only display names are then decoded, so an
    encoded-word cannot smuggle in an address (``=?utf-8?q?x=0D=0ABcc=3A_a=40b?= <me@x>``)."""
    found: list[Address] = []
    for name, addr in email.utils.getaddresses([str(v) for v in values]):
        addr = _decode(addr).strip().strip("<>").lower()
        if "@" in addr and not any(c in addr for c in ' <>,;:"\\'):
            found.append(Address(name=_decode(name).strip("'\""), email=addr))
    return tuple(found)


def _ids(values: Iterable[str]) -> tuple[str, ...]:
    ids: list[str] = []
    for value in values:
        ids.extend(_MSGID.findall(value))
    return tuple(dict.fromkeys(ids))


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _headers(msg: StdMessage) -> dict[str, tuple[str, ...]]:
    headers: dict[str, list[str]] = {}
    for key, value in msg.raw_items():
        headers.setdefault(key.lower(), []).append(_decode(value))
    return {k: tuple(v) for k, v in headers.items()}


def _body_text(parsed: Any) -> tuple[str, list[str]]:
    """(the body as text, the HTML parts)."""
    html = [p for p in (parsed.text_html or []) if isinstance(p, str)]
    plain = [p for p in (parsed.text_plain or []) if isinstance(p, str)]
    if plain and any(p.strip() for p in plain):
        return "\n".join(plain), html
    return "\n".join(html_to_text(h) for h in html), html


def _std_text(std: StdMessage) -> tuple[str, list[str]]:
    """(body text, HTML parts) straight from the stdlib tree, for mail mail-parser cannot read."""
    plain: list[str] = []
    html: list[str] = []
    for part in std.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            decoded = payload.decode(charset, errors="replace")
        except LookupError:
            decoded = payload.decode("utf-8", errors="replace")
        (html if part.get_content_subtype() == "html" else plain).append(decoded)
    if any(p.strip() for p in plain):
        return "\n".join(plain), html
    return "\n".join(html_to_text(h) for h in html), html


def _decoded(part: StdMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def _payloads(parts: list[StdMessage]) -> tuple[str, ...]:
    """The text of XML and JSON parts, by type or by file name (``leads.adf``)."""
    found: list[str] = []
    for part in parts:
        if part.is_multipart():
            continue
        name = part.get_filename() or ""
        wanted = part.get_content_type() in _PAYLOAD_TYPES or _PAYLOAD_NAME.search(name)
        if wanted and (text := _decoded(part)[:_PAYLOAD_CAP]):
            found.append(text)
    return tuple(found)


def _links(html: list[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for page in html:
        for m in _HREF.finditer(page):
            found[unescape(m.group(1) or m.group(2)).strip()] = None
            if len(found) >= _LINKS_CAP:
                return tuple(found)
    return tuple(found)


def _report_text(std: StdMessage) -> str:
    """The delivery-status blocks of a bounce, as header-style text."""
    blocks: list[str] = []
    for part in std.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks.extend(str(p) for p in payload)
        elif isinstance(payload, str):
            blocks.append(payload)
    return "\n".join(blocks)[:_TEXT_CAP]


_RETURNED_PARTS = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
_RETURNED_ID = re.compile(r"(?im)^message-id:\s*<([^<>\s]+)>")


def _returned_ids(parts: list[StdMessage], text: str) -> tuple[str, ...]:
    """Message-IDs of the message a bounce returns: in its attached message or headers part, or
    quoted in its text ("This is a copy of the message, including all the headers")."""
    found: list[str] = []
    for part in parts:
        if part.get_content_type() not in _RETURNED_PARTS:
            continue
        payload = part.get_payload()
        inner = payload if isinstance(payload, list) else [payload]
        for item in inner:
            if isinstance(item, StdMessage):
                found.extend(_MSGID.findall(str(item.get("message-id", ""))))
            elif isinstance(item, str):
                found.extend(_RETURNED_ID.findall(item[:_TEXT_CAP]))
    found.extend(_RETURNED_ID.findall(text[:_TEXT_CAP]))
    return tuple(dict.fromkeys(found))


def _calendar_text(parts: list[StdMessage]) -> str:
    found: list[str] = []
    for part in parts:
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(found)[:_TEXT_CAP]


def _clean(raw: bytes) -> bytes:
    """Drop a UTF-8 byte-order mark and an mbox ``From `` separator line."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if raw.startswith(b"From ") and not raw.startswith(b"From: "):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    return raw


def parse_message(raw: bytes, *, truncated: bool = False) -> Message:
    """Parse raw RFC 5322 bytes. Raises ``ParseError`` when nothing usable can be read.

    mail-parser does the work; where it fails on broken MIME, the stdlib parser's tree is used
    instead and ``MailParserFailed`` is added to the defects, so a bounce with a broken body is
    still recognised as a bounce rather than quarantined.
    """
    digest = hashlib.sha256(raw).hexdigest()
    size = len(raw)
    raw = _clean(raw)
    if not raw.strip():
        raise ParseError("empty message")
    fallback = False
    try:
        parsed = mailparser.parse_from_bytes(raw)
        std: StdMessage = parsed.message
        text, html = ("", []) if truncated else _body_text(parsed)
    except Exception:
        fallback = True
        try:
            std = email.message_from_bytes(raw)
            text, html = ("", []) if truncated else _std_text(std)
        except Exception as exc:
            raise ParseError(f"unparseable message: {type(exc).__name__}") from exc
    try:
        headers = _headers(std)
    except Exception as exc:
        raise ParseError(f"unreadable headers: {type(exc).__name__}") from exc
    if not headers or not any(h in headers for h in ("from", "sender", "return-path", "to")):
        raise ParseError("no headers: no From, Sender, Return-Path or To")

    def first(name: str) -> str:
        values = headers.get(name)
        return values[0] if values else ""

    raw_items = [(k.lower(), str(v)) for k, v in std.raw_items()]

    def addresses(name: str) -> tuple[Address, ...]:
        return _addresses(v for k, v in raw_items if k == name)

    from_ = addresses("from")
    return_path: str | None = None
    if "return-path" in headers:
        return_path = first("return-path").strip().strip("<>").strip().lower()
    ids = _ids(headers.get("message-id", ()))
    try:
        parts = list(std.walk())
        part_types = tuple(p.get_content_type() for p in parts)
        report = _report_text(std) if "message/delivery-status" in part_types else ""
        calendar = _calendar_text(parts) if "text/calendar" in part_types else ""
        payloads = () if truncated else _payloads(parts)
        links = _links(html)
        found = {type(d).__name__ for p in parts for d in p.defects}
        returned = _returned_ids(parts, text)
    except Exception as exc:
        raise ParseError(f"unreadable MIME structure: {type(exc).__name__}") from exc
    if fallback:
        found.add("MailParserFailed")
    defects = tuple(sorted(found))
    return Message(
        message_id=ids[0] if ids else f"sha256-{digest[:32]}@no-message-id",
        subject=_decode(first("subject")),
        from_=from_[0] if from_ else None,
        reply_to=addresses("reply-to"),
        to=addresses("to"),
        cc=addresses("cc"),
        delivered_to=tuple(a.email for a in addresses("delivered-to")),
        return_path=return_path,
        in_reply_to=_ids(headers.get("in-reply-to", ())),
        references=_ids(headers.get("references", ())),
        date=_date(first("date")),
        content_type=std.get_content_type(),
        part_types=part_types,
        text=text.replace("\r\n", "\n")[:_TEXT_CAP],
        headers=headers,
        defects=defects,
        report=report,
        calendar=calendar,
        payloads=payloads,
        links=links,
        size=size,
        truncated=truncated,
        content_hash=digest,
        header_order=tuple(k.lower() for k, _ in raw_items),
        returned_ids=returned,
    )
