"""The prospect record and what is kept beside it, as frozen dataclasses.

Vocabulary (see DOMAIN.md): a ``Prospect`` is one person's case, from first inquiry to done; its
``timeline`` holds an ``Event`` per message in or out; ``stage`` is lead / prospect / customer and
``status`` the SOP step (new, call, email, follow_up, revive, drip, done). A ``Checkpoint`` is the
mailbox position of one folder; a ``LoggedMessage`` remembers every message processed (for
dedupe across a UIDVALIDITY change); a ``QuarantineEntry`` is a message that could not be handled.
Conversion to and from plain dicts lives here too, so the store never sees these classes' insides.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from inbox_agent.mail.classify import Kind


class Stage(StrEnum):
    """Who the person is to us (seeds 002/004)."""

    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"


class Status(StrEnum):
    """The SOP step (seed 001), plus ``new`` and ``drip``; see ``records.status``."""

    NEW = "new"
    CALL = "call"
    EMAIL = "email"
    FOLLOW_UP = "follow_up"
    REVIVE = "revive"
    DRIP = "drip"
    DONE = "done"


class Direction(StrEnum):
    """Of a timeline event: mail from the person, mail to them, or a step of ours."""

    IN = "in"
    OUT = "out"
    INTERNAL = "internal"


STAGES = tuple(Stage)
STATUSES = tuple(Status)
TIME_FIELDS = (
    "created_at",
    "acknowledged_at",
    "first_response_at",
    "information_sent_at",
    "last_inbound_at",
    "closed_at",
    "opted_out_at",
)


@dataclass(frozen=True)
class Event:
    """One message in a prospect's timeline (or an internal step)."""

    at: datetime
    direction: Direction
    kind: str  # a message kind (inquiry, prospect_reply, …), a mail kind, or a step (assigned, …)
    message_id: str = ""
    summary: str = ""
    folder: str = ""
    uid: int = 0
    body: str | None = None
    template: str = ""  # our mail: the template it was written from (no template twice in a row)
    moved: Moved | None = None  # a ``status`` or ``stage`` event: from what, to what, and why
    command: str = ""  # a ``command`` event: the command's name (quote, sale, status, …)


@dataclass(frozen=True)
class Moved:
    """What a ``status`` or ``stage`` event changed: ``old`` → ``new``, for ``cause``."""

    old: str
    new: str
    cause: str


@dataclass(frozen=True)
class Quote:
    amount: str
    id: str = ""
    link: str = ""


@dataclass(frozen=True)
class Sale:
    value: str
    invoice: str = ""
    link: str = ""


