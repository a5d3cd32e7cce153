"""Seconds from APPEND to the acknowledgment accepted by the SMTP server, daemon idling on Dovecot.

``inbox-agent run`` waits in IMAP IDLE on a real Dovecot; inquiries are APPENDed and each latency
runs from just before its APPEND to the moment the aiosmtpd receiver has its acknowledgment.
Dovecot itself announces new mail to IDLE about 0.5 s late, so that is the floor.

Two modes, both run by default:

- **spaced**: 20 inquiries one at a time, each after the previous acknowledgment arrived plus
  0.3 s: the daemon is always idling when mail comes.
- **burst**: 50 inquiries arriving with random gaps (exponential, mean 1 s: a Poisson stream) while
  the daemon works: mail often arrives while a cycle runs, which is where a daemon that goes back
  to IDLE without looking leaves mail waiting for the safety poll.

Last line: one JSON object with ``p50_s``, ``p95_s``, ``max_s`` per mode.

    python bench/latency.py [--inquiries 20] [--burst 50] [--mode spaced|burst|both]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from tests import mailgen  # noqa: E402
from tests.harness import Dovecot, MailboxUser, SmtpReceiver  # noqa: E402
from tests.realconfig import popen, write_config  # noqa: E402


def acknowledged(smtp: SmtpReceiver) -> dict[str, float]:
    """Recipient -> when its acknowledgment arrived (the agent's notifications do not count)."""
    return {r.rcpt_tos[0]: r.at for r in smtp.received if b"Auto-Submitted: auto-replied" in r.data}


def wait_for(smtp: SmtpReceiver, recipients: set[str], timeout: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = acknowledged(smtp)
        if recipients <= set(found):
            return found
        time.sleep(0.001)
    missing = recipients - set(acknowledged(smtp))
    raise SystemExit(f"no acknowledgment within {timeout} s for {sorted(missing)[:5]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(latencies: list[float]) -> dict[str, Any]:
    return {
        "inquiries": len(latencies),
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(percentile(latencies, 0.95), 3),
        "max_s": round(max(latencies), 3),
        "min_s": round(min(latencies), 3),
    }


def spaced(dovecot: Dovecot, smtp: SmtpReceiver, count: int) -> list[float]:
    latencies: list[float] = []
    with dovecot.client("sales") as client:
        for i in range(count):
            who = f"s{i}@example.net"
            start = time.monotonic()
            client.append("INBOX", mailgen.inquiry(sender=who, subject=f"Question {i}"))
            latencies.append(wait_for(smtp, {who}, timeout=30)[who] - start)
            print(f"spaced {i}: {latencies[-1]:.3f} s", file=sys.stderr)
            time.sleep(0.3)
    return latencies


def burst(dovecot: Dovecot, smtp: SmtpReceiver, count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    sent: dict[str, float] = {}

    def arrive() -> None:
        with dovecot.client("sales") as client:
            for i in range(count):
                time.sleep(rng.expovariate(1.0))
                who = f"b{i}@example.net"
                sent[who] = time.monotonic()
                client.append("INBOX", mailgen.inquiry(sender=who, subject=f"Burst {i}"))

    stream = threading.Thread(target=arrive)
    stream.start()
    stream.join()
    found = wait_for(smtp, set(sent), timeout=60)
    latencies = [found[who] - at for who, at in sent.items()]
    for who, at in sent.items():
        print(f"burst {who}: {found[who] - at:.3f} s", file=sys.stderr)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=20, help="spaced mode")
    parser.add_argument("--burst", type=int, default=50, help="burst mode")
    parser.add_argument("--mode", choices=("spaced", "burst", "both"), default="both")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "latency"}
    with (
        Dovecot() as dovecot,
        SmtpReceiver() as smtp,
        tempfile.TemporaryDirectory() as tmp,
    ):
        dovecot.add_user("sales", "sales-pw")
        user = MailboxUser(dovecot.host, dovecot.port, "sales", "sales-pw")
        # 20 people at one domain within a minute would trip the per-domain cap (10 an hour)
        caps = "per_domain_hourly_cap = 10000\nmailbox_hourly_cap = 10000"
        config = write_config(Path(tmp), user, smtp, acknowledgment=caps)
        log = (Path(tmp) / "daemon.log").open("w")  # a pipe nobody reads would block it
        daemon = popen(config, user, "run", log=log)
        try:
            time.sleep(2.0)  # connected and idling
            if args.mode in ("spaced", "both"):
                result["spaced"] = summary(spaced(dovecot, smtp, args.inquiries))
            if args.mode in ("burst", "both"):
                result["burst"] = summary(burst(dovecot, smtp, args.burst, args.seed))
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
            log.close()
    result.update(daemon_exit=daemon.returncode, machine=machine())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
