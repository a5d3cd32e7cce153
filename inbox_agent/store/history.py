"""What the reports read from the store (the digest, the monthly review, ``quarantine``): whole
tables filtered before anything is built, so that a report over a year's records builds only
the part it reads. Functions over ``Store.rows``; nothing here writes.
"""

from __future__ import annotations

from datetime import datetime

from inbox_agent.records.prospect import (
    LoggedMessage,
    Prospect,
    Status,
    Suppression,
    logged_from_dict,
    prospect_from_dict,
    since_view,
    suppression_from_dict,
)
from inbox_agent.sending import outbox
from inbox_agent.sending.actions import MailKind
from inbox_agent.sending.outbox import OutboxEntry
from inbox_agent.store.store import Store


def suppressions(store: Store) -> list[Suppression]:
    return [suppression_from_dict(d) for _, d in sorted(store.rows("suppressed").items())]


def entries_of(store: Store, kind: MailKind, since: datetime) -> list[OutboxEntry]:
    """Outbox entries of one kind queued from ``since`` on (the digest's cap notices)."""
    found = [
        (i, d) for i, d in store.rows("outbox").items()
        if d["action"]["kind"] == kind and datetime.fromisoformat(d["created_at"]) >= since
    ]  # fmt: skip
    return [outbox.from_dict(d) for _, d in sorted(found)]


def undeliverable(store: Store) -> list[OutboxEntry]:
    """Outbox entries refused for good (``failed``), without building the others."""
    found = [(i, d) for i, d in store.rows("outbox").items() if d["status"] == outbox.FAILED]
    return [outbox.from_dict(d) for _, d in sorted(found)]


def first_message_at(store: Store) -> datetime | None:
    """When the first message was processed (None: none ever was)."""
    found = store.rows("messages")
    return datetime.fromisoformat(found[min(found)]["at"]) if found else None


def messages_since(store: Store, since: datetime) -> list[LoggedMessage]:
    """The processed-message log from ``since`` on."""
    found = [(i, d) for i, d in store.rows("messages").items()
             if datetime.fromisoformat(d["at"]) >= since]  # fmt: skip
    return [logged_from_dict(d) for _, d in sorted(found)]


def prospects_for_report(
    store: Store, since: datetime, kinds: frozenset[str], whole: frozenset[Status]
) -> list[Prospect]:
    """What a report from ``since`` on needs, fast: every open record and every record with a
    time from then on, with its events of ``kinds`` from then on (all, in ``whole``)."""
    found = []
    for doc_id, doc in sorted(store.rows("prospects").items()):
        view = doc if doc.get("status") in whole else since_view(doc, since, kinds)
        if view is not None:
            found.append(prospect_from_dict(view, doc_id))
    return found
