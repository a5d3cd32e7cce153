"""The prospect store: records, outbox, processed-message log and checkpoints, one writer.

Vocabulary: ``Store`` hands out the project's own dataclasses (``records.prospect``,
``sending.outbox``), never TinyDB documents; ``store.database`` keeps them crash-safe on disk
(or in memory, for tests). Every write happens inside ``transaction()`` and commits together, or
not at all. ``apply(decision)`` writes everything one incoming message's ``Decision`` says.
Lookups go through in-memory indexes (open prospect by address, prospect by Message-ID,
processed-message keys and content keys, and the outbox's ``MailIndex``: keys, our Message-IDs,
automatic mail per recipient, per domain and in all, for the caps), so the cost of an inquiry
does not grow with the number of records stored.

Suppressed addresses of people who were forgotten (``forget``) are kept only as a hash
(``suppression_key``), so their opt-out or bounce still holds without their address.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from inbox_agent.exceptions import StoreError
from inbox_agent.plan.inbound import Decision
from inbox_agent.records.prospect import (
    Barred,
    Checkpoint,
    LoggedMessage,
    Prospect,
    QuarantineEntry,
    Status,
    Suppression,
    logged_from_dict,
    prospect_from_dict,
    prospect_to_dict,
    quarantine_from_dict,
    record_to_dict,
    suppression_from_dict,
)
from inbox_agent.sending import outbox
from inbox_agent.sending.actions import Action, MailKind
from inbox_agent.sending.outbox import OutboxEntry
from inbox_agent.store.database import Database, docs, shard
from inbox_agent.store.files import Changes
from inbox_agent.store.mail_index import MailIndex

TABLES = ("prospects", "messages", "quarantine", "checkpoints", "outbox", "suppressed", "state")
HASHED = "sha256:"  # a suppression kept without its address


def suppression_key(email: str) -> str:
    """How a forgotten person's suppression is kept: a hash of the lower-cased address."""
    return HASHED + hashlib.sha256(email.strip().lower().encode()).hexdigest()