@dataclass(frozen=True)
class Prospect:
    """A person's case. ``id`` 0 means not stored yet."""

    email: str
    created_at: datetime
    id: int = 0
    name: str = ""
    surname: str = ""
    phone: str = ""  # E.164 when it could be normalised
    phone_raw: str = ""  # the number as the person wrote it (kept when it cannot be normalised)
    company: str = ""
    source: str = "email"
    sub_source: str = ""  # e.g. "facebook / spring campaign" (UTM, "how did you hear about us")
    interest: str = "product_information"
    stage: Stage = Stage.LEAD
    status: Status = Status.NEW
    assigned_to: str | None = None
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    information_sent_at: datetime | None = None
    last_inbound_at: datetime | None = None
    closed_at: datetime | None = None
    opted_out_at: datetime | None = None  # asked us to stop: no automatic mail ever again
    follow_ups_sent: int = 0
    quote: Quote | None = None
    sale: Sale | None = None
    lost_reason: str = ""
    subject: str = ""
    question: str = ""
    form: tuple[tuple[str, str], ...] = ()  # a form notification's own fields, label -> value
    language: str = ""  # of what the person wrote (ISO 639-1), for our automatic mail
    attention: str = ""  # why a person must handle this record by hand ("" when none)
    previous_id: int | None = None
    message_ids: tuple[str, ...] = ()
    timeline: tuple[Event, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        return self.status != Status.DONE


@dataclass(frozen=True)
class Checkpoint:
    """Where we are in one folder: nothing at or below ``last_uid`` is new."""

    folder: str
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class LoggedMessage:
    """A message we have processed, whatever its kind."""

    key: str  # Message.dedupe_key
    message_id: str
    folder: str
    uid: int
    kind: Kind
    reason: str
    at: datetime
    prospect_id: int | None = None
    content_key: str = ""  # plan.context.content_key: the same message through another address
    sender: str = ""  # From: who it names (``inbox-agent forget``), and for the spam list
    subject: str = ""  # kept only for spam and unverified staff mail, for a person to judge
    unverified: bool = False  # staff-looking mail whose sender could not be verified


class Barred(StrEnum):
    """Why an address gets no automatic mail."""

    BOUNCE = "bounce"  # it hard-bounced mail of ours
    OPT_OUT = "opt-out"  # they asked us to stop: lifted when they write in again themselves


@dataclass(frozen=True)
class Suppression:
    """An address that gets no more automatic mail, why (``kind``), and the detail."""

    email: str
    reason: str
    at: datetime
    kind: Barred = Barred.BOUNCE


@dataclass(frozen=True)
class QuarantineEntry:
    folder: str
    uidvalidity: int
    uid: int
    reason: str
    at: datetime
    message_id: str = ""
    subject: str = ""


# --- plain-dict conversion -------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def event_to_dict(event: Event) -> dict[str, Any]:
    # By hand, not dataclasses.asdict: that deep-copies, and timelines are re-saved often.
    data: dict[str, Any] = {
        "at": event.at.isoformat(), "direction": event.direction, "kind": event.kind,
        "message_id": event.message_id, "summary": event.summary, "folder": event.folder,
        "uid": event.uid,
    }  # fmt: skip
    if event.body is not None:
        data["body"] = event.body
    if event.template:
        data["template"] = event.template
    if event.moved is not None:
        data["moved"] = [event.moved.old, event.moved.new, event.moved.cause]
    if event.command:
        data["command"] = event.command
    return data


# Stores written by earlier builds kept a move and a command's name only in the event's summary
# ("stage lead → prospect (prospect_replied)", "alice@x: #quote 1500"); they are read once, here.
_LEGACY_MOVE = re.compile(r"^(?:status|stage) (\S+) → (\S+) \(([^)]*)\)$")
_LEGACY_COMMAND = re.compile(r": #([a-z]+)")


def event_from_dict(data: dict[str, Any]) -> Event:
    values = {**data, "at": datetime.fromisoformat(data["at"]),
              "direction": Direction(data["direction"])}  # fmt: skip
    if "moved" in data:
        values["moved"] = Moved(*data["moved"])
    elif data["kind"] in ("status", "stage") and (old := _LEGACY_MOVE.match(data["summary"])):
        values["moved"] = Moved(*old.groups())
    if data["kind"] == "command" and "command" not in data:
        found = _LEGACY_COMMAND.search(data["summary"])
        values["command"] = found.group(1) if found else ""
    return Event(**values)


def prospect_to_dict(p: Prospect) -> dict[str, Any]:
    data: dict[str, Any] = {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
    for name in TIME_FIELDS:
        data[name] = _iso(data[name])
    data["quote"] = dataclasses.asdict(p.quote) if p.quote else None
    data["sale"] = dataclasses.asdict(p.sale) if p.sale else None
    data["message_ids"] = list(p.message_ids)
    data["timeline"] = [event_to_dict(e) for e in p.timeline]
    del data["id"]
    return data


def prospect_from_dict(data: dict[str, Any], doc_id: int) -> Prospect:
    values = dict(data)
    for name in TIME_FIELDS:
        values[name] = _time(values.get(name))
    values["quote"] = Quote(**values["quote"]) if values.get("quote") else None
    values["sale"] = Sale(**values["sale"]) if values.get("sale") else None
    values["message_ids"] = tuple(values.get("message_ids", ()))
    values["form"] = tuple((str(k), str(v)) for k, v in values.get("form", ()))
    values["timeline"] = tuple(event_from_dict(e) for e in values.get("timeline", ()))
    values["status"] = Status(values.get("status", Status.NEW))
    values["stage"] = Stage(values.get("stage", Stage.LEAD))
    known = {f.name for f in dataclasses.fields(Prospect)}
    return Prospect(id=doc_id, **{k: v for k, v in values.items() if k in known})


def record_to_dict(
    record: LoggedMessage | QuarantineEntry | Checkpoint | Suppression,
) -> dict[str, Any]:
    # Shallow: every field is a plain value (asdict would deep-copy each one).
    data = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    if "at" in data:
        data["at"] = data["at"].isoformat()
    return data


def logged_from_dict(data: dict[str, Any]) -> LoggedMessage:
    return LoggedMessage(
        **{**data, "at": datetime.fromisoformat(data["at"]), "kind": Kind(data["kind"])}
    )


def quarantine_from_dict(data: dict[str, Any]) -> QuarantineEntry:
    return QuarantineEntry(**{**data, "at": datetime.fromisoformat(data["at"])})


def suppression_from_dict(data: dict[str, Any]) -> Suppression:
    kind = Barred(data.get("kind", Barred.BOUNCE))  # stores from before opt-outs held bounces
    return Suppression(**{**data, "at": datetime.fromisoformat(data["at"]), "kind": kind})


def since_view(
    data: dict[str, Any], since: datetime, kinds: frozenset[str] | None = None
) -> dict[str, Any] | None:
    """A stored record (its plain dict) with only its timeline events from ``since`` on (and of
    ``kinds``, when given); None when it is closed and nothing about it — a time field or an
    event — is that recent. Read without building the record."""
    timeline = data.get("timeline", ())
    recent = [e for e in timeline if datetime.fromisoformat(e["at"]) >= since]
    touched = bool(recent)
    if kinds is not None:
        recent = [e for e in recent if e["kind"] in kinds]
    if touched or data.get("status") != Status.DONE:
        return {**data, "timeline": recent}
    for name in TIME_FIELDS:
        value = data.get(name)
        if value and datetime.fromisoformat(value) >= since:
            return {**data, "timeline": recent}
    return None
