"""The daily digest and the monthly review over 50,000 records.

A store is filled with a year of a busy business: 50,000 records (about 137 a day) with the
timelines the code writes — inquiry, assignment, acknowledgment, notification, status moves,
an agent's answer for most, replies, stage moves, follow-ups, drip and revive reminders for
some, quotes and sales by command — most of them closed, some open on drip or waiting; a
message log (inquiries, replies, bounces, spam), an outbox of two mails per record, a few
undeliverable. Then, from the open store, as the daemon makes them:

- ``digest_seconds``: the digest of the last day (read the store's facts, compute, render the
  text and the HTML part);
- ``report_seconds``: the monthly review of the last month (the same, with the month before);

and, for the whole picture, ``open_seconds`` (opening the store to read: its JSON load, the
store's own cost, paid by every command) and ``cli_digest_seconds`` (``inbox-agent digest``
run as a command, interpreter start and store open included). Medians of ``--rounds``.
Last line: one JSON object.

    python bench/digest.py [--records 50000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine, peak_rss_mb  # noqa: E402
from inbox_agent.config import load_settings  # noqa: E402
from inbox_agent.mail.classify import Kind  # noqa: E402
from inbox_agent.records.prospect import (  # noqa: E402
    Direction,
    Event,
    LoggedMessage,
    Prospect,
    Quote,
    Sale,
    Stage,
    Status,
)
from inbox_agent.reporting import digest_content, review_content  # noqa: E402
from inbox_agent.rules import renderer, report_rules  # noqa: E402
from inbox_agent.sending import outbox  # noqa: E402
from inbox_agent.sending.actions import Acknowledge, Notify, NotifyReason  # noqa: E402
from inbox_agent.sending.outbox import OutboxEntry  # noqa: E402
from inbox_agent.store import Store  # noqa: E402
from inbox_agent.store.database import JournalStorage  # noqa: E402

START = datetime(2025, 12, 1, 6, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)  # 07:30 in Johannesburg, the shipped zone
AGENTS = ("alice@example.com", "bob@example.com", "carol@example.com")
SOURCES = ("website", "email", "facebook", "linkedin", "google_ads", "referral")
RAW = ("x" * 1500).encode()  # a rendered mail's bytes, roughly an acknowledgment's size
SETTINGS = load_settings(ROOT / "rules.toml")
RULES, PAGES = report_rules(SETTINGS), renderer(SETTINGS)
DAY = NOW.astimezone(RULES.tz).date() - timedelta(days=1)  # the digest of the last day
MONTH = date(DAY.year, DAY.month, 1)  # the review of the month that day ends


def moved(at: datetime, field: str, old: str, new: str, cause: str) -> Event:
    return Event(at, Direction.INTERNAL, field, summary=f"{field} {old} → {new} ({cause})")


def sent(at: datetime, kind: str, i: int, to: str = "") -> Event:
    direction = Direction.INTERNAL if to else Direction.OUT
    return Event(at, direction, kind, f"ia.{i}.{kind}.0123456789abcdef@example.com",
                 f"{kind} sent" + (f" to {to}" if to else ""))  # fmt: skip


def record(i: int, rng: random.Random, span: float) -> Prospect:
    created = START + timedelta(seconds=rng.random() * span)
    agent = AGENTS[i % 3] if rng.random() > 0.03 else None
    ack = created + timedelta(seconds=rng.uniform(0.5, 3))
    tl = [
        Event(created, Direction.IN, "inquiry", f"<m{i}@mail.example.org>",
              "Do you ship the blue widget to Cape Town? We need 40 units by March.",
              "INBOX", i),
        Event(created, Direction.INTERNAL, "assigned", summary=f"assigned to {agent} (rota)"),
        sent(ack, "acknowledgment", i), moved(ack, "status", "new", "call", "acknowledged"),
        sent(ack, "notification", i, agent or "owner@example.com"),
    ]  # fmt: skip
    fields: dict[str, object] = {"acknowledged_at": ack, "status": Status.CALL}
    now_open = created > NOW - timedelta(days=14)
    if rng.random() < 0.85:
        answered = created + timedelta(minutes=rng.lognormvariate(4, 1.5))
        tl += [
            Event(answered, Direction.OUT, "agent_reply", f"<r{i}@example.com>",
                  "Hi, yes we do; the price list is attached.", "Sent", i),
            moved(answered, "status", "call", "email", "information_sent"),
        ]  # fmt: skip
        fields.update(first_response_at=answered, information_sent_at=answered,
                      status=Status.EMAIL)  # fmt: skip
        later = answered + timedelta(hours=48)
        if rng.random() < 0.5:
            tl += [sent(later, "courtesy_note", i),
                   moved(later, "status", "email", "follow_up", "courtesy_note")]  # fmt: skip
            fields.update(status=Status.FOLLOW_UP, follow_ups_sent=1)
        if rng.random() < 0.4:
            replied = answered + timedelta(hours=rng.uniform(1, 60))
            tl += [Event(replied, Direction.IN, "prospect_reply", f"<p{i}@mail.example.org>",
                         "Thanks, can you quote for 40?", "INBOX", i),
                   moved(replied, "stage", "lead", "prospect", "prospect_replied")]  # fmt: skip
            fields.update(stage=Stage.PROSPECT, last_inbound_at=replied)
            if rng.random() < 0.5:
                quoted = replied + timedelta(hours=3)
                amount = f"R {rng.randrange(1, 90) * 500:,}"
                tl.append(Event(quoted, Direction.INTERNAL, "command",
                                summary=f"{agent}: #quote {amount} Q-{i}"))  # fmt: skip
                fields["quote"] = Quote(amount, f"Q-{i}")
                if rng.random() < 0.35:
                    won = quoted + timedelta(days=rng.uniform(1, 20))
                    tl += [moved(won, "status", "email", "done", "won"),
                           moved(won, "stage", "prospect", "customer", "won"),
                           Event(won, Direction.INTERNAL, "command",
                                 summary=f"{agent}: #sale {amount} INV-{i}")]  # fmt: skip
                    fields.update(sale=Sale(amount, f"INV-{i}"), stage=Stage.CUSTOMER,
                                  status=Status.DONE, closed_at=won)  # fmt: skip
    if fields["status"] != Status.DONE and not now_open:
        roll = rng.random()
        end = created + timedelta(days=rng.uniform(5, 30))
        if roll < 0.15:
            tl += [sent(end, "revive_reminder", i, agent or ""), sent(end, "drip", i)]
            fields["status"] = Status.DRIP
        elif roll < 0.18:
            tl.append(sent(end, "revive_reminder", i, agent or ""))
            fields["status"] = Status.REVIVE
        else:
            tl.append(moved(end, "status", str(fields["status"]), "done", "lost"))
            fields.update(status=Status.DONE, closed_at=end, lost_reason="went elsewhere")
    tl.sort(key=lambda e: e.at)
    return Prospect(
        email=f"person{i}@mail.example.org", created_at=created, name="Jane", surname=f"Doe{i}",
        phone="+27825550123", source=rng.choice(SOURCES), assigned_to=agent,
        subject="Question about your widgets", question="Do you ship the blue widget?",
        interest=rng.choice(("product_information", "quote", "technical_assistance")),
        message_ids=tuple(e.message_id for e in tl if e.message_id), timeline=tuple(tl),
        **fields,  # type: ignore[arg-type]  # Prospect's own fields
    )  # fmt: skip


def fill(path: Path, count: int) -> None:
    rng = random.Random(50000)
    span = (NOW - START).total_seconds()
    with Store.open(path) as store:
        for first in range(0, count, 1000):
            with store.transaction():
                for i in range(first + 1, min(count, first + 1000) + 1):
                    p = store.save_prospect(record(i, rng, span))
                    store.log_message(LoggedMessage(
                        f"k{i}", f"<m{i}@mail.example.org>", "INBOX", i, Kind.INQUIRY,
                        "no automatic-mail signal", p.created_at, p.id))  # fmt: skip
                    if i % 40 == 0:
                        kind = Kind.SPAM if i % 80 else Kind.BOUNCE
                        store.log_message(LoggedMessage(f"r{i}", f"<x{i}@x>", "INBOX", i, kind,
                                                        "robot", p.created_at))  # fmt: skip
                    for action in (Acknowledge(p.id, p.email),
                                   Notify(p.id, p.assigned_to or "owner@example.com",
                                          NotifyReason.NEW_PROSPECT)):  # fmt: skip
                        entry = OutboxEntry(action, p.created_at, message_id=f"<{action.key}>",
                                            raw=RAW)  # fmt: skip
                        if i % 500 == 0 and isinstance(action, Acknowledge):
                            entry = outbox.failed(entry, p.created_at, "550 no such user")
                        else:
                            entry = outbox.sent(entry, p.created_at)
                        store.save_entry(entry)
        storage = store._db._storage  # fold the journal into the snapshot, as compaction does
        assert isinstance(storage, JournalStorage)
        storage.snapshot()


def timed(make: Callable[[Store], None], store: Store) -> float:
    start = time.perf_counter()
    make(store)
    return time.perf_counter() - start


def make_digest(store: Store) -> None:
    """What the daemon does once a day: the facts, the figures, the text and HTML parts."""
    text, html = PAGES.page("digest", digest_content(store, SETTINGS, DAY, NOW))
    assert "SPEED TO LEAD" in text and html


def make_report(store: Store) -> None:
    text, html = PAGES.page("report", review_content(store, SETTINGS, MONTH, NOW))
    assert "CONVERSION BY SOURCE" in text and html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    day = DAY
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prospects.json"
        started = time.perf_counter()
        fill(path, args.records)
        print(f"filled {args.records} records in {time.perf_counter() - started:.1f} s, "
              f"{path.stat().st_size / 1e6:.0f} MB", file=sys.stderr)  # fmt: skip
        config = Path(tmp) / "rules.toml"
        config.write_text((ROOT / "rules.toml").read_text().replace(
            'path = "data/prospects.json"', f'path = "{path}"').replace(
            'templates = "templates"', f'templates = "{ROOT / "templates"}"'))  # fmt: skip
        for r in range(args.rounds):
            t0 = time.perf_counter()
            store = Store.open(path, read_only=True)
            results.setdefault("open_seconds", []).append(time.perf_counter() - t0)
            with store:
                results.setdefault("digest_seconds", []).append(timed(make_digest, store))
                results.setdefault("report_seconds", []).append(timed(make_report, store))
            del store  # one store in memory at a time: rounds must not weigh on each other
            gc.collect()
            env = {**os.environ, "LD_PRELOAD": "", "TZ": "UTC"}
            cmd = [sys.executable, "-m", "inbox_agent", "--config", str(config), "digest",
                   "--date", day.isoformat()]  # fmt: skip
            t0 = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
            results.setdefault("cli_digest_seconds", []).append(time.perf_counter() - t0)
            assert done.returncode == 0, done.stderr
            print(f"round {r}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in results.items()),
                  file=sys.stderr)  # fmt: skip
    med = {k: round(statistics.median(v), 3) for k, v in results.items()}
    print(json.dumps({"benchmark": "digest", "records": args.records, "rounds": args.rounds,
                      **med, "digest_target_seconds": 2.0, "report_target_seconds": 3.0,
                      "peak_rss_mb": peak_rss_mb(), "machine": machine()}))  # fmt: skip


if __name__ == "__main__":
    main()
