"""A soak: ``inbox-agent run`` for ten minutes under a stream of mail, with faults injected.

A private Dovecot and an aiosmtpd receiver on loopback; ``inbox-agent run`` idling on the shared
mailbox. A stream of new inquiries (Poisson, mean ``--gap`` s), prospects' replies to their
acknowledgments, agents' answers (from their own address, the shared mailbox in Cc) and robots
(bounces, out-of-office replies, list mail) arrives for ``--minutes``, while:

- at 25 % of the time the daemon is killed with SIGKILL and started again;
- at 50 % Dovecot is restarted under it;
- at 70 % the SMTP server refuses everything (451) for a minute.

Then the stream stops and the soak waits until every inquiry is acknowledged. Last line, one
JSON object: messages appended and handled (in the store's processed log), ``duplicates``
(recipients that got two different acknowledgments: a resend with the same Message-ID collapses
in mail clients and is not one), ``losses`` (messages not in the log, inquiries with no
acknowledgment), and the restarted daemon's RSS after warm-up and at the end.

    python bench/soak.py [--minutes 10] [--gap 2.0] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from inbox_agent.config import load_settings  # noqa: E402
from inbox_agent.store import Store  # noqa: E402
from tests import mailgen  # noqa: E402
from tests.harness import Dovecot, MailboxUser, SmtpReceiver  # noqa: E402
from tests.realconfig import popen, write_config  # noqa: E402

AGENT = "alice@example.com"


def rss_mb(proc: subprocess.Popen[str]) -> float:
    return round(psutil.Process(proc.pid).memory_info().rss / 2**20, 1)


PROVIDERS = ("gmail.com", "outlook.com", "yahoo.com", "example.net")  # where people write from


class Stream:
    """The mail that arrives, in a thread; remembers what it appended."""

    def __init__(self, dovecot: Dovecot, smtp: SmtpReceiver, shared: str, gap: float, seed: int):
        self.dovecot, self.smtp, self.shared, self.gap = dovecot, smtp, shared, gap
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.appended: list[str] = []  # Message-IDs
        self.inquirers: list[str] = []
        self.failures = 0  # appends refused while Dovecot restarted (retried)

    def _append(self, raw: bytes, message_id: str) -> bool:
        """Deliver one message, retrying while Dovecot restarts; False if the stream stopped
        before it could be delivered (then nobody can expect an answer to it)."""
        while not self.stop.is_set():
            try:
                self.dovecot.append("sales", "INBOX", raw)
                self.appended.append(message_id)
                return True
            except Exception:  # Dovecot is restarting: the sender's server would retry too
                self.failures += 1
                time.sleep(0.5)
        return False

    def _acked(self) -> list[Any]:
        found = []
        for r in self.smtp.received:
            if b"Auto-Submitted: auto-replied" in r.data:
                found.append(message_from_bytes(r.data, policy=policy.default))
        return found

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            time.sleep(self.rng.expovariate(1.0 / self.gap))
            n += 1
            roll = self.rng.random()
            mid = f"<soak-{n}@example.net>"
            acks = self._acked()
            who = ""
            if roll < 0.55 or not acks:
                who = f"p{n}@{PROVIDERS[n % len(PROVIDERS)]}"
                raw = mailgen.inquiry(sender=f"Person {n} <{who}>", subject=f"Widgets {n}",
                                      message_id=mid, to=self.shared)  # fmt: skip
            elif roll < 0.7:
                ack = self.rng.choice(acks)
                raw = mailgen.inquiry(
                    sender=str(ack["To"]), to=self.shared, subject=f"Re: {ack['Subject']}",
                    body="Thanks! Could you also send the price list?", message_id=mid,
                    headers={"In-Reply-To": str(ack["Message-ID"]),
                             "References": str(ack["Message-ID"])},
                )  # fmt: skip
            elif roll < 0.82:
                ack = self.rng.choice(acks)
                raw = mailgen.inquiry(
                    sender=f"Alice <{AGENT}>", to=str(ack["To"]), subject=f"Re: {ack['Subject']}",
                    body="Hello, the price list is attached. Alice", message_id=mid,
                    headers={"Cc": self.shared, "In-Reply-To": str(ack["Message-ID"])},
                )  # fmt: skip
            else:
                maker = self.rng.choice(
                    [mailgen.bounce, mailgen.out_of_office, mailgen.mailing_list]
                )
                raw = maker()
                raw = raw.replace(b"Message-ID: <", f"Message-ID: <soak{n}.".encode(), 1)
                mid = message_from_bytes(raw, policy=policy.default)["Message-ID"]
            if self._append(raw, str(mid).strip("<>")) and who:
                self.inquirers.append(who)  # only a delivered inquiry is owed an answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--gap", type=float, default=2.0, help="mean seconds between messages")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    total = args.minutes * 60
    result: dict[str, Any] = {"benchmark": "soak", "minutes": args.minutes}
    with Dovecot() as dovecot, SmtpReceiver() as smtp, tempfile.TemporaryDirectory() as tmp:
        dovecot.add_user("sales", "sales-pw")
        user = MailboxUser(dovecot.host, dovecot.port, "sales", "sales-pw")
        # ~1,000 inquiries an hour, from few domains: ten times the shipped mailbox cap, which
        # would rightly hold acknowledgments back. The soak is about exactly-once under faults;
        # the caps have tests of their own (tests/test_dovecot_safety.py).
        caps = "per_domain_hourly_cap = 100000\nmailbox_hourly_cap = 100000"
        config = write_config(Path(tmp), user, smtp, acknowledgment=caps)
        settings = load_settings(config)
        log = (Path(tmp) / "daemon.log").open("w")
        daemon = popen(config, user, "run", log=log)
        stream = Stream(dovecot, smtp, settings.mailbox.address, args.gap, args.seed)
        feeder = threading.Thread(target=stream.run, daemon=True)
        started = time.monotonic()
        feeder.start()

        def at(fraction: float) -> None:
            time.sleep(max(0.0, started + fraction * total - time.monotonic()))

        at(0.25)
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=30)
        print("killed -9 and restarted the daemon", file=sys.stderr)
        daemon = popen(config, user, "run", log=log)
        time.sleep(min(30.0, 0.05 * total))
        result["rss_start_mb"] = rss_mb(daemon)
        at(0.5)
        dovecot.restart()
        print("restarted Dovecot", file=sys.stderr)
        at(0.7)
        smtp.refuse("temporary")
        print("SMTP refusing", file=sys.stderr)
        time.sleep(min(60.0, 0.1 * total))
        smtp.accept()
        at(1.0)
        stream.stop.set()
        feeder.join(30)
        deadline = time.monotonic() + 300
        acked: dict[str, set[str]] = defaultdict(set)
        while time.monotonic() < deadline:
            acked.clear()
            for m in stream._acked():
                acked[str(m["To"].addresses[0].addr_spec)].add(str(m["Message-ID"]))
            if all(who in acked for who in stream.inquirers):
                break
            time.sleep(1.0)
        time.sleep(5.0)  # the last cycle's writes
        result["rss_end_mb"] = rss_mb(daemon)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        result["daemon_exit"] = daemon.returncode
        log.close()
        errors = [line for line in (Path(tmp) / "daemon.log").read_text().splitlines()
                  if " ERROR " in line or "Traceback" in line]  # fmt: skip
        result["daemon_errors"] = errors[:5]
        with Store.open(settings.store.path, read_only=True) as store:
            logged = {m.message_id for m in store.messages()}
            records = len(store.prospects())
    missing = [m for m in stream.appended if m not in logged]
    unacked = [w for w in stream.inquirers if w not in acked]
    result.update(
        appended=len(stream.appended), handled=len(stream.appended) - len(missing),
        logged_in_all=len(logged), records=records,
        inquiries=len(stream.inquirers),
        duplicates=sum(1 for ids in acked.values() if len(ids) > 1),
        losses=len(missing) + len(unacked), not_logged=missing[:5], not_acknowledged=unacked[:5],
        append_retries=stream.failures,
        rss_growth=round(result["rss_end_mb"] / result["rss_start_mb"] - 1, 3),
        machine=machine(),
    )  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