class Store:
    """The prospects and everything kept beside them: ``Store.open(path)``, ``Store.memory()``."""

    def __init__(self, db: Database, *, read_only: bool = False) -> None:
        self._db = db
        self.read_only = read_only
        self._due_at: Callable[[Prospect], datetime | None] | None = None
        self._due: dict[int, datetime] = {}
        self._pending: Changes = {}
        self._in_tx = False
        self._index()

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> Store:
        """The store at ``path``: the one writer (locked), or ``read_only`` beside it."""
        if read_only:
            return cls(Database.read_only(path), read_only=True)
        return cls(Database.open(path))

    @classmethod
    def memory(cls) -> Store:
        """A store with nothing on disk, for tests: the same behaviour, no durability."""
        return cls(Database.memory())

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- indexes ---------------------------------------------------------------------------
    def _index(self) -> None:
        data = self._db.data
        self._open_by_email: dict[str, int] = {}
        self._by_message_id: dict[str, int] = {}
        self._latest_by_email: dict[str, int] = {}
        for doc_id, doc in docs(data, "prospects"):
            self._index_prospect(doc_id, doc)
        self._logged: set[str] = set()
        self._content: set[str] = set()
        for _, d in docs(data, "messages"):
            self._logged.add(d["key"])
            if d.get("content_key"):
                self._content.add(d["content_key"])
        self._suppressed: dict[str, dict[int, Barred]] = {}  # address (or hash) -> {doc: why}
        for doc_id, doc in docs(data, "suppressed"):
            self._index_suppression(doc_id, suppression_from_dict(doc))
        self._state_ids: dict[str, int] = {d["name"]: i for i, d in docs(data, "state")}
        self._mail = MailIndex()
        for doc_id, doc in docs(data, "outbox"):
            self._mail.add(doc_id, outbox.from_dict(doc))
        self._checkpoints: dict[str, int] = {d["folder"]: i for i, d in docs(data, "checkpoints")}
        self._next: dict[str, int] = {
            t: max((i for i, _ in docs(data, t)), default=0) + 1 for t in TABLES
        }

    def _index_prospect(self, doc_id: int, doc: dict[str, Any]) -> None:
        email = doc["email"]
        if doc_id > self._latest_by_email.get(email, 0):
            self._latest_by_email[email] = doc_id
        if doc["status"] != Status.DONE:
            self._open_by_email[email] = doc_id
        elif self._open_by_email.get(email) == doc_id:
            del self._open_by_email[email]
        for mid in doc.get("message_ids", ()):
            self._by_message_id[mid] = doc_id

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together, durably, or not at all."""
        if self.read_only:
            raise StoreError("this store was opened to read only")
        if self._in_tx:
            raise StoreError("nested transaction")
        self._in_tx = True
        self._pending = {}
        try:
            yield self
        except BaseException:
            if self._pending:
                self._index()  # the indexes saw uncommitted writes; the tables did not
            raise
        else:
            if self._pending:
                try:
                    self._db.commit(self._pending)
                except BaseException:
                    # TinyDB's tables took the changes but the disk did not: back to the disk.
                    self._db.reload()
                    self._index()
                    raise
        finally:
            self._in_tx = False
            self._pending = {}

    def _put(self, table: str, doc_id: int, doc: dict[str, Any] | None) -> None:
        if not self._in_tx:
            raise StoreError("writes must happen inside store.transaction()")
        self._pending.setdefault(table, {})[doc_id] = doc

    def _get(self, table: str, doc_id: int) -> dict[str, Any] | None:
        pending = self._pending.get(table, {})
        if doc_id in pending:
            return pending[doc_id]
        doc = self._db.data.get(shard(table, doc_id), {}).get(str(doc_id))
        return dict(doc) if doc is not None else None

    def _all(self, table: str) -> dict[int, dict[str, Any]]:
        found = dict(docs(self._db.data, table))
        for i, d in self._pending.get(table, {}).items():
            if d is None:
                found.pop(i, None)
            else:
                found[i] = d
        return found

    def _new_id(self, table: str) -> int:
        doc_id = self._next[table]
        self._next[table] = doc_id + 1
        return doc_id

    # -- one incoming message's decision ---------------------------------------------------
    def apply(self, decision: Decision, now: datetime) -> list[str]:
        """Write what ``decision`` says, inside the current transaction. Returns the keys of
        the outbox entries it queued (an action whose key is already queued is not again)."""
        for record in decision.records:
            self.save_prospect(record)
        for suppression in decision.suppress:
            self.suppress(suppression)
        for email in decision.lift:
            self.lift(email)
        for name, value in decision.state:
            self.set_state(name, value)
        if decision.logged is not None:
            self.log_message(decision.logged)
        if decision.quarantine is not None:
            self.quarantine(decision.quarantine)
        return [a.key for a in decision.outbox if self.queue(a, now)]

    # -- prospects -------------------------------------------------------------------------
    def next_prospect_id(self) -> int:
        """The number the next new record gets."""
        return self._next["prospects"]

    def save_prospect(self, prospect: Prospect) -> Prospect:
        """Insert or replace a prospect; returns it with its id. A new record takes the id it
        carries when it is the next free one (``next_prospect_id``), or a new id when it is 0."""
        old = self._get("prospects", prospect.id) if prospect.id else None
        if old is None:
            if prospect.is_open and prospect.email in self._open_by_email:
                raise StoreError(f"{prospect.email} already has an open record")
            if prospect.id not in (0, self._next["prospects"]):
                raise StoreError(f"record {prospect.id} does not exist")
            prospect = replace(prospect, id=self._new_id("prospects"))
        doc = prospect_to_dict(prospect)
        if (
            old
            and old["email"] != doc["email"]
            and self._open_by_email.get(old["email"]) == prospect.id
        ):
            del self._open_by_email[old["email"]]
        self._put("prospects", prospect.id, doc)
        self._index_prospect(prospect.id, doc)
        if self._due_at is not None:
            self.reschedule(prospect.id, self._due_at(prospect) if prospect.is_open else None)
        return prospect

    # -- when open records next need looking at (the follow-ups) -----------------------------
    def follow(self, due_at: Callable[[Prospect], datetime | None]) -> None:
        """Keep an index of when each open record next needs looking at, by ``due_at``, kept
        up to date as records are saved: a scan of what is due reads the index, not every
        timeline."""
        self._due_at = due_at
        self._due = {}
        for doc_id, doc in docs(self._db.data, "prospects"):
            if doc["status"] != Status.DONE:
                self.reschedule(doc_id, due_at(prospect_from_dict(doc, doc_id)))

    def reschedule(self, prospect_id: int, at: datetime | None) -> None:
        if at is None:
            self._due.pop(prospect_id, None)
        else:
            self._due[prospect_id] = at

    def due(self, now: datetime) -> list[int]:
        """The records whose next step falls at or before ``now``, earliest first."""
        return sorted((i for i, t in self._due.items() if t <= now), key=self._due.__getitem__)

    def prospect(self, prospect_id: int) -> Prospect | None:
        doc = self._get("prospects", prospect_id)
        return prospect_from_dict(doc, prospect_id) if doc else None

    def open_prospect_for(self, email: str) -> Prospect | None:
        doc_id = self._open_by_email.get(email.lower())
        return self.prospect(doc_id) if doc_id else None

    def latest_prospect_for(self, email: str) -> Prospect | None:
        """The newest record for an address, open or closed."""
        doc_id = self._latest_by_email.get(email.lower())
        return self.prospect(doc_id) if doc_id else None

    def prospect_for_message_id(self, message_id: str) -> Prospect | None:
        doc_id = self._by_message_id.get(message_id)
        return self.prospect(doc_id) if doc_id else None

    def prospects(self) -> list[Prospect]:
        return [prospect_from_dict(d, i) for i, d in sorted(self._all("prospects").items())]

    def prospects_for(self, email: str) -> list[Prospect]:
        email = email.lower()
        return [p for p in self.prospects() if p.email == email]

    # -- processed messages, quarantine, checkpoints ---------------------------------------
    def has_message(self, key: str) -> bool:
        return key in self._logged

    def log_message(self, entry: LoggedMessage) -> None:
        self._put("messages", self._new_id("messages"), record_to_dict(entry))
        self._logged.add(entry.key)
        if entry.content_key:
            self._content.add(entry.content_key)

    def has_content(self, key: str) -> bool:
        """A message with this ``plan.context.content_key`` was processed (another copy)."""
        return bool(key) and key in self._content

    def messages(self) -> list[LoggedMessage]:
        return [logged_from_dict(d) for _, d in sorted(self._all("messages").items())]

    def quarantine(self, entry: QuarantineEntry) -> None:
        self._put("quarantine", self._new_id("quarantine"), record_to_dict(entry))

    def quarantined(self) -> list[QuarantineEntry]:
        return [quarantine_from_dict(d) for _, d in sorted(self._all("quarantine").items())]

    def checkpoint(self, folder: str) -> Checkpoint | None:
        doc_id = self._checkpoints.get(folder)
        doc = self._get("checkpoints", doc_id) if doc_id else None
        return Checkpoint(**doc) if doc else None

    def set_checkpoint(self, checkpoint: Checkpoint) -> None:
        doc_id = self._checkpoints.get(checkpoint.folder) or self._new_id("checkpoints")
        self._checkpoints[checkpoint.folder] = doc_id
        self._put("checkpoints", doc_id, record_to_dict(checkpoint))

    # -- small named values (who was assigned last, …) -------------------------------------
    def state(self, name: str) -> str | None:
        doc_id = self._state_ids.get(name)
        doc = self._get("state", doc_id) if doc_id else None
        return str(doc["value"]) if doc else None

    def set_state(self, name: str, value: str) -> None:
        doc_id = self._state_ids.get(name) or self._new_id("state")
        self._state_ids[name] = doc_id
        self._put("state", doc_id, {"name": name, "value": value})

    # -- addresses that get no automatic mail: hard bounces, opt-outs ----------------------
    def _index_suppression(self, doc_id: int, suppression: Suppression) -> None:
        self._suppressed.setdefault(suppression.email, {})[doc_id] = suppression.kind

    def _barred(self, email: str) -> list[Barred]:
        email = email.lower()
        found = (self._suppressed.get(k, {}) for k in (email, suppression_key(email)))
        return [c for d in found for c in d.values()]

    def suppress(self, suppression: Suppression) -> None:
        """Kept once per address and kind (a bounce, an opt-out)."""
        if suppression.kind not in self._barred(suppression.email):
            doc_id = self._new_id("suppressed")
            self._index_suppression(doc_id, suppression)
            self._put("suppressed", doc_id, record_to_dict(suppression))

    def is_suppressed(self, email: str) -> bool:
        return bool(self._barred(email))

    def opted_out_only(self, email: str) -> bool:
        """Suppressed because they asked us to stop, and for no other reason (a bounce)."""
        found = self._barred(email)
        return bool(found) and all(c == Barred.OPT_OUT for c in found)

    def lift(self, email: str) -> None:
        """They wrote in again themselves: their opt-out no longer holds (a bounce still does)."""
        email = email.lower()
        for key in (email, suppression_key(email)):
            held = self._suppressed.get(key, {})
            for doc_id in [i for i, c in held.items() if c == Barred.OPT_OUT]:
                del held[doc_id]
                self._put("suppressed", doc_id, None)

    # -- the outbox -------------------------------------------------------------------------
    def queue(self, action: Action, now: datetime) -> bool:
        """Add an outbox entry for ``action`` unless one with its key exists; True when added."""
        if action.key in self._mail.keys:
            return False
        self.save_entry(OutboxEntry(action, now))
        return True

    def save_entry(self, entry: OutboxEntry) -> None:
        doc_id = self._mail.keys.get(entry.key) or self._new_id("outbox")
        self._put("outbox", doc_id, outbox.to_dict(entry))
        self._mail.add(doc_id, entry)

    def sent_kind(self, message_id: str) -> MailKind | None:
        """What kind of our mail carries this Message-ID (once rendered), if it is ours."""
        return self._mail.sent_kind(message_id)

    def outbox_open(self) -> list[OutboxEntry]:
        """Entries still to send, or sent but not yet filed in the Sent folder."""
        found = [self._get("outbox", i) for i in sorted(self._mail.open)]
        return [outbox.from_dict(d) for d in found if d]

    def outbox(self) -> list[OutboxEntry]:
        return [outbox.from_dict(d) for _, d in sorted(self._all("outbox").items())]

    def mail_times(self, recipient: str) -> list[datetime]:
        """When automatic mail to this address was queued (for the per-recipient cap)."""
        return self._mail.mail_times(recipient)

    def acknowledgments_to(self, domain: str, since: datetime) -> list[datetime]:
        """When acknowledgments to addresses at ``domain`` were queued after ``since``."""
        return self._mail.acknowledgments_to(domain, since)

    def acknowledgments_since(self, since: datetime) -> list[datetime]:
        """When acknowledgments (to anyone) were queued after ``since`` (the mailbox cap)."""
        return self._mail.acknowledgments_since(since)

    # -- raw documents, for ``store.forget`` -------------------------------------------
    def rows(self, table: str) -> dict[int, dict[str, Any]]:
        """Every document of a logical table (committed and pending)."""
        return self._all(table)

    def put_row(self, table: str, doc_id: int, doc: dict[str, Any] | None) -> None:
        """Replace (or, with None, delete) one document, inside a transaction."""
        self._put(table, doc_id, doc)

    def refold(self) -> None:
        """After deletions: fold the journal into a snapshot, rebuild the indexes; numbers
        already given out are never given again."""
        following = dict(self._next)
        self._db.compact()
        self._index()
        self._next = {t: max(n, following.get(t, n)) for t, n in self._next.items()}

    # -- outbox entries by key (``digest --send``; the reports' reads: ``store.history``) ---
    def has_entry(self, key: str) -> bool:
        """Whether the outbox holds an entry with this key (sent, waiting or failed)."""
        return key in self._mail.keys

    def entry(self, key: str) -> OutboxEntry | None:
        doc_id = self._mail.keys.get(key)
        doc = self._get("outbox", doc_id) if doc_id is not None else None
        return outbox.from_dict(doc) if doc else None
