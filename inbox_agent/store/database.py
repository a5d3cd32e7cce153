"""The TinyDB database under the store: crash-safe on disk, or in memory. The only module that
imports ``tinydb``.

TinyDB's own JSONStorage rewrites the whole file in place, so a crash or a full disk mid-write
corrupts it, and every write costs the size of the whole database. Here:

* The file (``prospects.json``) is a snapshot in TinyDB's JSON format, only ever replaced whole:
  written to a temp file, fsynced, ``os.replace``\\ d, directory fsynced.
* Each commit is **one** fsynced line appended to ``prospects.json.journal`` holding the
  documents it changed. A crash mid-append leaves a torn last line, which the next open discards:
  a transaction is there entirely or not at all. When the journal outgrows the snapshot it is
  folded into a new snapshot (replaying a journal over a newer snapshot is idempotent, so a crash
  between the two steps is harmless).
* A lock file (``prospects.json.lock``, ``flock``) admits one process; a second gets
  ``StoreLockedError``. Stale temp files are removed on open.
* TinyDB rebuilds a whole table on every write, so each logical table is kept as TinyDB tables
  of ``SHARD`` documents (``prospects:0`` holds ids 0-999, ``prospects:1`` the next thousand…).
  A commit then costs the size of the shards it touches, not of the store.

``Database.memory()`` is the same database with nothing on disk: the store's in-memory twin for
fast tests (``tests/test_store_contract.py`` runs one set of tests against both).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from inbox_agent.exceptions import StoreCorruptError, StoreError, StoreLockedError

Tables = dict[str, dict[str, Any]]
Changes = dict[str, dict[int, dict[str, Any] | None]]  # logical table -> id -> doc (None: gone)
_COMPACT_MIN_BYTES = 4 * 1024 * 1024
SHARD = 1000


def shard(table: str, doc_id: int) -> str:
    """The TinyDB table that holds this document of a logical table."""
    return f"{table}:{doc_id // SHARD}"


def docs(data: Tables, table: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every document of a logical table, across its shards."""
    prefix = f"{table}:"
    for name, found in data.items():
        if name.startswith(prefix):
            for doc_id, doc in found.items():
                yield int(doc_id), doc


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class MemoryStorage(Storage):
    """TinyDB storage in memory: the journal storage's twin, for tests."""

    def __init__(self) -> None:
        self.data: Tables = {}
        self.holding = False

    def read(self) -> Tables:
        return self.data

    def write(self, data: Tables) -> None:
        self.data = data

    def load(self) -> None:
        """Nothing on disk to go back to: keep what is held."""

    def append(self, changes: Changes) -> None:
        """A commit needs no journal in memory."""

    def snapshot(self) -> None:
        """Nothing on disk to fold."""


class JournalStorage(Storage):
    """TinyDB storage: a snapshot replaced atomically plus an append-only journal."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.journal = self.path.with_name(self.path.name + ".journal")
        self.data: Tables = {}
        self.holding = False  # inside a commit: write() keeps data in memory only
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
            for table, found in changes.items():
                target = data.setdefault(table, {})
                for doc_id, doc in found.items():
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
            {t: {str(k): v for k, v in found.items()} for t, found in changes.items()},
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


def _lock(path: Path) -> IO[str]:
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


class Database:
    """The store's tables: ``data`` to read, ``commit(changes)`` to write them durably."""

    def __init__(self, storage: type[Storage], *args: str, lock: IO[str] | None = None) -> None:
        self._lock = lock
        try:
            self._db = TinyDB(*args, storage=storage)
        except BaseException:
            if lock is not None:
                lock.close()
            raise
        backing = self._db.storage
        assert isinstance(backing, JournalStorage | MemoryStorage)
        self._storage = backing

    @classmethod
    def open(cls, path: Path) -> Database:
        """The file at ``path``, locked for this process."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(JournalStorage, str(path), lock=_lock(path))

    @classmethod
    def memory(cls) -> Database:
        return cls(MemoryStorage)

    @property
    def data(self) -> Tables:
        return self._storage.data

    def reload(self) -> None:
        """Back to what is durably stored (after a commit failed half-way)."""
        self._storage.load()

    def compact(self) -> None:
        """Fold the journal into a new snapshot now: what was erased leaves the disk too."""
        self._storage.snapshot()

    def commit(self, pending: Changes) -> None:
        """Write one transaction's changed documents, atomically and durably."""
        self._storage.holding = True
        try:
            changes: Changes = {}
            for name, found in pending.items():
                for doc_id, doc in found.items():
                    changes.setdefault(shard(name, doc_id), {})[doc_id] = doc
            for name, found in changes.items():
                # One remove and one insert per shard: TinyDB rebuilds the whole table on
                # every operation, so per-document calls would cost O(shard * changes).
                table = self._db.table(name, cache_size=0)
                existing = self._storage.data.get(name, {})
                replaced = [i for i in found if str(i) in existing]
                if replaced:
                    table.remove(doc_ids=replaced)
                inserts = [Document(d, doc_id=i) for i, d in found.items() if d is not None]
                if inserts:
                    table.insert_multiple(inserts)
            self._storage.append(changes)
        finally:
            self._storage.holding = False

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.close()
