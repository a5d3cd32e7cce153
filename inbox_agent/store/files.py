"""The files of a store on disk: snapshot, journal, their backups, the lock. No TinyDB here.

Vocabulary:

* The **snapshot** (``prospects.json``) holds every table in TinyDB's JSON format, plus a
  ``_store`` table naming its **generation** (1 for a new store, one more at each compaction).
  It is only ever replaced whole: written to a temp file, fsynced, ``os.replace``\\ d.
* The **journal** (``prospects.json.journal``) holds one fsynced line per committed transaction
  (the documents it changed), after a first **marker** line naming the generation of the
  snapshot it continues. A torn last line is a transaction that never committed.
* **Compaction** folds the journal into a new snapshot and keeps the previous snapshot and
  journal as ``.bak`` and ``.journal.bak``: together they rebuild today's records exactly
  (``restore``) if the snapshot is ever lost or damaged.
* The store **refuses to guess**: a missing, empty or malformed snapshot while the journal or
  a backup says records existed is an error that names the way out (``inbox-agent store
  restore``), never an empty store. A new store is made only where no file of one exists.
* **Readers** (the commands that only read, beside the daemon) take no lock and change nothing:
  they read the snapshot, then the journal's complete lines, and read again when a compaction
  happened in between (the generations do not match), so they never see a torn view.
* The **lock** (``prospects.json.lock``, ``flock``) admits one writer.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from inbox_agent.exceptions import StoreCorruptError, StoreError, StoreLockedError

Tables = dict[str, dict[str, Any]]
Changes = dict[str, dict[int, dict[str, Any] | None]]  # TinyDB table -> id -> doc (None: gone)
META = "_store"  # the table that holds the generation
COMPACT_MIN_BYTES = 4 * 1024 * 1024
READ_TRIES = 20


class _Moved(StoreCorruptError):
    """A reader saw a snapshot and a journal of different generations: a compaction ran."""


def generation(data: Tables) -> int:
    meta = data.get(META, {}).get("1", {})
    return int(meta.get("generation", 0)) if isinstance(meta, dict) else 0


def _marker(changes: dict[str, Any]) -> int | None:
    if set(changes) == {META}:
        return generation(changes)
    return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def apply_changes(data: Tables, changes: dict[str, Any]) -> None:
    for table, found in changes.items():
        target = data.setdefault(table, {})
        for doc_id, doc in found.items():
            if doc is None:
                target.pop(doc_id, None)
            else:
                target[doc_id] = doc


@dataclass
class Journal:
    """A journal as read: its marker, its committed change sets, and where the good part ends."""

    marker: int | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    good_bytes: int = 0
    size: int = 0


class StoreFiles:
    """The snapshot, the journal, their backups and the lock of the store at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal = path.with_name(path.name + ".journal")
        self.bak = path.with_name(path.name + ".bak")
        self.journal_bak = path.with_name(path.name + ".journal.bak")
        self.lock_file = path.with_name(path.name + ".lock")

    # -- reading ---------------------------------------------------------------------------
    def snapshot_at(self, path: Path) -> Tables | None:
        """The snapshot's tables; None when the file is missing or empty."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreCorruptError(f"{path}: unreadable store: {exc}") from exc
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StoreCorruptError(f"{path}: not a store file (bad JSON: {exc})") from exc
        if not isinstance(data, dict) or not all(
            isinstance(t, dict) and all(isinstance(d, dict) for d in t.values())
            for t in data.values()
        ):
            raise StoreCorruptError(f"{path}: not a store file (not TinyDB tables of documents)")
        return data

    def journal_at(self, path: Path) -> Journal:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return Journal()
        found = Journal(size=len(raw))
        lines = raw.split(b"\n")
        for i, line in enumerate(lines):
            if not line.strip():
                found.good_bytes += len(line) + 1
                continue
            if i == len(lines) - 1:  # no newline after it: the fsync did not finish
                break
            try:
                changes = json.loads(line)
            except ValueError:
                raise StoreCorruptError(f"{path}: damaged line {i + 1}") from None
            if not isinstance(changes, dict):
                raise StoreCorruptError(f"{path}: line {i + 1} is not a change set")
            if not found.lines and found.marker is None and (m := _marker(changes)) is not None:
                found.marker = m
            else:
                found.lines.append(changes)
            found.good_bytes += len(line) + 1
        found.good_bytes = min(found.good_bytes, len(raw))
        return found

    def read(self, *, repair: bool) -> Tables:
        """Snapshot plus journal, checked against each other. ``repair`` (the writer): drop a
        torn last journal line and stale temp files."""
        if repair:
            for stale in self.path.parent.glob(f".{self.path.name}.tmp-*"):
                stale.unlink(missing_ok=True)
        data = self.snapshot_at(self.path)
        journal = self.journal_at(self.journal)
        marker = journal.marker or 0
        if data is None:
            if marker >= 1 or self.bak.exists():
                state = "missing" if not self.path.exists() else "empty"
                why = f"its journal continues generation {marker}" if marker else "backups exist"
                raise StoreCorruptError(
                    f"{self.path} is {state}, but this store had records ({why}): nothing was "
                    "read, to lose nothing. Run `inbox-agent store restore` to "
                    f"rebuild it from {self.bak.name} and {self.journal_bak.name}, or "
                    "`inbox-agent store check` to see what is there."
                )
            data = {}  # a new store, or one written before stores kept generations
        else:
            ours = generation(data)
            if marker > ours:
                raise _Moved(
                    f"{self.path} is generation {ours} but its journal continues generation "
                    f"{marker}: the snapshot was replaced by an older one. Run `inbox-agent "
                    "store restore`, or `inbox-agent store check` to see what is there."
                )
            if journal.marker is not None and marker < ours:
                journal.lines = []  # a compaction stopped before starting the new journal
            elif journal.marker is None and ours >= 1 and journal.lines:
                raise StoreCorruptError(f"{self.journal}: changes without a generation marker")
        for changes in journal.lines:
            apply_changes(data, changes)
        if repair and journal.good_bytes < journal.size:
            with self.journal.open("r+b") as fh:
                fh.truncate(journal.good_bytes)
                os.fsync(fh.fileno())
        return data

    def read_consistent(self) -> Tables:
        """For readers beside the writer: a view that is never torn by a compaction."""
        for _ in range(READ_TRIES - 1):
            with contextlib.suppress(_Moved):
                return self.read(repair=False)
            time.sleep(0.05)
        return self.read(repair=False)

    def exists(self) -> bool:
        return any(p.exists() for p in (self.path, self.journal, self.bak))

    def has_snapshot(self) -> bool:
        try:
            return bool(self.path.read_bytes().strip())
        except FileNotFoundError:
            return False

    # -- writing ---------------------------------------------------------------------------
    def write_snapshot(self, data: Tables) -> None:
        """Compaction: ``data`` as the next generation's snapshot, the previous snapshot and
        journal kept as backups, a new journal started."""
        data[META] = {"1": {"generation": generation(data) + 1, "at": time.time()}}
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            if self.path.exists():
                self._keep(self.path, self.bak)
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
            if self.journal.exists():
                os.replace(self.journal, self.journal_bak)
            self._start_journal(generation(data))
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"{self.path}: cannot write the store: {exc.strerror or exc}") from exc

    def _keep(self, source: Path, backup: Path) -> None:
        """``source`` as ``backup``, atomically (``source`` stays where it is)."""
        tmp = backup.with_name(f".{backup.name}.tmp-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, backup)

    def _start_journal(self, gen: int) -> None:
        line = json.dumps({META: {"1": {"generation": gen}}}).encode() + b"\n"
        with self.journal.open("wb") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(self.path.parent)

    def append(self, changes: Changes, data: Tables) -> None:
        """Commit one transaction as one fsynced journal line; compact when it has grown."""
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
        if size + len(line) > max(COMPACT_MIN_BYTES, snapshot_size):
            self.write_snapshot(data)

    # -- the lock --------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[IO[str]]:
        fh = self.lock()
        try:
            yield fh
        finally:
            fh.close()

    def lock(self) -> IO[str]:
        fh = self.lock_file.open("a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise StoreLockedError(
                f"{self.path} is in use by {holder} (the daemon?). This command writes to the "
                "store, and only one inbox-agent may write at a time: stop the other one first. "
                "Commands that only read (prospects, show, quarantine, preview, store check) "
                "work beside it."
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"inbox-agent pid {os.getpid()}\n")
        fh.flush()
        return fh
