"""One pass over a folder: fetch what is new, read it, decide, apply, move the checkpoint.

Exactly once: each batch is one store transaction holding what its messages did *and* the
folder's new position ``(UIDVALIDITY, last UID)``, so a crash at any point leaves either the whole
batch or none of it, and the next pass resumes at the right message. When the server's
UIDVALIDITY changes, the folder is read again from the start and messages already processed are
recognised by Message-ID plus content hash. For each message: the store's lookups
(``plan.context``) → ``plan.inbound.decide`` → ``Store.apply``. A message that cannot be read is
quarantined with its UID and the reason, and the pass goes on: poison mail never blocks.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from inbox_agent.imap import Fetched, MailboxSession
from inbox_agent.mail.classify import Kind
from inbox_agent.mail.reading import Reading
from inbox_agent.plan.context import Context, content_key, wanted
from inbox_agent.plan.guards import HOUR
from inbox_agent.plan.inbound import LAST_ASSIGNED, Decision, InboundRules, decide
from inbox_agent.records.prospect import Checkpoint, LoggedMessage, Prospect, QuarantineEntry
from inbox_agent.spamd import SpamCheck
from inbox_agent.store import Store
from inbox_agent.workers import Failure, ReaderPool

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    """What one pass did."""

    folder: str = ""
    fetched: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    created: list[int] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)  # outbox keys
    duplicates: int = 0
    quarantined: int = 0
    resynced: bool = False


def _batches(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Folder:
    """The folder a pass reads: its name and whether it is the shared Sent folder."""

    name: str
    sent: bool = False


def poll_folder(
    session: MailboxSession,
    store: Store,
    rules: InboundRules,
    folder: Folder,
    *,
    now: Callable[[], datetime],
    reader: ReaderPool,
    batch_size: int = 100,
    on_batch: Callable[[int], None] | None = None,
    spam_check: SpamCheck | None = None,
) -> PollReport:
    """Process everything new in ``folder``; return what happened."""
    report = PollReport(folder=folder.name)
    state = session.select(folder.name)
    checkpoint = store.checkpoint(folder.name)
    last_uid = 0
    if checkpoint is not None and checkpoint.uidvalidity == state.uidvalidity:
        last_uid = checkpoint.last_uid
    elif checkpoint is not None:
        report.resynced = True
        log.warning(
            "%s: UIDVALIDITY changed (%s -> %s): reading the folder again, skipping what was seen",
            folder.name, checkpoint.uidvalidity, state.uidvalidity,
        )  # fmt: skip
    uids = session.uids_after(last_uid)
    # A pipeline: the next batch is fetched and handed to the reader before this one is
    # committed, so reading (on other cores) overlaps with fetching and writing. Batches are
    # still committed strictly in order, each with its checkpoint.
    ctx = _Pass(store, rules, folder, state.uidvalidity, now, report, spam_check)
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
    rules: InboundRules
    folder: Folder
    uidvalidity: int
    now: Callable[[], datetime]
    report: PollReport
    spam_check: SpamCheck | None = None  # [classify] spamd, asked about a person's mail

    def commit(self, pending: Pending) -> None:
        """One batch, what its messages did and its checkpoint, in one transaction."""
        with self.store.transaction():
            for item, reading in zip(pending.items, pending.readings(), strict=True):
                now = self.now()
                if isinstance(reading, Failure):
                    self._quarantine(item, reading, now)
                    continue
                decision = decide(reading, self._context(reading, item, now), self.rules)
                self._apply(decision, now)
            checkpoint = Checkpoint(self.folder.name, self.uidvalidity, max(pending.uids))
            self.store.set_checkpoint(checkpoint)
        self.report.fetched += len(pending.items)

    def _context(self, reading: Reading, item: Fetched, now: datetime) -> Context:
        """What the store knows about this message's keys, as a frozen snapshot."""
        store, keys = self.store, wanted(reading)

        def found(pairs: Iterator[tuple[str, Prospect | None]]) -> MappingProxyType[str, Prospect]:
            return MappingProxyType({k: p for k, p in pairs if p is not None})

        by_id = {i: p for i in keys.record_ids if (p := store.prospect(i)) is not None}
        seen = store.has_message(reading.message.dedupe_key)
        same = store.has_content(content_key(reading.message))
        ask = self.spam_check and reading.kind == Kind.INQUIRY and not self.folder.sent
        spam = self.spam_check(item.raw) if ask and not seen and self.spam_check else None
        return Context(
            folder=self.folder.name, uid=item.uid, arrived=item.arrived or now, now=now,
            in_sent_folder=self.folder.sent,
            seen=seen, same_content=same, spam=spam,
            domain_times=MappingProxyType(
                {d: tuple(store.acknowledgments_to(d, now - HOUR)) for d in keys.domains}
            ),
            mailbox_times=tuple(store.acknowledgments_since(now - HOUR)),
            by_message_id=found((m, store.prospect_for_message_id(m)) for m in keys.message_ids),
            by_id=MappingProxyType(by_id),
            open_by_email=found((a, store.open_prospect_for(a)) for a in keys.addresses),
            latest_by_email=found((a, store.latest_prospect_for(a)) for a in keys.addresses),
            mail_times=MappingProxyType({a: tuple(store.mail_times(a)) for a in keys.addresses}),
            suppressed=frozenset(a for a in keys.addresses if store.is_suppressed(a)),
            opted_out=frozenset(a for a in keys.addresses if store.opted_out_only(a)),
            our_mail=MappingProxyType(
                {m: k for m in keys.message_ids if (k := store.sent_kind(m)) is not None}
            ),
            last_assigned=store.state(LAST_ASSIGNED), next_id=store.next_prospect_id(),
            uidvalidity=self.uidvalidity,
        )  # fmt: skip

    def _apply(self, decision: Decision, now: datetime) -> None:
        report = self.report
        for line in decision.log:
            log.info("%s", line)
        for line in decision.warnings:
            log.warning("%s", line)
        if decision.logged is None:
            report.duplicates += 1
            return
        queued = self.store.apply(decision, now)
        if decision.quarantine is not None:
            report.quarantined += 1
        for key in queued:
            log.info("%s: queued", key)
        report.queued.extend(queued)
        report.kinds[decision.kind] += 1
        if decision.record is not None:
            (report.created if decision.created else report.joined).append(decision.record.id)

    def _quarantine(self, item: Fetched, failure: Failure, now: datetime) -> None:
        store, folder, report = self.store, self.folder.name, self.report
        if not failure.parse_error:
            log.error("%s uid %s: %s", folder, item.uid, failure.reason)
        key = f"quarantine|{hashlib.sha256(item.raw).hexdigest()}"
        if store.has_message(key):
            report.duplicates += 1
            return
        report.quarantined += 1
        report.kinds[Kind.QUARANTINE] += 1
        log.warning("%s uid %s: quarantined: %s", folder, item.uid, failure.reason)
        store.quarantine(QuarantineEntry(folder, self.uidvalidity, item.uid, failure.reason, now))
        store.log_message(
            LoggedMessage(key, "", folder, item.uid, Kind.QUARANTINE, failure.reason, now)
        )
