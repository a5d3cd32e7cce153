"""Per-inquiry ingest cost with 1k and with 20k records already stored.

The real poller (parse, classify, source, contact, store commit) runs over an in-memory mailbox
of new inquiries from new people, on a store pre-filled with 1,000 or 20,000 realistic records.
Two modes: one commit per inquiry (the daemon answering mail as it arrives) and one commit per
batch of 100 (a backlog). Rounds alternate between the two sizes so machine noise hits both;
medians are reported. Last line: one JSON object; key ``cost_ratio_20k_vs_1k`` (commit per
inquiry, the worse case).

    python bench/store.py [--inquiries 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine, peak_rss_mb  # noqa: E402
from inbox_agent.config import load_settings  # noqa: E402
from inbox_agent.plan.inbound import InboundRules  # noqa: E402
from inbox_agent.poller import Folder, poll_folder  # noqa: E402
from inbox_agent.records.prospect import Direction, Event, Prospect  # noqa: E402
from inbox_agent.rules import inbound_rules  # noqa: E402
from inbox_agent.store import Store  # noqa: E402
from inbox_agent.workers import ReaderPool  # noqa: E402
from tests import mailgen  # noqa: E402
from tests.fakes import FakeMailbox  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def prefill(path: Path, count: int) -> None:
    with Store.open(path) as store, store.transaction():
        for i in range(count):
            at = T0 + timedelta(minutes=i)
            events = tuple(
                Event(
                    at,
                    Direction.IN,
                    "inquiry",
                    f"m{i}.{k}@example.org",
                    "Do you ship to Cape Town?",
                )
                for k in range(3)
            )
            store.save_prospect(
                Prospect(
                    email=f"old{i}@example.org", created_at=at, name="Old", surname=f"Person{i}",
                    phone="+27825550123", subject="Question about your widgets",
                    question="Do you ship the blue widget to Cape Town?",
                    message_ids=tuple(e.message_id for e in events), timeline=events,
                )
            )  # fmt: skip


def run(
    base: Path, rules: InboundRules, stored: int, inquiries: int, batch: int, tag: str
) -> float:
    path = base / f"{stored}-{batch}-{tag}.json"
    prefill(path, stored)
    box = FakeMailbox()
    for i in range(inquiries):
        box.add(mailgen.inquiry(sender=f"Person {i} <new{tag}{i}@example.net>"))
    with Store.open(path) as store:
        start = time.perf_counter()
        poll_folder(box, store, rules, Folder("INBOX"), now=lambda: T0, batch_size=batch,
                    reader=ReaderPool(rules.reading, workers=1))  # fmt: skip
        elapsed = time.perf_counter() - start
        assert len(store.prospects()) == stored + inquiries
    return elapsed / inquiries * 1000  # ms per inquiry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rules = inbound_rules(load_settings(ROOT / "rules.toml"))
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        run(base, rules, 100, 20, 1, "warm")
        for r in range(args.rounds):
            for batch in (1, 100):
                for stored in (1_000, 20_000):
                    ms = run(base, rules, stored, args.inquiries, batch, f"r{r}")
                    results.setdefault(f"{stored}_batch{batch}", []).append(ms)
                    print(f"round {r}: {stored} stored, batch {batch}: {ms:.2f} ms/inquiry",
                          file=sys.stderr)  # fmt: skip
    med = {k: round(statistics.median(v), 3) for k, v in results.items()}
    print(
        json.dumps(
            {
                "benchmark": "store",
                "inquiries_per_round": args.inquiries,
                "rounds": args.rounds,
                "ms_per_inquiry_median": med,
                "cost_ratio_20k_vs_1k": round(med["20000_batch1"] / med["1000_batch1"], 3),
                "cost_ratio_20k_vs_1k_batch100": round(
                    med["20000_batch100"] / med["1000_batch100"], 3
                ),
                "peak_rss_mb": peak_rss_mb(),
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
