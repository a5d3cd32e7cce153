"""The prospect store: one TinyDB file, crash-safe, one writer at a time.

TinyDB's own JSONStorage rewrites the whole file in place, so a crash or a full disk mid-write
corrupts it, and every write costs the size of the whole database. Here:

* The file (``prospects.json``) is a snapshot in TinyDB's JSON format, only ever replaced whole:
  written to a temp file, fsynced, ``os.replace``\\ d, directory fsynced.
* Each ``transaction()`` commits as **one** fsynced line appended to ``prospects.json.journal``
  holding the documents it changed. A crash mid-append leaves a torn last line, which the next
  open discards: a transaction is there entirely or not at all. When the journal outgrows the
  snapshot it is folded into a new snapshot (replaying a journal over a newer snapshot is
  idempotent, so a crash between the two steps is harmless).
* A lock file (``prospects.json.lock``, ``flock``) admits one process; a second gets
  ``StoreLockedError``. Stale temp files are removed on open.
* TinyDB rebuilds a whole table on every write, so each logical table is kept as TinyDB tables
  of ``SHARD`` documents (``prospects:0`` holds ids 0-999, ``prospects:1`` the next thousand…).
  A commit then costs the size of the shards it touches, not of the store.
* Lookups go through in-memory indexes (open prospect by address, prospect by Message-ID,
  processed-message keys), so the cost of an inquiry does not grow with the number stored.

Only this module imports ``tinydb``; callers see ``inbox_agent.prospect`` dataclasses.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from inbox_agent import outbox
from inbox_agent.exceptions import StoreCorruptError, StoreError, StoreLockedError
from inbox_agent.outbox import OutboxEntry
from inbox_agent.prospect import (
    Checkpoint,
    LoggedMessage,
    Prospect,
    QuarantineEntry,
    logged_from_dict,
    prospect_from_dict,
    prospect_to_dict,
    quarantine_from_dict,
    record_to_dict,
)

Tables = dict[str, dict[str, Any]]
Changes = dict[str, dict[int, dict[str, Any] | None]]
TABLES = ("prospects", "messages", "quarantine", "checkpoints", "outbox", "suppressed", "state")
_COMPACT_MIN_BYTES = 4 * 1024 * 1024
SHARD = 1000


def shard(table: str, doc_id: int) -> str:
    """The TinyDB table that holds this document of a logical table."""
    return f"{table}:{doc_id // SHARD}"


def _docs(data: Tables, table: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every document of a logical table, across its shards."""
    prefix = f"{table}:"
    for name, docs in data.items():
        if name.startswith(prefix):
            for doc_id, doc in docs.items():
                yield int(doc_id), doc


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JournalStorage(Storage):
    """TinyDB storage: a snapshot replaced atomically plus an append-only journal."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.journal = self.path.with_name(self.path.name + ".journal")
        self.data: Tables = {}
        self.holding = False  # inside a transaction: write() keeps data in memory only
        self.load()

    # -- TinyDB's interface
    def read(self) -> Tables:
        return self.data

    def write(self, data: Tables) -> None:
        self.data = data
        if not self.holding:
            self.snapshot()

    def close(self) -> None:
        pass

    # -- ours
    def load(self) -> None:
        """Read snapshot + journal; drop a torn last journal line."""
        for stale in self.path.parent.glob(f".{self.path.name}.tmp-*"):
            stale.unlink(missing_ok=True)
        data: Tables = {}
        try:
            text = self.path.read_text(encoding="utf-8")
            data = json.loads(text) if text.strip() else {}
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            raise StoreCorruptError(f"{self.path}: unreadable store: {exc}") from exc
        if not isinstance(data, dict):
            raise StoreCorruptError(f"{self.path}: not a TinyDB JSON file")
        good = 0
        try:
            with self.journal.open("rb") as fh:
                lines = fh.read().split(b"\n")
        except FileNotFoundError:
            lines = []
        for i, line in enumerate(lines):
            if not line.strip():
                good += len(line) + 1
                continue
            try:
                changes = json.loads(line)
            except ValueError:
                if i >= len(lines) - 1:  # torn final append: that transaction never committed
                    break
                raise StoreCorruptError(f"{self.journal}: damaged line {i + 1}") from None
            if i == len(lines) - 1:  # complete JSON but no newline: the fsync did not finish
                break
            for table, docs in changes.items():
                target = data.setdefault(table, {})
                for doc_id, doc in docs.items():
                    if doc is None:
                        target.pop(doc_id, None)
                    else:
                        target[doc_id] = doc
            good += len(line) + 1
        if lines and self.journal.exists() and good < self.journal.stat().st_size:
            with self.journal.open("r+b") as fh:
                fh.truncate(good)
                os.fsync(fh.fileno())
        self.data = data

    def snapshot(self) -> None:
        """Replace the file with the whole data, atomically; then empty the journal."""
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                json.dump(self.data, fh, ensure_ascii=False, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
            with self.journal.open("wb") as fh:
                os.fsync(fh.fileno())
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"{self.path}: cannot write the store: {exc.strerror or exc}") from exc

    def append(self, changes: Changes) -> None:
        """Commit one transaction's changed documents as one fsynced journal line."""
        line = json.dumps(
            {t: {str(k): v for k, v in docs.items()} for t, docs in changes.items()},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        size = self.journal.stat().st_size if self.journal.exists() else 0
        try:
            with self.journal.open("ab") as fh:
                fh.write(line + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            with contextlib.suppress(OSError), self.journal.open("r+b") as fh:
                fh.truncate(size)
            raise StoreError(
                f"{self.journal}: cannot write the store: {exc.strerror or exc}"
            ) from exc
        snapshot_size = self.path.stat().st_size if self.path.exists() else 0
        if size + len(line) > max(_COMPACT_MIN_BYTES, snapshot_size):
            self.snapshot()


class Store:
    """The prospects and everything kept beside them. Open with ``Store.open(path)``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_fh = self._lock(path)
        try:
            self._db = TinyDB(str(path), storage=JournalStorage)
        except BaseException:
            self._lock_fh.close()
            raise
        storage = self._db.storage
        assert isinstance(storage, JournalStorage)
        self._storage = storage
        self._pending: Changes = {}
        self._in_tx = False
        self._index()

    @classmethod
    def open(cls, path: Path) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path)

    @staticmethod
    def _lock(path: Path) -> Any:
        fh = path.with_name(path.name + ".lock").open("a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise StoreLockedError(
                f"{path} is in use by {holder}; only one inbox-agent may use a store at a time"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"inbox-agent pid {os.getpid()}\n")
        fh.flush()
        return fh

    def close(self) -> None:
        self._db.close()
        self._lock_fh.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- indexes ---------------------------------------------------------------------------
    def _index(self) -> None:
        data = self._storage.data
        self._open_by_email: dict[str, int] = {}
        self._by_message_id: dict[str, int] = {}
        self._latest_by_email: dict[str, int] = {}
        for doc_id, doc in _docs(data, "prospects"):
            self._index_prospect(doc_id, doc)
        self._logged: set[str] = {d["key"] for _, d in _docs(data, "messages")}
        self._suppressed: set[str] = {d["email"] for _, d in _docs(data, "suppressed")}
        self._state_ids: dict[str, int] = {d["name"]: i for i, d in _docs(data, "state")}
        self._outbox_keys: dict[str, int] = {}
        self._outbox_open: set[int] = set()
        self._mail_times: dict[str, set[tuple[int, datetime]]] = {}
        for doc_id, doc in _docs(data, "outbox"):
            entry = outbox.from_dict(doc)
            self._outbox_keys[entry.key] = doc_id
            if entry.is_open:
                self._outbox_open.add(doc_id)
            self._mail_times.setdefault(entry.recipient, set()).add((doc_id, entry.created_at))
        self._checkpoints: dict[str, int] = {d["folder"]: i for i, d in _docs(data, "checkpoints")}
        self._next: dict[str, int] = {
            t: max((i for i, _ in _docs(data, t)), default=0) + 1 for t in TABLES
        }

    def _index_prospect(self, doc_id: int, doc: dict[str, Any]) -> None:
        email = doc["email"]
        if doc_id > self._latest_by_email.get(email, 0):
            self._latest_by_email[email] = doc_id
        if doc["status"] != "done":
            self._open_by_email[email] = doc_id
        elif self._open_by_email.get(email) == doc_id:
            del self._open_by_email[email]
        for mid in doc.get("message_ids", ()):
            self._by_message_id[mid] = doc_id

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together, durably, or not at all."""
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
                    self._commit()
                except BaseException:
                    # TinyDB's tables took the changes but the disk did not: back to the disk.
                    self._storage.load()
                    self._index()
                    raise
        finally:
            self._in_tx = False
            self._pending = {}

    def _commit(self) -> None:
        self._storage.holding = True
        try:
            changes: Changes = {}
            for name, docs in self._pending.items():
                for doc_id, doc in docs.items():
                    changes.setdefault(shard(name, doc_id), {})[doc_id] = doc
            for name, docs in changes.items():
                # One remove and one insert per shard: TinyDB rebuilds the whole table on
                # every operation, so per-document calls would cost O(shard * changes).
                table = self._db.table(name, cache_size=0)
                existing = self._storage.data.get(name, {})
                replaced = [i for i in docs if str(i) in existing]
                if replaced:
                    table.remove(doc_ids=replaced)
                inserts = [Document(d, doc_id=i) for i, d in docs.items() if d is not None]
                if inserts:
                    table.insert_multiple(inserts)
            self._storage.append(changes)
        finally:
            self._storage.holding = False

    def _put(self, table: str, doc_id: int, doc: dict[str, Any] | None) -> None:
        if not self._in_tx:
            raise StoreError("writes must happen inside store.transaction()")
        self._pending.setdefault(table, {})[doc_id] = doc

    def _get(self, table: str, doc_id: int) -> dict[str, Any] | None:
        pending = self._pending.get(table, {})
        if doc_id in pending:
            return pending[doc_id]
        doc = self._storage.data.get(shard(table, doc_id), {}).get(str(doc_id))
        return dict(doc) if doc is not None else None

    def _all(self, table: str) -> dict[int, dict[str, Any]]:
        docs = dict(_docs(self._storage.data, table))
        for i, d in self._pending.get(table, {}).items():
            if d is None:
                docs.pop(i, None)
            else:
                docs[i] = d
        return docs

    def _new_id(self, table: str) -> int:
        doc_id = self._next[table]
        self._next[table] = doc_id + 1
        return doc_id

    # -- prospects -------------------------------------------------------------------------
    def save_prospect(self, prospect: Prospect) -> Prospect:
        """Insert (id 0) or replace a prospect; returns it with its id."""
        if not prospect.id:
            if prospect.is_open and prospect.email in self._open_by_email:
                raise StoreError(f"{prospect.email} already has an open record")
            prospect = _with_id(prospect, self._new_id("prospects"))
        old = self._get("prospects", prospect.id)
        doc = prospect_to_dict(prospect)
        if (
            old
            and old["email"] != doc["email"]
            and self._open_by_email.get(old["email"]) == prospect.id
        ):
            del self._open_by_email[old["email"]]
        self._put("prospects", prospect.id, doc)
        self._index_prospect(prospect.id, doc)
        return prospect

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

    # -- addresses that hard-bounced our mail ----------------------------------------------
    def suppress(self, email: str, reason: str, at: datetime) -> None:
        if email not in self._suppressed:
            self._suppressed.add(email)
            doc = {"email": email, "reason": reason, "at": at.isoformat()}
            self._put("suppressed", self._new_id("suppressed"), doc)

    def is_suppressed(self, email: str) -> bool:
        return email.lower() in self._suppressed

    # -- the outbox -------------------------------------------------------------------------
    def outbox_entry(self, key: str) -> OutboxEntry | None:
        doc_id = self._outbox_keys.get(key)
        doc = self._get("outbox", doc_id) if doc_id else None
        return outbox.from_dict(doc) if doc else None

    def queue(self, entry: OutboxEntry) -> bool:
        """Add an entry unless one with its key exists; True when added."""
        if entry.key in self._outbox_keys:
            return False
        self.save_entry(entry)
        return True

    def save_entry(self, entry: OutboxEntry) -> None:
        doc_id = self._outbox_keys.get(entry.key) or self._new_id("outbox")
        self._outbox_keys[entry.key] = doc_id
        self._put("outbox", doc_id, outbox.to_dict(entry))
        if entry.is_open:
            self._outbox_open.add(doc_id)
        else:
            self._outbox_open.discard(doc_id)
        self._mail_times.setdefault(entry.recipient, set()).add((doc_id, entry.created_at))

    def outbox_open(self) -> list[OutboxEntry]:
        """Entries still to send, or sent but not yet filed in the Sent folder."""
        found = [self._get("outbox", i) for i in sorted(self._outbox_open)]
        return [outbox.from_dict(d) for d in found if d]

    def outbox(self) -> list[OutboxEntry]:
        return [outbox.from_dict(d) for _, d in sorted(self._all("outbox").items())]

    def mail_times(self, recipient: str) -> list[datetime]:
        """When automatic mail to this address was queued (for the per-recipient cap)."""
        return sorted(t for _, t in self._mail_times.get(recipient, ()))


def _with_id(prospect: Prospect, doc_id: int) -> Prospect:
    from dataclasses import replace

    return replace(prospect, id=doc_id)
