"""Poll throughput on a 2,000-message backlog in a real Dovecot, against the raw floor.

The floor is the least any IMAP ingester must do: the same messages fetched in the same batches
with imapclient (``BODY.PEEK[]``) and parsed with mail-parser, nothing else. Ours is the real
``Runner.poll`` (fetch, parse, classify, source, contact, records, acknowledgments queued, one
store commit per batch) on a fresh store, with its reader's worker processes (started inside
the measured time). Rounds alternate floor and ours so machine noise hits
both; medians are reported, and the ratio is of medians measured in this one run. Each measured
run is a forked child, so ``peak_rss_mb`` is that of a poll alone. Last line: one JSON object.

    python bench/ingest.py [--messages 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import mailparser  # noqa: E402
from imapclient import IMAPClient  # noqa: E402

from bench.machine import machine  # noqa: E402
from bench.mailbox_fill import backlog, fill  # noqa: E402
from inbox_agent.config import load_settings  # noqa: E402
from inbox_agent.runner import Runner  # noqa: E402
from inbox_agent.store import Store  # noqa: E402
from tests.harness import Dovecot, MailboxUser  # noqa: E402
from tests.realconfig import PASSWORD_ENV, write_config  # noqa: E402

BATCH = 100


def floor(user: MailboxUser) -> dict[str, Any]:
    start = time.perf_counter()
    client = IMAPClient(user.host, port=user.port, ssl=False, timeout=60)
    client.login(user.user, user.password)
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["UID", "1:*"]))
    parsed = 0
    for i in range(0, len(uids), BATCH):
        for item in client.fetch(uids[i : i + BATCH], ["BODY.PEEK[]"]).values():
            with contextlib.suppress(Exception):  # mail-parser raises on some real bounces
                mailparser.parse_from_bytes(item[b"BODY[]"])
            parsed += 1
    client.logout()
    return {"seconds": time.perf_counter() - start, "messages": parsed}


def ours(user: MailboxUser, folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder, user, batch_size=BATCH)
    os.environ[PASSWORD_ENV] = user.password
    settings = load_settings(config)
    start = time.perf_counter()
    with Store.open(settings.store.path) as store, Runner(settings, store) as runner:
        report = runner.poll(None)
    return {"seconds": time.perf_counter() - start, "messages": report.fetched}


def _child(target: Any, args: tuple[Any, ...], queue: Any) -> None:
    result = target(*args)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    # the reader's worker processes, reaped when the poll closed its pool
    result["worker_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    queue.put(result)


def in_child(target: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(target, args, queue))
    proc.start()
    proc.join(1800)
    if proc.exitcode != 0:
        raise SystemExit(f"benchmark child failed with exit code {proc.exitcode}")
    result: dict[str, Any] = queue.get(timeout=10)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with Dovecot() as dovecot, tempfile.TemporaryDirectory() as tmp:
        dovecot.add_user("bench", "bench-pw")
        user = MailboxUser(dovecot.host, dovecot.port, "bench", "bench-pw")
        with dovecot.client("bench", timeout=60) as client:
            fill(client, backlog(args.messages))
        floors, runs, rss, worker_rss = [], [], [], []
        for r in range(args.rounds):
            f = in_child(floor, user)
            o = in_child(ours, user, Path(tmp) / f"r{r}")
            assert f["messages"] == o["messages"] == args.messages, (f, o)
            floors.append(args.messages / f["seconds"])
            runs.append(args.messages / o["seconds"])
            rss.append(o["peak_rss_mb"])
            worker_rss.append(o["worker_peak_rss_mb"])
            print(f"round {r}: floor {floors[-1]:.0f} msg/s, poll {runs[-1]:.0f} msg/s, "
                  f"poll peak RSS {rss[-1]} MB", file=sys.stderr)  # fmt: skip
    floor_med, ours_med = statistics.median(floors), statistics.median(runs)
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "messages": args.messages,
                "batch_size": BATCH,
                "rounds": args.rounds,
                "poll_msgs_per_s": round(ours_med, 1),
                "floor_msgs_per_s": round(floor_med, 1),
                "ratio": round(ours_med / floor_med, 3),
                "peak_rss_mb": max(rss),
                "worker_peak_rss_mb": max(worker_rss),
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
