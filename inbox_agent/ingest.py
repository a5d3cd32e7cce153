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

from inbox_agent import conversation
from inbox_agent.commands import Command, internal_only, parse_commands, trusted_sender
from inbox_agent.intake import (
    Reading,
    Rules,
    apply_reading,
    event_for,
    is_human_from_us,
)
from inbox_agent.mailbox import Fetched, MailboxSession
from inbox_agent.prospect import Checkpoint, Event, LoggedMessage, Prospect, QuarantineEntry
from inbox_agent.reader import Failure, Reader
from inbox_agent.store import Store
from inbox_agent.threads import Lookups, Thread, find_thread

log = logging.getLogger(__name__)

# Called inside the batch's transaction for every message read, so whatever it queues (an
# acknowledgment) commits atomically with the record:
# (store, reading, outcome, arrived, now).
Respond = Callable[[Store, Reading, "Outcome", datetime, datetime], None]


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
    is_sent: bool = False,
) -> PollReport:
    """Process everything new in ``folder``; return what happened. ``is_sent``: the folder is
    the shared Sent folder (mail there was sent by people using the shared address)."""
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
    ctx = _Pass(store, rules, folder, state.uidvalidity, now, report, respond, is_sent)
    pending: Pending | None = None
    for batch in _batches(uids, max(1, batch_size)):
        try:
            fetched = session.fetch(batch)
        except Exception:
            if pending is not None:  # what was already read is not thrown away
                ctx.commit(pending)
            raise
        ahead = Pending(batch, fetched, reader.submit(fetched))
        if pending is not None:
            ctx.commit(pending)
        pending = ahead
        if on_batch:
            on_batch(len(fetched))
    if pending is not None:
        ctx.commit(pending)
    return report


@dataclass(frozen=True)
class Pending:
    """A batch fetched and being read, not yet committed."""

    uids: Sequence[int]
    items: list[Fetched]
    readings: Callable[[], list[Reading | Failure]]


@dataclass(frozen=True)
class _Pass:
    """One pass over one folder: where results go."""

    store: Store
    rules: Rules
    folder: str
    uidvalidity: int
    now: Callable[[], datetime]
    report: PollReport
    respond: Respond | None
    is_sent: bool

    def commit(self, pending: Pending) -> None:
        """One batch, its records and its checkpoint, in one transaction."""
        with self.store.transaction():
            for item, reading in zip(pending.items, pending.readings(), strict=True):
                _process(self, item, reading, self.now())
            self.store.set_checkpoint(Checkpoint(self.folder, self.uidvalidity, max(pending.uids)))
        self.report.fetched += len(pending.items)


def _process(ctx: _Pass, item: Fetched, reading: Reading | Failure, now: datetime) -> None:
    store, rules, folder, report = ctx.store, ctx.rules, ctx.folder, ctx.report
    if isinstance(reading, Failure):
        if not reading.parse_error:
            log.error("%s uid %s: %s", folder, item.uid, reading.reason)
        _quarantine(item, store, folder, ctx.uidvalidity, now, report, reading.reason)
        return
    msg = reading.message
    if store.has_message(msg.dedupe_key):
        report.duplicates += 1
        log.info("%s uid %s %s: already processed", folder, item.uid, msg.message_id)
        return
    arrived = item.arrived or now
    outcome = _record_for(reading, store, rules, folder, item.uid, arrived, is_sent=ctx.is_sent)
    kind, record = outcome.kind, outcome.record
    if record is not None:
        (report.created if outcome.created else report.joined).append(record.id)
    report.kinds[kind] += 1
    log.info(
        "%s uid %s %s: %s (%s); source %s; %s%s",
        folder, item.uid, msg.message_id, kind, reading.verdict.reason,
        reading.source.name, f"record {record.id}" if record else "no record",
        f"; commands refused: {outcome.refused}" if outcome.refused else "",
    )  # fmt: skip
    store.log_message(
        LoggedMessage(
            key=msg.dedupe_key,
            message_id=msg.message_id,
            folder=folder,
            uid=item.uid,
            kind=kind,
            reason=outcome.refused or reading.verdict.reason,
            at=now,
            prospect_id=record.id if record else None,
        )
    )
    if ctx.respond is not None:
        ctx.respond(store, reading, outcome, arrived, now)


