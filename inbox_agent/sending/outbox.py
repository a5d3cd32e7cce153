"""The outbox: every outgoing mail is an entry here, written before anything is sent. Pure.

Vocabulary: an ``OutboxEntry`` carries the ``action`` it carries out (``sending.actions``), whose
``key`` is the entry's idempotency key — the outbox never holds two entries with one key, so
nothing is queued twice — and, once rendered, a deterministic Message-ID. Its ``status`` goes
``pending`` → ``sent`` (or ``failed`` on a permanent refusal, or ``withheld`` when, by the time
it would go, its recipient asked us to stop or bounced our mail). The raw message is rendered once
and kept, so a resend after an ambiguous failure is byte for byte the same mail with the same
Message-ID, which receiving clients collapse; once the mail is sent and its copy ``filed`` in
the Sent folder, that copy is the record of what went and the entry drops its bytes (a
year's acknowledgments, notes and digests would otherwise be most of a store that is loaded
whole). The functions here are pure: given an entry, an
outcome and ``now``, they return the next entry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from inbox_agent.sending import actions
from inbox_agent.sending.actions import Action, MailKind

BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_MAX = timedelta(minutes=5)


class Delivery(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    WITHHELD = "withheld"  # not sent: the recipient asked us to stop (or bounced) meanwhile


PENDING, SENT, FAILED = Delivery.PENDING, Delivery.SENT, Delivery.FAILED
WITHHELD = Delivery.WITHHELD


@dataclass(frozen=True)
class OutboxEntry:
    action: Action
    created_at: datetime
    status: Delivery = Delivery.PENDING
    message_id: str = ""
    raw: bytes = b""  # empty until rendered
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    sent_at: datetime | None = None
    filed: bool = False  # a copy is in the Sent folder

    @property
    def key(self) -> str:
        return self.action.key

    @property
    def kind(self) -> MailKind:
        return self.action.kind

    @property
    def prospect_id(self) -> int | None:
        return self.action.prospect_id

    @property
    def recipient(self) -> str:
        return self.action.recipient

    @property
    def is_open(self) -> bool:
        """Still to send, or sent but not yet filed in the Sent folder."""
        return self.status == PENDING or (self.status == SENT and not self.filed)

    def due(self, now: datetime) -> bool:
        return self.status == PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, 2 min, 4 min, then every 5 min: an hour's outage loses nothing."""
    step: timedelta = BACKOFF_BASE * 2 ** min(max(0, attempts - 1), 10)
    return min(step, BACKOFF_MAX)


def rendered(entry: OutboxEntry, message_id: str, raw: bytes) -> OutboxEntry:
    return replace(entry, message_id=message_id, raw=raw)


def sent(entry: OutboxEntry, now: datetime) -> OutboxEntry:
    return replace(entry, status=SENT, sent_at=now, attempts=entry.attempts + 1, last_error="")


def filed(entry: OutboxEntry) -> OutboxEntry:
    """Its copy is in the Sent folder: the bytes are kept there, not here."""
    return replace(entry, filed=True, raw=b"")


def retry_later(entry: OutboxEntry, now: datetime, error: str) -> OutboxEntry:
    attempts = entry.attempts + 1
    return replace(
        entry, attempts=attempts, last_error=error, next_attempt_at=now + backoff(attempts)
    )


def failed(entry: OutboxEntry, now: datetime, error: str) -> OutboxEntry:
    return replace(
        entry, status=FAILED, attempts=entry.attempts + 1, last_error=error, sent_at=None
    )


def withheld(entry: OutboxEntry, now: datetime, why: str) -> OutboxEntry:
    """Never sent, and never will be: nothing of it is kept but the reason."""
    return replace(entry, status=WITHHELD, last_error=why, raw=b"", next_attempt_at=None)


_TIMES = ("created_at", "next_attempt_at", "sent_at")


def to_dict(entry: OutboxEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": entry.key,  # kept for people reading the store; the action is the truth
        "action": actions.to_dict(entry.action),
        "status": str(entry.status),
        "message_id": entry.message_id,
        "raw": entry.raw.decode("latin-1"),  # bijective: any bytes survive JSON
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "filed": entry.filed,
    }
    for name in _TIMES:
        value = getattr(entry, name)
        data[name] = value.isoformat() if value else None
    return data


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def from_dict(data: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        action=actions.from_dict(data["action"]),
        created_at=datetime.fromisoformat(data["created_at"]),
        status=Delivery(data["status"]),
        message_id=data.get("message_id", ""),
        raw=data.get("raw", "").encode("latin-1"),
        attempts=data.get("attempts", 0),
        last_error=data.get("last_error", ""),
        filed=data.get("filed", False),
        next_attempt_at=_time(data.get("next_attempt_at")),
        sent_at=_time(data.get("sent_at")),
    )
