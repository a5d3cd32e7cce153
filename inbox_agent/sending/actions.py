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
- ``DeliveryFailed``: tell the agent (or a supervisor) that mail to their prospect could not be
  delivered, and why, so that a person writes to them (``<record>:failed:<tag of that entry>``).
- ``RelayAnswer``: an agent pressed Reply on a notification and wrote to the prospect; their
  words go to the prospect from the shared address, threaded into the prospect's conversation
  and signed with the agent's name (``<record>:relay:<tag of the agent's mail>``). It is a
  person's answer passed on, so it carries no ``Auto-Submitted``.
- ``RelayOutcome``: one line back to that agent — "sent to Pat", or why not
  (``<record>:relayed:<tag of the agent's mail>``).
- The follow-ups (``plan.followups``): ``CourtesyNote``, ``FollowUp`` and ``Drip`` to the
  prospect, ``ReviveReminder`` to the agent — each a step of the record's cadence
  (``<record>:followup:<n>``) — and ``InformationOverdue`` to the agent and supervisors
  (``<record>:overdue:<tag of the recipient>``).
- ``CapNotice``: tell the agent or a supervisor that a cap on automatic mail held an
  acknowledgment back (``cap:<scope>:<hour>:<recipient>``: once per cap, hour and person).
- ``Digest``: the owner's daily digest of one local date, to one of ``[digest] to``
  (``digest:<date>:<recipient>``, once per date whatever restarts and downtime); about no one
  record (``prospect_id`` None). It carries its figures as plain data, fixed when it was
  planned, so that a resend after a crash is the same mail.

``cause`` is what the sent mail does to its record (``records.status``); ``auto_submitted`` is
the RFC 3834 value it carries. ``to_dict`` / ``from_dict`` keep actions in the store, the kind
named once, in the ``kind`` field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

from inbox_agent.records.status import Cause


class MailKind(StrEnum):
    ACKNOWLEDGMENT = "acknowledgment"
    NOTIFICATION = "notification"
    CONFIRMATION = "confirmation"
    DELIVERY_FAILED = "delivery_failed"
    RELAYED_ANSWER = "relayed_answer"
    RELAY_OUTCOME = "relay_outcome"
    # the follow-ups (their actions arrive with the follow-up planner):
    COURTESY_NOTE = "courtesy_note"  # to the prospect, 48 h after information was sent
    FOLLOW_UP = "follow_up"  # to the prospect, a later step of the cadence
    DRIP = "drip"  # to the prospect, now and then, once the follow-up cap is reached
    REVIVE_REMINDER = "revive_reminder"  # to the agent: phone them (72 h of silence)
    INFORMATION_OVERDUE = "information_overdue"  # to agent and supervisor: nothing sent in 72 h
    OPTED_OUT = "opted_out"  # to the agent: the prospect asked us to stop
    DIGEST = "digest"  # to the owner, daily
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
    auto_submitted: ClassVar[str | None] = "auto-replied"

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
    auto_submitted: ClassVar[str | None] = "auto-generated"

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
    auto_submitted: ClassVar[str | None] = "auto-generated"

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:confirm:{tag(self.in_reply_to)}"


@dataclass(frozen=True)
class DeliveryFailed:
    """Mail to the prospect (``failed_kind`` to ``address``) was refused for good: ``reason``."""

    prospect_id: int
    recipient: str
    failed_key: str
    failed_kind: MailKind
    address: str
    reason: str
    kind: ClassVar[MailKind] = MailKind.DELIVERY_FAILED
    cause: ClassVar[Cause | None] = None
    auto_submitted: ClassVar[str | None] = "auto-generated"

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:failed:{tag(self.failed_key)}"


@dataclass(frozen=True)
class RelayAnswer:
    """``agent`` (their address and ``agent_name``) answers the prospect with ``text``;
    ``in_reply_to``/``references``: the prospect's messages it answers; ``source``: the agent's
    mail to the shared address that carried the text."""

    prospect_id: int
    recipient: str
    agent: str
    agent_name: str
    text: str
    source: str
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    kind: ClassVar[MailKind] = MailKind.RELAYED_ANSWER
    cause: ClassVar[Cause | None] = Cause.INFORMATION_SENT
    auto_submitted: ClassVar[str | None] = None

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:relay:{tag(self.source)}"


@dataclass(frozen=True)
class RelayOutcome:
    """Tell the agent whether their answer reached the prospect (``sent``), and ``detail``."""

    prospect_id: int
    recipient: str
    source: str  # the agent's mail this answers
    sent: bool
    detail: str = ""
    kind: ClassVar[MailKind] = MailKind.RELAY_OUTCOME
    cause: ClassVar[Cause | None] = None
    auto_submitted: ClassVar[str | None] = "auto-generated"

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:relayed:{tag(self.source)}"


@dataclass(frozen=True)
class CadenceMail:
    """A mail step of a record's cadence, to the prospect from the shared address, threaded
    after ``in_reply_to``; ``number``: the record's cadence step (its key)."""

    prospect_id: int
    recipient: str
    number: int
    template: str
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    auto_submitted: ClassVar[str | None] = "auto-generated"

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:followup:{self.number}"


@dataclass(frozen=True)
class CourtesyNote(CadenceMail):
    """The courtesy note (SOP step 6); ``final``: it reaches the follow-up cap."""

    final: bool = False
    kind: ClassVar[MailKind] = MailKind.COURTESY_NOTE
    cause: ClassVar[Cause | None] = Cause.COURTESY_NOTE


@dataclass(frozen=True)
class FollowUp(CadenceMail):
    """A later follow-up mail of the cadence; ``final``: it reaches the follow-up cap."""

    final: bool = False
    kind: ClassVar[MailKind] = MailKind.FOLLOW_UP
    cause: ClassVar[Cause | None] = Cause.COURTESY_NOTE


@dataclass(frozen=True)
class Drip(CadenceMail):
    """The occasional mail once the cap is reached, until they answer (not a follow-up)."""

    kind: ClassVar[MailKind] = MailKind.DRIP
    cause: ClassVar[Cause | None] = None


@dataclass(frozen=True)
class ReviveReminder:
    """To the agent (SOP step 7): phone them, 72 hours of silence ``since`` (ISO time)."""

    prospect_id: int
    recipient: str
    number: int
    since: str
    kind: ClassVar[MailKind] = MailKind.REVIVE_REMINDER
    cause: ClassVar[Cause | None] = Cause.REVIVE_REMINDER
    auto_submitted: ClassVar[str | None] = "auto-generated"

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:followup:{self.number}"


@dataclass(frozen=True)
class InformationOverdue:
    """To the agent or a supervisor: no information was sent within the SOP's time."""

    prospect_id: int
    recipient: str
    kind: ClassVar[MailKind] = MailKind.INFORMATION_OVERDUE
    cause: ClassVar[Cause | None] = None
    auto_submitted: ClassVar[str | None] = "auto-generated"

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:overdue:{tag(self.recipient)}"


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
    auto_submitted: ClassVar[str | None] = "auto-generated"

    @property
    def key(self) -> str:
        return f"cap:{self.scope}:{self.hour}:{self.recipient}"


@dataclass(frozen=True)
class OptedOut:
    """To the agent (or a supervisor), once per record: the person asked us to stop writing;
    ``how``: their words, or "the unsubscribe link"."""

    prospect_id: int
    recipient: str
    how: str
    kind: ClassVar[MailKind] = MailKind.OPTED_OUT
    cause: ClassVar[Cause | None] = None
    auto_submitted: ClassVar[str | None] = "auto-generated"

    @property
    def key(self) -> str:
        return f"{self.prospect_id}:opted_out"


@dataclass(frozen=True)
class Digest:
    """The daily digest of ``day`` (a local date, ``2026-12-01``) to ``recipient``. ``content``:
    its figures as plain data (``report.daily``; JSON-safe), computed when it was planned."""

    day: str
    recipient: str
    content: Mapping[str, Any] = field(default_factory=dict, hash=False)
    kind: ClassVar[MailKind] = MailKind.DIGEST
    cause: ClassVar[Cause | None] = None
    auto_submitted: ClassVar[str | None] = "auto-generated"
    prospect_id: ClassVar[None] = None  # about no one record

    @property
    def key(self) -> str:
        return digest_key(self.day, self.recipient)


def digest_key(day: str, recipient: str) -> str:
    """The outbox key of the digest of ``day`` to ``recipient``: one per date, ever."""
    return f"digest:{day}:{recipient.lower()}"


Action = (
    Acknowledge | Notify | Confirm | DeliveryFailed | RelayAnswer | RelayOutcome
    | CourtesyNote | FollowUp | Drip | ReviveReminder | InformationOverdue | CapNotice | OptedOut
    | Digest
)  # fmt: skip
_TYPES: dict[MailKind, type[Action]] = {
    t.kind: t
    for t in (Acknowledge, Notify, Confirm, DeliveryFailed, RelayAnswer, RelayOutcome,
              CourtesyNote, FollowUp, Drip, ReviveReminder, InformationOverdue, CapNotice,
              OptedOut, Digest)
}  # fmt: skip
# Automatic mail to the prospect themselves: never to someone who asked us to stop.
TO_THE_PERSON = frozenset(
    {MailKind.ACKNOWLEDGMENT, MailKind.COURTESY_NOTE, MailKind.FOLLOW_UP, MailKind.DRIP}
)


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
    if kind == MailKind.DELIVERY_FAILED:
        return DeliveryFailed(**{**values, "failed_kind": MailKind(values["failed_kind"])})
    if kind in (MailKind.RELAYED_ANSWER, MailKind.COURTESY_NOTE, MailKind.FOLLOW_UP, MailKind.DRIP):
        values["references"] = tuple(values.get("references", ()))
    return _TYPES[kind](**values)