@dataclass(frozen=True)
class Outcome:
    """What one message did: its conversation kind, the record it made or continued."""

    kind: str
    record: Prospect | None = None
    created: bool = False
    applied: tuple[str, ...] = ()  # commands carried out
    errors: tuple[str, ...] = ()  # commands not understood
    refused: str = ""  # why commands in it were not accepted


def _record_for(
    reading: Reading,
    store: Store,
    rules: Rules,
    folder: str,
    uid: int,
    arrived: datetime,
    *,
    is_sent: bool,
) -> Outcome:
    msg = reading.message
    human_from_us = reading.kind == "own" and is_human_from_us(msg, rules)
    thread = Thread(None, "none", "else")
    if reading.kind in ("inquiry", "own", "auto_reply"):
        lookups = Lookups(store.prospect_for_message_id, store.prospect, store.open_prospect_for)
        thread = find_thread(
            msg, lookups, agents=rules.agents, own=rules.own_addresses, sent_as_us=human_from_us
        )
    kind = conversation.kind_of(reading.kind, thread, human_from_us=human_from_us)
    event = event_for(
        reading, kind=kind, at=arrived, folder=folder, uid=uid, keep_body=rules.keep_bodies
    )
    record = thread.record
    if kind in ("inquiry", "prospect_reply") and reading.has_commands:
        # someone who is not staff gave commands: change nothing, mail no one
        sender = msg.from_.email if msg.from_ else "(no sender)"
        return Outcome("command_refused", refused=f"{sender} is not an agent or owner")
    if kind == "prospect_reply" and record is not None:
        accepted = conversation.accepted_meeting(msg)
        updated = conversation.prospect_replied(record, event, arrived, accepted=accepted)
        return Outcome(kind, store.save_prospect(updated))
    if kind == "agent_reply":
        return _staff_mail(reading, record, event, store, rules, arrived, is_sent=is_sent)
    if kind == "auto_reply" and record is not None and thread.author == "prospect":
        return Outcome(kind, store.save_prospect(conversation.noted(record, event)))
    contact = reading.contact
    if kind != "inquiry" or contact is None or not contact.email:
        return Outcome(kind)
    open_record = store.open_prospect_for(contact.email)
    previous = None if open_record else store.latest_prospect_for(contact.email)
    made = apply_reading(
        reading, open_record=open_record, previous=previous, event=event, now=arrived
    )
    if made is None:
        return Outcome(kind)
    return Outcome(kind, store.save_prospect(made), created=open_record is None)


def _staff_mail(
    reading: Reading,
    record: Prospect | None,
    event: Event,
    store: Store,
    rules: Rules,
    arrived: datetime,
    *,
    is_sent: bool,
) -> Outcome:
    """An agent's or owner's mail: an answer to the prospect, and/or #commands."""
    msg = reading.message
    sender = msg.from_.email if msg.from_ else ""
    parsed = parse_commands(reading.fresh)
    if parsed.commands or parsed.errors:
        trusted, why = trusted_sender(
            msg, rules.agents | rules.own_addresses, rules.trust, in_sent_folder=is_sent
        )
        if not trusted:
            return Outcome("agent_reply", record, refused=why)
        if not internal_only(msg, rules.agents, rules.own_addresses):
            return Outcome("agent_reply", record, refused="the mail also went outside the business")
        target = _target(parsed.commands, record, store)
        if target is None:
            return Outcome("agent_reply", None, refused="no record: reply to one, or add #record N")
        updated, applied, errors = conversation.apply_commands(
            target, [c for c in parsed.commands], arrived, rules.agent_list, sender
        )
        return Outcome(
            "agent_reply", store.save_prospect(updated), applied=tuple(applied),
            errors=(*parsed.errors, *errors),
        )  # fmt: skip
    if record is None:
        return Outcome("agent_reply")
    to_prospect = record.email in {a.email for a in (*msg.to, *msg.cc)}
    if not to_prospect:  # internal mail about the record: kept, not information sent
        return Outcome("agent_reply", store.save_prospect(conversation.noted(record, event)))
    agent = sender if sender in rules.agents else None
    updated = conversation.agent_replied(record, event, arrived, agent)
    return Outcome("agent_reply", store.save_prospect(updated))


def _target(commands: Sequence[Command], record: Prospect | None, store: Store) -> Prospect | None:
    for command in commands:
        if command.name == "record":
            ref = command.args[0]
            return store.prospect(int(ref)) if ref.isdigit() else store.open_prospect_for(ref)
    return record


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
