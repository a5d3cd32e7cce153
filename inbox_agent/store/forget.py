"""Erasing a person from the store: ``forget(store, email)``, for ``inbox-agent forget``.

Erased: the person's records (with their timelines), the outbox entries about those records or
to the address (rendered mail included), and the processed-log entries that name them (by record
or by sender). Kept: a suppression of theirs, as a hash only (``store.suppression_key``), so an
opt-out or a bounce still holds. The journal is then folded into a new snapshot twice, so the
lines that held their data leave the disk, the backups of the previous generation included
(``store restore`` can go back to the moment of the forget, not before it). Their mail in the
mailbox is never touched: ``Forgotten`` lists where it is (folder and UID) for the owner to
delete by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox_agent.records.prospect import suppression_from_dict
from inbox_agent.store.store import Store, suppression_key


@dataclass(frozen=True)
class Forgotten:
    """What ``forget`` erased, and where the person's mail still is in the mailbox."""

    email: str
    records: int
    outbox: int
    messages: int
    suppression_kept: bool
    in_mailbox: tuple[tuple[str, int], ...]  # (folder, uid) of their mail: never deleted by us


def forget(store: Store, email: str) -> Forgotten:
    """Erase ``email`` from ``store`` (in one transaction of its own)."""
    email = email.strip().lower()
    prospects = store.rows("prospects")
    ids = {i for i, d in prospects.items() if d.get("email") == email}
    where: dict[tuple[str, int], None] = {}
    for doc_id in sorted(ids):
        for event in prospects[doc_id].get("timeline", ()):
            if event.get("folder") and event.get("uid"):
                where[(event["folder"], int(event["uid"]))] = None
    logged = store.rows("messages")
    messages = sorted(
        i for i, d in logged.items()
        if d.get("prospect_id") in ids or (d.get("sender") or "").lower() == email
    )  # fmt: skip
    for i in messages:
        if logged[i].get("uid"):
            where[(logged[i]["folder"], int(logged[i]["uid"]))] = None
    entries = sorted(
        i for i, d in store.rows("outbox").items()
        if d["action"].get("prospect_id") in ids or d["action"].get("recipient") == email
    )  # fmt: skip
    suppressed = store.rows("suppressed")
    theirs = sorted(i for i, d in suppressed.items() if d.get("email") == email)
    with store.transaction():
        for table, found in (("prospects", ids), ("messages", messages), ("outbox", entries)):
            for doc_id in found:
                store.put_row(table, doc_id, None)
        for doc_id in theirs:
            kind = suppression_from_dict(suppressed[doc_id]).kind  # a bounce, an opt-out
            kept = {**suppressed[doc_id], "email": suppression_key(email), "kind": kind,
                    "reason": "kept as a hash after forget"}  # fmt: skip
            store.put_row("suppressed", doc_id, kept)
    store.refold()
    store.refold()  # twice: the first keeps the snapshot and journal that still name them as .bak
    return Forgotten(email, len(ids), len(entries), len(messages), bool(theirs),
                     tuple(sorted(where)))  # fmt: skip
