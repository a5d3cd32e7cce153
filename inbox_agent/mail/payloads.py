"""Structured lead payloads: ADF/XML auto leads and JSON-like bodies, read tolerantly. Pure.

Vocabulary: a ``Payload`` is the contact a machine-readable lead names: name, e-mail, phone (as
written), the *topic* (the vehicle, product or service asked about), the person's comments, and
every value it carries as (label, value) *fields*.

- **ADF** (Auto-lead Data Format 1.0, the car trade's lead format): ``<adf><prospect>`` with the
  person under ``<customer><contact>`` (``<name part="first|last|full">``, ``<email>``,
  ``<phone>``), the car under ``<vehicle>`` and the dealer under ``<vendor>`` (never the person).
  Real ADF is often not well-formed XML — the specification's own sample starts with
  ``<?ADF VERSION "1.0"?>`` and curly quotes — so it is read with regular expressions over the
  elements, never by an XML parser (and so no entity expansion either). It may be the body or an
  ``application/xml`` / ``text/xml`` attachment (``Message.payloads``).
- **JSON-like** bodies: ``{"nome": "…", "email": "…", "telefone": "…"}`` — JSON when it parses,
  else ``"key": "value"`` pairs found with a regular expression. Keys are read as form labels
  (``fields.label_key``: ``Telefone``, ``Celular``, ``E-mail``, …).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import unescape
from typing import Any

from inbox_agent.mail.fields import FIELD_CAP, label_key, sanitize

_SCAN_CAP = 100_000  # characters of a body or part looked at
_FLAGS = re.IGNORECASE | re.DOTALL
_PROSPECT = re.compile(r"<prospect\b[^>]*>(.*?)(?:</prospect\s*>|$)", _FLAGS)
_CUSTOMER = re.compile(r"<customer\b[^>]*>(.*?)</customer\s*>", _FLAGS)
_CONTACT = re.compile(r"<contact\b[^>]*>(.*?)</contact\s*>", _FLAGS)
_VEHICLE = re.compile(r"<vehicle\b[^>]*>(.*?)</vehicle\s*>", _FLAGS)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")
_JSON_BLOCK = re.compile(r"\{[^{}]{10,20000}\}", re.DOTALL)
_PAIR = re.compile(r"""["']([^"'\n:{}]{1,40})["']\s*[:=]\s*["']([^"'\n]{0,300})["']""")


@dataclass(frozen=True)
class Payload:
    kind: str  # "adf" | "json"
    name: str = ""
    surname: str = ""
    email: str = ""
    phone: str = ""  # as written
    topic: str = ""  # the vehicle, product or service
    comments: str = ""
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) as the payload names them


def _text(fragment: str) -> str:
    inner = _CDATA.sub(lambda m: m.group(1), fragment)
    return sanitize(unescape(_TAGS.sub(" ", inner)), FIELD_CAP)


def _elements(block: str, tag: str) -> list[tuple[str, str]]:
    """(attributes, text) of every ``<tag …>…</tag>`` in the block."""
    pattern = re.compile(rf"<{tag}\b([^>]*)>(.*?)</{tag}\s*>", _FLAGS)
    return [(m.group(1), _text(m.group(2))) for m in pattern.finditer(block)]


def _first(block: str, tag: str) -> str:
    return next((text for _, text in _elements(block, tag) if text), "")


def _adf(text: str) -> Payload | None:
    prospect = _PROSPECT.search(text)
    if prospect is None or not re.search(r"<adf\b|<\?adf\b", text[:2000], re.IGNORECASE):
        return None
    body = prospect.group(1)
    customer = _CUSTOMER.search(body)
    if customer is None:
        return None
    contact = _CONTACT.search(customer.group(1))
    person = contact.group(1) if contact else customer.group(1)
    parts: dict[str, str] = {}
    for attributes, value in _elements(person, "name"):
        part = re.search(r"""part\s*=\s*["']?(\w+)""", attributes)
        parts.setdefault(part.group(1).lower() if part else "full", value)
    first, last = parts.get("first", ""), parts.get("last", "")
    if not first and not last and (full := parts.get("full", "")):
        first, _, last = full.partition(" ")
    vehicle = _VEHICLE.search(body)
    topic = ""
    fields: list[tuple[str, str]] = []
    if vehicle:
        car = [_first(vehicle.group(1), t) for t in ("year", "make", "model", "trim")]
        topic = " ".join(p for p in car if p)
        stock = _first(vehicle.group(1), "stock")
        fields += [("Vehicle", topic)] + ([("Stock", stock)] if stock else [])
    email, phone = _first(person, "email"), _first(person, "phone")
    comments = _first(customer.group(1), "comments")
    fields += [(k, v) for k, v in (("Name", f"{first} {last}".strip()), ("E-mail", email),
                                   ("Phone", phone), ("Comments", comments)) if v]  # fmt: skip
    return Payload("adf", first, last, email, phone, topic, comments, tuple(fields))


def _pairs(block: str) -> list[tuple[str, str]]:
    try:
        data: Any = json.loads(block)
    except ValueError:
        return [(k.strip(), v.strip()) for k, v in _PAIR.findall(block)]
    if not isinstance(data, dict):
        return []
    return [(str(k), str(v)) for k, v in data.items() if isinstance(v, str | int | float)]


def _json(text: str) -> Payload | None:
    for block in _JSON_BLOCK.findall(text):
        pairs = [(k, sanitize(v, FIELD_CAP)) for k, v in _pairs(block) if v.strip()]
        keyed: dict[str, str] = {}
        for label, value in pairs:
            keyed.setdefault(label_key(label)[0], value)
        if "@" not in keyed.get("email", "") and not keyed.get("phone"):
            continue
        first, last = keyed.get("first_name", ""), keyed.get("last_name", "")
        if not first and not last:
            first, _, last = keyed.get("name", "").partition(" ")
        topic = keyed.get("topic", "") or keyed.get("subject", "")
        return Payload("json", first, last, keyed.get("email", ""), keyed.get("phone", ""),
                       topic, keyed.get("message", ""), tuple(pairs))  # fmt: skip
    return None


def find_payload(text: str, parts: Iterable[str] = ()) -> Payload | None:
    """The lead payload of a message: in an XML/JSON part, else in the body; None if none."""
    for candidate in (*parts, text):
        scanned = candidate[:_SCAN_CAP]
        if "<" in scanned and (found := _adf(scanned)):
            return found
        if "{" in scanned and (found := _json(scanned)):
            return found
    return None
