"""One pass over a folder: fetch what is new, read it, record it, move the checkpoint. Exactly once.

Each batch is one store transaction holding the records it produced *and* the folder's new
position ``(UIDVALIDITY, last UID)``, so a crash at any point leaves either the whole batch or none
of it, and the next pass resumes at the right message. When the server's UIDVALIDITY changes, the
folder is read again from the start and messages already processed are recognised by Message-ID
plus content hash. A message that cannot be parsed, or that breaks a detector, is quarantined with
its UID and the reason, and the pass goes on: poison mail never blocks the mailbox.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from inbox_agent.intake import Reading, Rules, apply_reading, event_for
from inbox_agent.mailbox import Fetched, MailboxSession
from inbox_agent.prospect import Checkpoint, LoggedMessage, Prospect, QuarantineEntry
from inbox_agent.reader import Failure, Reader
from inbox_agent.store import Store

log = logging.getLogger(__name__)

# Called inside the batch's transaction for every message read, so whatever it queues (an
# acknowledgment) commits atomically with the record:
# (store, reading, record, created, arrived, now).
Respond = Callable[[Store, Reading, Prospect | None, bool, datetime, datetime], None]


@dataclass
class PollReport:
    """What one pass did."""

    folder: str = ""
    fetched: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    created: list[int] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)
    duplicates: int = 0
    quarantined: int = 0
    resynced: bool = False


def _batches(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def poll_folder(
    session: MailboxSession,
    store: Store,
    rules: Rules,
    folder: str,
    *,
    now: Callable[[], datetime],
    batch_size: int = 100,
    on_batch: Callable[[int], None] | None = None,
    respond: Respond | None = None,
    reader: Reader | None = None,
) -> PollReport:
    """Process everything new in ``folder``; return what happened."""
    reader = reader or Reader(rules, workers=1)
    report = PollReport(folder=folder)
    state = session.select(folder)
    checkpoint = store.checkpoint(folder)
    last_uid = 0
    if checkpoint is not None and checkpoint.uidvalidity == state.uidvalidity:
        last_uid = checkpoint.last_uid
    elif checkpoint is not None:
        report.resynced = True
        log.warning(
            "%s: UIDVALIDITY changed (%s -> %s): reading the folder again, skipping what was seen",
            folder, checkpoint.uidvalidity, state.uidvalidity,
        )  # fmt: skip
    uids = session.uids_after(last_uid)
    # A pipeline: the next batch is fetched and handed to the reader before this one is
    # committed, so reading (on other cores) overlaps with fetching and writing. Batches are
    # still committed strictly in order, each with its checkpoint.
    pending: Pending | None = None
    for batch in _batches(uids, max(1, batch_size)):
        try:
            fetched = session.fetch(batch)
        except Exception:
            if pending is not None:  # what was already read is not thrown away
                _commit(pending, store, rules, folder, state.uidvalidity, now, report, respond)
            raise
        ahead = Pending(batch, fetched, reader.submit(fetched))
        if pending is not None:
            _commit(pending, store, rules, folder, state.uidvalidity, now, report, respond)
        pending = ahead
        if on_batch:
            on_batch(len(fetched))
    if pending is not None:
        _commit(pending, store, rules, folder, state.uidvalidity, now, report, respond)
    return report


@dataclass(frozen=True)
class Pending:
    """A batch fetched and being read, not yet committed."""

    uids: Sequence[int]
    items: list[Fetched]
    readings: Callable[[], list[Reading | Failure]]


def _commit(
    pending: Pending,
    store: Store,
    rules: Rules,
    folder: str,
    uidvalidity: int,
    now: Callable[[], datetime],
    report: PollReport,
    respond: Respond | None,
) -> None:
    """One batch, its records and its checkpoint, in one transaction."""
    with store.transaction():
        for item, reading in zip(pending.items, pending.readings(), strict=True):
            _process(item, reading, store, rules, folder, uidvalidity, now(), report, respond)
        store.set_checkpoint(Checkpoint(folder, uidvalidity, max(pending.uids)))
    report.fetched += len(pending.items)


def _process(
    item: Fetched,
    reading: Reading | Failure,
    store: Store,
    rules: Rules,
    folder: str,
    uidvalidity: int,
    now: datetime,
    report: PollReport,
    respond: Respond | None,
) -> None:
    if isinstance(reading, Failure):
        if not reading.parse_error:
            log.error("%s uid %s: %s", folder, item.uid, reading.reason)
        _quarantine(item, store, folder, uidvalidity, now, report, reading.reason)
        return
    msg = reading.message
    if store.has_message(msg.dedupe_key):
        report.duplicates += 1
        log.info("%s uid %s %s: already processed", folder, item.uid, msg.message_id)
        return
    arrived = item.arrived or now
    record, created = _record_for(reading, store, rules, folder, item.uid, arrived)
    if record is not None:
        (report.created if created else report.joined).append(record.id)
    report.kinds[reading.kind] += 1
    log.info(
        "%s uid %s %s: %s (%s); source %s; %s",
        folder, item.uid, msg.message_id, reading.kind, reading.verdict.reason,
        reading.source.name, f"record {record.id}" if record else "no record",
    )  # fmt: skip
    store.log_message(
        LoggedMessage(
            key=msg.dedupe_key,
            message_id=msg.message_id,
            folder=folder,
            uid=item.uid,
            kind=reading.kind,
            reason=reading.verdict.reason,
            at=now,
            prospect_id=record.id if record else None,
        )
    )
    if respond is not None:
        respond(store, reading, record, created, arrived, now)


def _record_for(
    reading: Reading, store: Store, rules: Rules, folder: str, uid: int, arrived: datetime
) -> tuple[Prospect | None, bool]:
    """The record this message made or joined, and whether it is new."""
    contact = reading.contact
    if contact is None or not contact.email:
        return None, False
    open_record = store.open_prospect_for(contact.email)
    previous = None if open_record else store.latest_prospect_for(contact.email)
    event = event_for(reading, at=arrived, folder=folder, uid=uid, keep_body=rules.keep_bodies)
    updated = apply_reading(
        reading,
        open_record=open_record,
        previous=previous,
        event=event,
        now=arrived,
    )
    if updated is None:
        return None, False
    return store.save_prospect(updated), open_record is None


def _quarantine(
    item: Fetched,
    store: Store,
    folder: str,
    uidvalidity: int,
    now: datetime,
    report: PollReport,
    reason: str,
) -> None:
    key = f"quarantine|{hashlib.sha256(item.raw).hexdigest()}"
    if store.has_message(key):
        report.duplicates += 1
        return
    report.quarantined += 1
    report.kinds["quarantine"] += 1
    log.warning("%s uid %s: quarantined: %s", folder, item.uid, reason)
    store.quarantine(QuarantineEntry(folder, uidvalidity, item.uid, reason, now))
    store.log_message(LoggedMessage(key, "", folder, item.uid, "quarantine", reason, now))
