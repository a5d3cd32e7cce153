"""The TinyDB database under the store: on disk (``store.files``), or in memory. The only module
that imports ``tinydb``.

TinyDB's own JSONStorage rewrites the whole file in place, so a crash or a full disk mid-write
corrupts it, and every write costs the size of the whole database. Here a commit is one fsynced
journal line and the snapshot is only ever replaced whole (``store.files`` says how, and how a
lost snapshot is refused rather than guessed at). TinyDB also rebuilds a whole table on every
write, so each logical table is kept as TinyDB tables of ``SHARD`` documents (``prospects:0``
holds ids 0-999, ``prospects:1`` the next thousand…): a commit costs the size of the shards it
touches, not of the store.

``Database.open`` is the one writer (it holds the lock); ``Database.read_only`` reads beside it
without the lock and changes nothing; ``Database.memory()`` is the in-memory twin for fast tests
(``tests/test_store_contract.py`` runs one set of tests against both).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from inbox_agent.exceptions import StoreError
from inbox_agent.store.files import Changes, StoreFiles, Tables

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
    """TinyDB storage over the store's files: the snapshot plus the journal."""

    def __init__(self, path: str, read_only: bool = False) -> None:
        self.files = StoreFiles(Path(path))
        self.read_only = read_only
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
        """Snapshot + journal (a reader's view is never torn by a compaction)."""
        files = self.files
        if self.read_only:
            self.data = files.read_consistent()
            return
        self.data = files.read(repair=True)
        if not files.has_snapshot():  # new, or from before generations: from now on it has one
            files.write_snapshot(self.data)

    def snapshot(self) -> None:
        """Fold the journal into a new snapshot now (compaction)."""
        self._writable()
        self.files.write_snapshot(self.data)

    def append(self, changes: Changes) -> None:
        self._writable()
        self.files.append(changes, self.data)

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.files.path}: opened to read only")


class Database:
    """The store's tables: ``data`` to read, ``commit(changes)`` to write them durably."""

    def __init__(self, storage: type[Storage], *args: Any, lock: IO[str] | None = None) -> None:
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
        """The store at ``path``, locked for this process: the one writer."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(JournalStorage, str(path), lock=StoreFiles(path).lock())

    @classmethod
    def read_only(cls, path: Path) -> Database:
        """The store at ``path`` to read beside the writer: no lock, nothing changed."""
        return cls(JournalStorage, str(path), True)

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
