"""Acknowledgments on real servers (Dovecot + aiosmtpd on loopback): round trip, never to a
robot, exactly once across kill -9, SMTP outages and ambiguous failures, IMAP restarts."""

from __future__ import annotations

import email
import shutil
import signal
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from inbox_agent.config import Settings, load_settings
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from tests import mailgen
from tests.conftest import CORPUS, Clock
from tests.harness import Dovecot, MailboxUser, Received, SmtpReceiver
from tests.realconfig import PASSWORD_ENV, cli, popen, write_config


def acks(received: list[Received]) -> list[Received]:
    """Mail to prospects; the configured agent's notifications are left out."""
    return [r for r in received if r.message()["Auto-Submitted"] == "auto-replied"]


def message_ids_by_recipient(received: list[Received]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for r in received:
        for rcpt in r.rcpt_tos:
            found[rcpt].add(str(r.message()["Message-ID"]))
    return found


@pytest.fixture
def settings(
    mailbox_user: MailboxUser,
    smtp_server: SmtpReceiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    monkeypatch.setenv(PASSWORD_ENV, mailbox_user.password)
    return load_settings(write_config(tmp_path, mailbox_user, smtp_server))


def wall_clock() -> Clock:
    """A movable clock that starts at the real time (Dovecot stamps INTERNALDATE with it)."""
    return Clock(datetime.now(UTC))


def test_round_trip_threaded_with_copy_in_sent(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    prospect = f"{mailbox_user.user}-p"
    dovecot.add_user(prospect, "pw")
    smtp_server.deliver_to(dovecot)
    inquiry = mailgen.inquiry(
        sender=f"Jane Doe <{prospect}@example.org>", message_id="<inq-1@example.org>"
    )
    dovecot.append(mailbox_user.user, "INBOX", inquiry)
    with Store.open(settings.store.path) as store:
        report = Runner(settings, store).cycle()
        [record] = store.prospects()
    assert report.dispatch.sent == [f"{record.id}:ack", f"{record.id}:notify"]
    with dovecot.client(prospect) as client:
        client.select_folder("INBOX")
        [(_, data)] = client.fetch(client.search(), ["BODY.PEEK[]"]).items()
    ack = email.message_from_bytes(data[b"BODY[]"], policy=policy.default)
    assert ack["In-Reply-To"] == "<inq-1@example.org>"
    assert ack["Subject"] == "Re: Question about your widgets"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert "Hello Jane" in mailgen.plain_text(ack)
    with dovecot.client(mailbox_user.user) as client:
        client.select_folder("Sent", readonly=True)
        sent = client.fetch(client.search(), ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    filed = [v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"] for v in sent.values()]
    assert sum(ack["Message-ID"].encode() in f for f in filed) == 1  # and the agent's notification
    assert record.status == "call" and record.acknowledged_at is not None


def test_no_acknowledgment_to_any_robot_in_the_corpus(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    robots = [
        p for d in ("a-bounces", "b-auto-replies", "f-mailing-lists")
        for p in sorted((CORPUS / d).rglob("*")) if p.is_file() and "is-not-bounce" not in p.name
    ]  # fmt: skip
    assert len(robots) > 90
    with dovecot.client(mailbox_user.user) as client:
        for path in robots:
            client.append("INBOX", path.read_bytes())
    with Store.open(settings.store.path) as store, Runner(settings, store) as agent:
        report = agent.cycle()  # a batch this big is read by worker processes
        assert report.poll.fetched == len(robots)
        assert store.prospects() == [] and store.outbox() == []
    assert smtp_server.received == []


def test_kill_9_while_sending_then_restart_gives_one_acknowledgment_each(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    with dovecot.client(mailbox_user.user) as client:
        for i in range(120):
            client.append("INBOX", mailgen.inquiry(sender=f"p{i}@example.net", subject=f"Q{i}"))
    # 120 people at one domain within seconds: this test is about exactly-once, not the caps
    caps = "per_domain_hourly_cap = 1000\nmailbox_hourly_cap = 1000"
    config = write_config(tmp_path, mailbox_user, smtp_server, acknowledgment=caps)
    proc = popen(config, mailbox_user, "poll")
    deadline = time.monotonic() + 60
    while len(smtp_server.received) < 30 and time.monotonic() < deadline and proc.poll() is None:
        # acknowledgments go first, so the first 30 mails are acknowledgments
        time.sleep(0.002)
    assert proc.poll() is None, "finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert 30 <= len(smtp_server.received) < 240
    done = cli(config, mailbox_user, "poll")
    assert done.returncode == 0, done.stderr
    ids = message_ids_by_recipient(acks(smtp_server.received))
    assert sorted(ids) == sorted(f"p{i}@example.net" for i in range(120))
    assert all(len(v) == 1 for v in ids.values())  # at most a resend of the same Message-ID
    assert len(acks(smtp_server.received)) <= 121


def test_smtp_outage_loses_nothing(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    for i in range(5):
        dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(sender=f"p{i}@example.net"))
    clock = wall_clock()
    smtp_server.refuse("temporary")
    with Store.open(settings.store.path) as store:
        agent = Runner(settings, store, now=clock)
        assert agent.cycle().dispatch.sent == []
        for _ in range(12):  # an hour of refusals, in five-minute steps
            clock.t += timedelta(minutes=5)
            agent.cycle()
        assert smtp_server.received == []
        smtp_server.accept()
        clock.t += timedelta(minutes=5)
        agent.cycle()
        got = acks(smtp_server.received)
        assert {r.rcpt_tos[0] for r in got} == {f"p{i}@example.net" for i in range(5)}
        assert len(got) == 5
        assert all(p.acknowledged_at == clock.t for p in store.prospects())


def test_smtp_down_then_back(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry())
    clock = wall_clock()
    smtp_server.stop()
    with Store.open(settings.store.path) as store:
        assert Runner(settings, store, now=clock).cycle().dispatch.unavailable
        smtp_server.start()  # back, on a new port (the receiver picks a free one)
        back = replace(settings, smtp=replace(settings.smtp, port=smtp_server.port))
        clock.t += timedelta(minutes=1)
        assert "1:ack" in Runner(back, store, now=clock).cycle().dispatch.sent
    assert len(acks(smtp_server.received)) == 1


def test_ambiguous_failure_resends_same_message_id(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry())
    clock = wall_clock()
    smtp_server.ambiguous(1)
    with Store.open(settings.store.path) as store:
        agent = Runner(settings, store, now=clock)
        assert agent.cycle().dispatch.retrying == ["1:ack"]
        clock.t += timedelta(minutes=1)
        assert agent.cycle().dispatch.sent == ["1:ack"]
    assert len(acks(smtp_server.received)) == 2
    assert len(message_ids_by_recipient(acks(smtp_server.received))["jane@example.org"]) == 1


def test_template_error_is_clear_and_sends_nothing(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(Path(__file__).resolve().parent.parent / "templates", templates)
    (templates / "acknowledgment.txt.j2").write_text("Dear {{ prospect.first_name }}")
    config = write_config(tmp_path, mailbox_user, smtp_server, templates=templates)
    dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry())
    proc = cli(config, mailbox_user, "poll")
    assert proc.returncode == 1
    assert "acknowledgment.txt.j2" in proc.stderr and "first_name" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert acks(smtp_server.received) == []  # the agent is still told; the prospect gets nothing


def test_daemon_survives_an_imap_restart(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    config = write_config(tmp_path, mailbox_user, smtp_server)
    daemon = popen(config, mailbox_user, "run")
    try:
        time.sleep(1.5)
        dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(sender="first@example.net"))
        smtp_server.wait_for(2, timeout=15)  # the acknowledgment and the agent's notification
        dovecot.restart()
        dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(sender="second@example.net"))
        received = smtp_server.wait_for(4, timeout=60)
        assert {r.rcpt_tos[0] for r in acks(received)} == {
            "first@example.net",
            "second@example.net",
        }
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=20)
    assert daemon.returncode == 0, err[-2000:]
    assert "reconnecting" in err
    assert len(acks(smtp_server.received)) == 2
