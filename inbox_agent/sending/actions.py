"""The vocabulary of outgoing mail: one frozen action type per kind of mail we send. Pure.

Every automatic mail is first one of these actions, decided by a planner (``plan.inbound`` for
incoming mail), then an outbox entry carrying the action, then a letter rendered from it
(``sending.render``) and sent (``dispatch``). Each action builds its own idempotency ``key``: the
outbox never holds two entries with one key, so a decision taken twice queues one mail.

- ``Acknowledge``: the acknowledgment to a new inquiry (``<record>:ack``), at once, any hour.
- ``Notify``: tell the assigned agent about their prospect; ``reason`` says why
  (``new_prospect``: ``<record>:notify``; ``replied``: ``<record>:reply:<tag of the reply>``).
- ``Confirm``: confirm an agent's ``#commands`` back to them, with what was applied and what was
  not understood (``<record>:confirm:<tag of their mail>``).
- ``CapNotice``: tell the agent or a supervisor that a cap on automatic mail held an
  acknowledgment back (``cap:<scope>:<hour>:<recipient>``: once per cap, hour and person).

``cause`` is what the sent mail does to its record (``records.status``); ``auto_submitted`` is
the RFC 3834 value it carries. ``to_dict`` / ``from_dict`` keep actions in the store, the kind
named once, in the ``kind`` field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar

from inbox_agent.records.status import Cause


class MailKind(StrEnum):
    ACKNOWLEDGMENT = "acknowledgment"
    NOTIFICATION = "notification"
    CONFIRMATION = "confirmation"
    CAP_NOTICE = "cap_notice"


class NotifyReason(StrEnum):
    NEW_PROSPECT = "new_prospect"
    REPLIED = "replied"


def tag(message_id: str) -> str:
    """A short, stable tag for one message, for keys of mail that answer it."""
    return hashlib.sha256(message_id.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Acknowledge:
    """The acknowledgment to a new inquiry."""

    prospect_id: int
    recipient: str
    kind: ClassVar[MailKind] = MailKind.ACKNOWLEDGMENT
    cause: ClassVar[Cause | None] = Cause.ACKNOWLEDGED
    auto_submitted: ClassVar[str] = "auto-replied"

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:ack"


@dataclass(frozen=True)
class Notify:
    """Tell the assigned agent: a new prospect, or their prospect replied. ``words``: what the
    prospect wrote; ``in_reply_to``: the prospect's message the agent should answer."""

    prospect_id: int
    recipient: str
    reason: NotifyReason
    words: str = ""
    in_reply_to: str = ""
    kind: ClassVar[MailKind] = MailKind.NOTIFICATION
    cause: ClassVar[Cause | None] = None
    auto_submitted: ClassVar[str] = "auto-generated"

    @property
    def key(self) -> str:
        if self.reason == NotifyReason.REPLIED:
            return f"{self.prospect_id}:reply:{tag(self.in_reply_to)}"
        return f"{self.prospect_id}:notify"


@dataclass(frozen=True)
class Confirm:
    """Confirm an agent's commands back to them: ``applied`` lines, and ``errors`` not applied."""

    prospect_id: int
    recipient: str
    in_reply_to: str
    applied: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    kind: ClassVar[MailKind] = MailKind.CONFIRMATION
    cause: ClassVar[Cause | None] = None
    auto_submitted: ClassVar[str] = "auto-generated"

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:confirm:{tag(self.in_reply_to)}"


@dataclass(frozen=True)
class CapNotice:
    """A cap on automatic mail tripped: ``scope`` (recipient, domain, mailbox) held back the
    acknowledgment of record ``prospect_id``; ``hour`` (ISO, UTC) is the hour it tripped in."""

    prospect_id: int
    recipient: str
    scope: str
    limit: str
    hour: str
    kind: ClassVar[MailKind] = MailKind.CAP_NOTICE
    cause: ClassVar[Cause | None] = None
    auto_submitted: ClassVar[str] = "auto-generated"

    @property
    def key(self) -> str:
        return f"cap:{self.scope}:{self.hour}:{self.recipient}"


Action = Acknowledge | Notify | Confirm | CapNotice
_TYPES: dict[MailKind, type[Action]] = {
    t.kind: t for t in (Acknowledge, Notify, Confirm, CapNotice)
}


def to_dict(action: Action) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": str(action.kind)}
    for f in fields(action):
        value = getattr(action, f.name)
        data[f.name] = list(value) if isinstance(value, tuple) else value
    return data


def from_dict(data: dict[str, Any]) -> Action:
    kind = MailKind(data["kind"])
    values = {k: v for k, v in data.items() if k != "kind"}
    if kind == MailKind.NOTIFICATION:
        return Notify(**{**values, "reason": NotifyReason(values["reason"])})
    if kind == MailKind.CONFIRMATION:
        return Confirm(**{**values, "applied": tuple(values.get("applied", ())),
                          "errors": tuple(values.get("errors", ()))})  # fmt: skip
    return _TYPES[kind](**values)
