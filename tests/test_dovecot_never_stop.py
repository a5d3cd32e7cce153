"""Never stop, never lose, on the real servers: outbound poison fails alone while ``run`` goes
on; the owner reads the records while the daemon holds the store."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import pytest

from inbox_agent.config import load_settings
from inbox_agent.daemon import Daemon
from inbox_agent.dispatch import DispatchReport
from inbox_agent.imap import MailboxSession
from inbox_agent.runner import Runner, connect
from inbox_agent.store import Store
from tests import mailgen
from tests.harness import Dovecot, MailboxUser, Received, SmtpReceiver
from tests.realconfig import PASSWORD_ENV, cli, popen, write_config

JOSE = "josé@example.org"


def acks(received: list[Received]) -> list[str]:
    return [r.rcpt_tos[0] for r in received if r.message()["Auto-Submitted"] == "auto-replied"]


def wait_until(done: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(done) and done():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def test_one_international_address_never_stops_the_outgoing_mail(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    """The receiver does not offer SMTPUTF8 (aiosmtpd's default, like many small servers): the
    mail to josé@ fails for good and alone; Ann before and Bea after get theirs, the daemon
    runs on, and ``quarantine`` shows what a person must do."""
    config = write_config(tmp_path, mailbox_user, smtp_server)
    daemon = popen(config, mailbox_user, "run")
    try:
        for sender in ("Ann <ann@example.org>", f"José <{JOSE}>", "Bea <bea@exämple.test>"):
            dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(sender=sender))
            time.sleep(0.3)
        wait_until(lambda: len(acks(smtp_server.received)) >= 2, 30)
        wait_until(
            lambda: any(
                "Not delivered" in str(r.message()["Subject"]) for r in smtp_server.received
            ),
            30,
        )
        assert acks(smtp_server.received) == ["ann@example.org", "bea@xn--exmple-cua.test"]
        assert daemon.poll() is None, "the daemon stopped"
        dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(sender="Cy <cy@example.org>"))
        wait_until(lambda: "cy@example.org" in acks(smtp_server.received), 30)
        shown = cli(config, mailbox_user, "quarantine")  # while the daemon holds the store
        assert shown.returncode == 0, shown.stderr
        assert "could not be delivered" in shown.stdout and JOSE in shown.stdout
        assert "SMTPUTF8" in shown.stdout
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err


def test_the_owner_reads_the_records_while_the_daemon_runs(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    config = write_config(tmp_path, mailbox_user, smtp_server)
    daemon = popen(config, mailbox_user, "run")
    try:
        dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry())
        wait_until(lambda: len(acks(smtp_server.received)) == 1, 30)
        listed = cli(config, mailbox_user, "prospects", "--json")
        assert listed.returncode == 0, listed.stderr
        [row] = json.loads(listed.stdout)
        assert row["email"] == "jane@example.org" and row["status"] == "call"
        shown = cli(config, mailbox_user, "show", "jane@example.org")
        assert shown.returncode == 0 and "acknowledgment" in shown.stdout, shown.stderr
        refused = cli(config, mailbox_user, "poll")  # a writing command says why it cannot
        assert refused.returncode == 1 and "stop the other one first" in refused.stderr
        assert daemon.poll() is None
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err


def test_an_smtputf8_server_gets_the_international_mail_too(
    dovecot: Dovecot, mailbox_user: MailboxUser, tmp_path: Path
) -> None:
    with SmtpReceiver(smtputf8=True) as smtp:
        config = write_config(tmp_path, mailbox_user, smtp)
        dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(sender=f"José <{JOSE}>"))
        done = cli(config, mailbox_user, "poll")
        assert done.returncode == 0, done.stderr
        assert acks(smtp.received) == [JOSE]
        [ack] = [r for r in smtp.received if r.rcpt_tos == (JOSE,)]
        assert "josé@example.org" in str(ack.message()["To"])


def test_mail_that_arrives_while_a_cycle_runs_is_not_left_for_the_safety_poll(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The second inquiry lands while the daemon is busy with the first (here: while it sends
    the first acknowledgment); IDLE would never report it, the safety poll is 10 minutes off."""
    config = write_config(tmp_path, mailbox_user, smtp_server,
                          extra="[daemon]\nsafety_poll_s = 600\n")  # fmt: skip
    monkeypatch.setenv(PASSWORD_ENV, mailbox_user.password)
    settings = load_settings(config)
    second = mailgen.inquiry(sender="second@example.net")
    with Store.open(settings.store.path) as store, Runner(settings, store) as runner:
        real_send_due = runner.send_due

        def send_and_meanwhile(mailbox: MailboxSession | None) -> DispatchReport:
            if not acks(smtp_server.received):  # the first cycle: mail comes while we send
                dovecot.append(mailbox_user.user, "INBOX", second)
            return real_send_due(mailbox)

        monkeypatch.setattr(runner, "send_due", send_and_meanwhile)
        daemon = Daemon(settings, runner)
        with connect(settings) as mailbox:
            serving = threading.Thread(target=daemon._serve, args=(mailbox,), daemon=True)
            dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(sender="first@example.net"))
            serving.start()
            try:
                wait_until(lambda: "second@example.net" in acks(smtp_server.received), 10)
            finally:
                daemon.stop.set()
                serving.join(15)
    assert acks(smtp_server.received) == ["first@example.net", "second@example.net"]
