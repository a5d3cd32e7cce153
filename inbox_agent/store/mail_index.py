"""What the store knows about its outbox without reading it: the in-memory ``MailIndex``.

Built from every outbox entry when the store opens (and again after a rollback), updated as
entries are saved. It answers the questions asked for every message read — is this key queued,
is this Message-ID ours and of what kind, when did automatic mail go to this address, this
domain, anyone (the caps) — in time that does not grow with the outbox, and it knows which
entries are still open (to send, or to file in the Sent folder) for the dispatcher.
"""

from __future__ import annotations

import bisect
import sys
from datetime import datetime

from inbox_agent.sending.actions import MailKind
from inbox_agent.sending.outbox import OutboxEntry


class MailIndex:
    def __init__(self) -> None:
        self.keys: dict[str, int] = {}  # outbox key -> document id
        self.open: set[int] = set()  # ids of entries still to send or to file
        self._kinds: dict[str, MailKind] = {}  # our Message-IDs (without <>) -> what they are
        self._to_address: dict[str, set[tuple[int, datetime]]] = {}
        self._acks_to_domain: dict[str, set[tuple[int, datetime]]] = {}
        self._acks_in_order: list[tuple[datetime, int]] = []  # every acknowledgment, oldest first

    def add(self, doc_id: int, entry: OutboxEntry) -> None:
        """Index ``entry``, stored as ``doc_id``: new, or saved again in a new state."""
        self.keys[entry.key] = doc_id
        if entry.is_open:
            self.open.add(doc_id)
        else:
            self.open.discard(doc_id)
        when = (doc_id, entry.created_at)
        self._to_address.setdefault(entry.recipient, set()).add(when)
        if entry.kind == MailKind.ACKNOWLEDGMENT:
            times = self._acks_to_domain.setdefault(entry.recipient.rpartition("@")[2], set())
            if when not in times:
                times.add(when)
                bisect.insort(self._acks_in_order, (entry.created_at, doc_id))
        if entry.message_id:
            self._kinds[entry.message_id.strip("<>")] = entry.kind

    def sent_kind(self, message_id: str) -> MailKind | None:
        return self._kinds.get(message_id.strip("<>"))

    def mail_times(self, recipient: str) -> list[datetime]:
        return sorted(t for _, t in self._to_address.get(recipient, ()))

    def acknowledgments_to(self, domain: str, since: datetime) -> list[datetime]:
        return sorted(t for _, t in self._acks_to_domain.get(domain.lower(), ()) if t > since)

    def acknowledgments_since(self, since: datetime) -> list[datetime]:
        """Asked for every message read: a bisection, not a scan of every acknowledgment."""
        start = bisect.bisect_right(self._acks_in_order, (since, sys.maxsize))
        return [t for t, _ in self._acks_in_order[start:]]
