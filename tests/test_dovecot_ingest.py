"""Ingest on a real Dovecot: records made once, \\Seen untouched, exactly once across kill -9."""

from __future__ import annotations

import contextlib
import json
import signal
import time
from pathlib import Path

import psutil

from inbox_agent.config import load_settings
from inbox_agent.store import Store
from tests import mailgen
from tests.harness import Dovecot, MailboxUser, SmtpReceiver
from tests.realconfig import cli, popen, write_config


def flags_by_uid(dovecot: Dovecot, user: str) -> dict[int, tuple[bytes, ...]]:
    with dovecot.client(user) as client:
        client.select_folder("INBOX", readonly=True)
        data = client.fetch(client.search(), ["FLAGS"])
        return {uid: tuple(sorted(d[b"FLAGS"])) for uid, d in data.items()}


def test_poll_records_inquiries_and_leaves_flags_alone(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    user = mailbox_user.user
    dovecot.append(user, "INBOX", mailgen.inquiry(), flags=[b"\\Seen"])
    dovecot.append(user, "INBOX", mailgen.form_notification())
    dovecot.append(user, "INBOX", mailgen.bounce())
    dovecot.append(user, "INBOX", mailgen.mailing_list(), flags=[b"\\Flagged"])
    dovecot.append(user, "INBOX", mailgen.no_headers())
    before = flags_by_uid(dovecot, user)
    config = write_config(tmp_path, mailbox_user, smtp_server)

    proc = cli(config, mailbox_user, "poll")
    assert proc.returncode == 0, proc.stderr
    assert "5 fetched" in proc.stdout and "2 new records" in proc.stdout
    assert flags_by_uid(dovecot, user) == before

    proc = cli(config, mailbox_user, "prospects", "--json")
    rows = json.loads(proc.stdout)
    assert sorted((r["email"], r["source"]) for r in rows) == [
        ("jane@example.org", "email"), ("sam@example.net", "website"),
    ]  # fmt: skip
    assert {r["phone"] for r in rows} == {"+27825550123", "+27825550199"}
    assert "no headers" in cli(config, mailbox_user, "quarantine").stdout
    again = cli(config, mailbox_user, "poll")
    assert "0 fetched" in again.stdout and "0 sent" in again.stdout


def test_a_second_writer_on_the_same_store_is_refused_a_reader_is_not(
    mailbox_user: MailboxUser, tmp_path: Path
) -> None:
    config = write_config(tmp_path, mailbox_user)
    with Store.open(load_settings(config).store.path):
        proc = cli(config, mailbox_user, "poll")
        reader = cli(config, mailbox_user, "prospects")
    assert proc.returncode == 1 and "in use by inbox-agent pid" in proc.stderr
    assert reader.returncode == 0, reader.stderr


def _fill(dovecot: Dovecot, user: str, inquiries: int, robots: int) -> None:
    makers = [mailgen.bounce, mailgen.out_of_office, mailgen.mailing_list]
    with dovecot.client(user) as client:
        for i in range(inquiries + robots):
            if i % 10 == 9 and robots:
                robots -= 1
                raw = makers[i % 3]().replace(b"Message-ID: <", f"Message-ID: <r{i}.".encode())
            else:
                raw = mailgen.inquiry(
                    sender=f"Person {i} <p{i}@example.net>", subject=f"Widgets #{i}",
                    body=f"Hello,\nI need {i} widgets.\nRegards\n",
                )  # fmt: skip
            client.append("INBOX", raw)


def test_kill_9_mid_batch_then_rerun_gives_exactly_one_record_each(
    dovecot: Dovecot, mailbox_user: MailboxUser, tmp_path: Path
) -> None:
    """500 messages, batches of 20; SIGKILL once some batches committed; run again."""
    _fill(dovecot, mailbox_user.user, inquiries=450, robots=50)
    caps = "per_domain_hourly_cap = 1000\nmailbox_hourly_cap = 1000"  # exactly-once, not caps
    config = write_config(tmp_path, mailbox_user, batch_size=20, acknowledgment=caps)
    journal = tmp_path / "data" / "prospects.json.journal"
    proc = popen(config, mailbox_user, "poll")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.stat().st_size > 40_000:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the poll finished before it could be killed"
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children, "the batch should be read by worker processes"
    with contextlib.suppress(psutil.NoSuchProcess):  # poll runs no thread: its workers are forked
        assert not any("spawn_main" in " ".join(c.cmdline()) for c in children)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    _, alive = psutil.wait_procs(children, timeout=15)
    assert alive == [], "worker processes outlived a kill -9 of inbox-agent"
    with Store.open(load_settings(config).store.path) as store:
        partial = len(store.prospects())
    assert 0 < partial < 450

    done = cli(config, mailbox_user, "poll")  # SMTP is unreachable: acks stay queued
    assert done.returncode == 0, done.stderr
    with Store.open(load_settings(config).store.path) as store:
        records = store.prospects()
        messages = store.messages()
        assert len(records) == 450
        assert len({p.email for p in records}) == 450
        assert all(len([e for e in p.timeline if e.direction == "in"]) == 1 for p in records)
        assert sorted(m.uid for m in messages) == list(range(1, 501))
        queued = [e for e in store.outbox() if e.kind == "acknowledgment"]
        assert len({e.key for e in queued}) == len(queued) == 450
        assert len({e.key for e in store.outbox()}) == len(store.outbox())
