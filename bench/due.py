"""The daemon's due scan: 20,000 open records, what is due now, planned and queued.

A journal store filled with open records in every stage of the cadence (information sent at
random times over the last two weeks, some already followed up), the shipped rules with the
business always open; then ``Runner.queue_due()`` — which reads the store's index of next-due
times, plans the records that are due and queues their follow-ups — timed at moments an hour
apart. The index is built once when the runner starts (``build_seconds``). Last line, one JSON
object: ``records``, ``seconds`` (the median scan), ``due_per_scan``, ``build_seconds``.

    python bench/due.py [--records 20000] [--scans 7]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from inbox_agent.config import load_settings  # noqa: E402
from inbox_agent.plan.calendar import Calendar  # noqa: E402
from inbox_agent.records.prospect import Direction, Event, Prospect, Status  # noqa: E402
from inbox_agent.runner import Runner  # noqa: E402
from inbox_agent.store import Store  # noqa: E402
from tests.fakes import FakeCourier  # noqa: E402

NOW = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)


def fill(store: Store, count: int, rng: random.Random) -> None:
    with store.transaction():
        for i in range(count):
            sent = NOW - timedelta(minutes=rng.randrange(14 * 24 * 60))
            asked = sent - timedelta(hours=rng.randrange(1, 48))
            timeline = (
                Event(asked, Direction.IN, "inquiry", f"q{i}@example.net", "Do you ship?"),
                Event(asked, Direction.OUT, "acknowledgment", f"ia.{i}.ack@example.com"),
                Event(sent, Direction.OUT, "agent_reply", f"a{i}@example.com", "Yes, we do."),
            )
            store.save_prospect(Prospect(
                email=f"p{i}@example.net", created_at=asked, name=f"Person {i}",
                status=Status.EMAIL, assigned_to="alice@example.com", acknowledged_at=asked,
                first_response_at=sent, information_sent_at=sent, timeline=timeline,
                message_ids=tuple(e.message_id for e in timeline),
            ))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--scans", type=int, default=7)
    args = parser.parse_args()
    settings = load_settings(ROOT / "rules.toml")
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "p.json") as store:
        fill(store, args.records, rng)
        clock_now = [NOW]
        start = time.perf_counter()
        runner = Runner(settings, store, courier=FakeCourier(), now=lambda: clock_now[0])
        build = time.perf_counter() - start
        runner.followups.rules = replace(  # always open: every scan finds work
            runner.followups.rules,
            calendar=Calendar("UTC", clock(0, 0), clock.max, frozenset(range(7))),
        )
        seconds, due = [], []
        for n in range(args.scans):
            clock_now[0] = NOW + timedelta(hours=n)
            due.append(len(store.due(clock_now[0])))
            start = time.perf_counter()
            runner.queue_due()
            seconds.append(time.perf_counter() - start)
            print(f"scan {n}: {due[-1]} due, {seconds[-1] * 1000:.1f} ms", file=sys.stderr)
        runner.close()
    print(json.dumps({
        "benchmark": "due", "records": args.records,
        "seconds": round(statistics.median(seconds), 4), "max_seconds": round(max(seconds), 4),
        "due_per_scan": round(statistics.median(due)), "build_seconds": round(build, 3),
        "machine": machine(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
