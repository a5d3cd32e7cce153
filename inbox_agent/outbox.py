"""The outbox: every outgoing mail is an entry here, written before anything is sent.

Vocabulary: an ``OutboxEntry`` has an idempotency ``key`` (``<prospect>:ack``) — the outbox
never holds two entries with one key, so nothing is queued twice — and a deterministic
Message-ID. Its ``status`` goes ``pending`` → ``sent`` (or ``failed`` on a permanent refusal).
The raw message is rendered once and kept, so a resend after an ambiguous failure is byte for
byte the same mail with the same Message-ID, which receiving clients collapse.
The functions here are pure: given an entry, an outcome and ``now``, they return the next entry.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

PENDING, SENT, FAILED = "pending", "sent", "failed"
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_MAX = timedelta(minutes=5)


@dataclass(frozen=True)
class OutboxEntry:
    key: str
    kind: str  # "acknowledgment", ...
    prospect_id: int
    recipient: str
    created_at: datetime
    status: str = PENDING
    message_id: str = ""
    raw: bytes = b""  # empty until rendered
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    sent_at: datetime | None = None
    filed: bool = False  # a copy is in the Sent folder
    words: str = ""  # what the letter quotes (an agent notification: the prospect's own words)
    in_reply_to: str = ""  # the message this letter answers, when not the record's inquiry

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


def retry_later(entry: OutboxEntry, now: datetime, error: str) -> OutboxEntry:
    attempts = entry.attempts + 1
    return replace(
        entry, attempts=attempts, last_error=error, next_attempt_at=now + backoff(attempts)
    )


def failed(entry: OutboxEntry, now: datetime, error: str) -> OutboxEntry:
    return replace(
        entry, status=FAILED, attempts=entry.attempts + 1, last_error=error, sent_at=None
    )


def to_dict(entry: OutboxEntry) -> dict[str, Any]:
    data = {f.name: getattr(entry, f.name) for f in dataclasses.fields(entry)}  # shallow
    data["raw"] = entry.raw.decode("latin-1")  # bijective: any bytes survive JSON
    for name in ("created_at", "next_attempt_at", "sent_at"):
        data[name] = data[name].isoformat() if data[name] else None
    return data


def from_dict(data: dict[str, Any]) -> OutboxEntry:
    values = dict(data)
    values["raw"] = values.get("raw", "").encode("latin-1")
    for name in ("created_at", "next_attempt_at", "sent_at"):
        values[name] = datetime.fromisoformat(values[name]) if values.get(name) else None
    return OutboxEntry(**values)
