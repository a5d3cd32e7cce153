"""Seconds from APPEND to the acknowledgment accepted by the SMTP server, daemon idling on Dovecot.

``inbox-agent run`` waits in IMAP IDLE on a real Dovecot; 20 inquiries are APPENDed one at a
time (each after the previous acknowledgment arrived, plus a short pause); each latency runs from
just before the APPEND to the moment the aiosmtpd receiver has the acknowledgment. Dovecot itself
announces new mail to IDLE about 0.5 s late, so that is the floor. Last line: one JSON object
with ``p50_s``, ``p95_s``, ``max_s``.

    python bench/latency.py [--inquiries 20]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from tests import mailgen  # noqa: E402
from tests.harness import Dovecot, MailboxUser, SmtpReceiver  # noqa: E402
from tests.realconfig import popen, write_config  # noqa: E402


def wait_for_acknowledgments(smtp: SmtpReceiver, count: int, timeout: float) -> None:
    """Until ``count`` acknowledgments arrived (the agent's notifications do not count)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        acks = [r for r in smtp.received if b"Auto-Submitted: auto-replied" in r.data]
        if len(acks) >= count:
            return
        time.sleep(0.001)
    raise SystemExit(f"only {len(acks)} of {count} acknowledgments within {timeout} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=20)
    args = parser.parse_args()
    latencies: list[float] = []
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
        daemon = popen(config, user, "run")
        try:
            time.sleep(2.0)  # connected and idling
            with dovecot.client("sales") as client:
                for i in range(args.inquiries):
                    raw = mailgen.inquiry(sender=f"p{i}@example.net", subject=f"Question {i}")
                    start = time.monotonic()
                    client.append("INBOX", raw)
                    wait_for_acknowledgments(smtp, i + 1, timeout=30)
                    latencies.append(time.monotonic() - start)
                    print(f"inquiry {i}: {latencies[-1]:.3f} s", file=sys.stderr)
                    time.sleep(0.3)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.communicate(timeout=30)
    print(
        json.dumps(
            {
                "benchmark": "latency",
                "inquiries": len(latencies),
                "p50_s": round(statistics.median(latencies), 3),
                "p95_s": round(percentile(latencies, 0.95), 3),
                "max_s": round(max(latencies), 3),
                "min_s": round(min(latencies), 3),
                "daemon_exit": daemon.returncode,
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
