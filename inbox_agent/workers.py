"""The reader pool: turns fetched raw mail into readings, on every core for big batches.

Parsing and understanding a message is pure CPU work (mail-parser, the detectors, the rules),
while the store must have one writer. So a batch of ``PARALLEL_FROM`` messages or more is read
by a pool of worker processes (one per core, started on first use), and the results come back
in order to the one process that writes. The workers are *forked* when inbox-agent runs no
other thread (``poll``): they start in milliseconds with everything already imported, where a
spawned worker spends about 0.3 s re-importing the program. Beside the daemon's threads, where
forking is unsafe (a lock another thread holds stays held in the child), they are *spawned*.
Workers ask the kernel to end them when inbox-agent dies (``PR_SET_PDEATHSIG``), so a
``kill -9`` leaves no orphans behind. Small batches, like the daemon's one message at a time,
are read in-process: no latency added. A message that cannot be read becomes a ``Failure``
with the reason, never an exception.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inbox_agent.exceptions import ParseError
from inbox_agent.mail.reading import Reading, ReadingRules, read_message

if TYPE_CHECKING:  # a worker process imports this module: it needs no IMAP library
    from inbox_agent.imap import Fetched

PARALLEL_FROM = 16


@dataclass(frozen=True)
class Failure:
    """Why a message could not be read: unparseable mail, or a detector that broke on it."""

    reason: str
    parse_error: bool


def read_one(rules: ReadingRules, raw: bytes, truncated: bool) -> Reading | Failure:
    try:
        return read_message(raw, rules, truncated=truncated)
    except ParseError as exc:
        return Failure(str(exc), parse_error=True)
    except Exception as exc:  # a detector broke on this message: poison, not a stuck mailbox
        return Failure(f"processing failed: {exc!r}", parse_error=False)


_worker_rules: ReadingRules | None = None


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this process when its parent exits (else orphans outlive a kill -9)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(rules: ReadingRules, parent: int) -> None:
    global _worker_rules
    _die_with_parent(parent)
    _worker_rules = rules


def _read_in_worker(item: tuple[bytes, bool]) -> Reading | Failure:
    assert _worker_rules is not None
    return read_one(_worker_rules, *item)


def _start_method() -> str:
    alone = threading.active_count() == 1
    return "fork" if alone and "fork" in multiprocessing.get_all_start_methods() else "spawn"


class ReaderPool:
    """Reads batches with ``rules``; call ``close()`` (or use ``with``) to stop the workers."""

    def __init__(self, rules: ReadingRules, workers: int | None = None) -> None:
        self.rules = rules
        self.workers = workers if workers is not None else min(4, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def read(self, items: Sequence[Fetched]) -> list[Reading | Failure]:
        return self.submit(items)()

    def submit(self, items: Sequence[Fetched]) -> Callable[[], list[Reading | Failure]]:
        """Start reading; the returned function waits for the readings, in order. The caller
        can fetch the next batch meanwhile."""
        if len(items) < PARALLEL_FROM or self.workers < 2:
            done = [read_one(self.rules, i.raw, i.truncated) for i in items]
            return lambda: done
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context(_start_method()),
                initializer=_init_worker,
                initargs=(self.rules, os.getpid()),
            )
        chunk = max(1, len(items) // (self.workers * 4))
        work = [(i.raw, i.truncated) for i in items]
        results = self._pool.map(_read_in_worker, work, chunksize=chunk)
        return lambda: list(results)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
