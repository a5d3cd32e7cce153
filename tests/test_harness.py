"""The harness itself: the real Dovecot and the aiosmtpd receiver behave as other tests assume."""

from __future__ import annotations

import os
import smtplib
import socket
import time
from email.message import EmailMessage
from typing import Literal

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.harness import Dovecot, MailboxUser, SmtpReceiver, require_dovecot
from tests.harness import dovecot as dovecot_module
from tests.harness.smtp import TEMPORARY, Stage

RAW = (
    b"From: Prospect <prospect@example.org>\r\n"
    b"To: sales@example.test\r\n"
    b"Subject: Quote for 40 chairs\r\n"
    b"Message-ID: <harness-1@example.org>\r\n"
    b"Date: Mon, 03 Mar 2025 10:00:00 +0000\r\n"
    b"\r\n"
    b"Hello, what would 40 chairs cost?\r\n"
)


def outgoing(to: str = "bob@example.test", subject: str = "Re: Quote") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "sales@example.test"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = "<ack-1@example.test>"
    msg.set_content("Thanks, we will get back to you today.\n")
    return msg


# -- the version gate -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, "2.4.1 (7c2b2c0f8b)", "2.2.36"])
def test_unusable_dovecot_skips_locally(version: str | None) -> None:
    with pytest.raises(pytest.skip.Exception, match="Dovecot"):
        require_dovecot(lambda: version, environ={})


@pytest.mark.parametrize("version", [None, "2.4.1 (7c2b2c0f8b)", "2.2.36"])
def test_unusable_dovecot_fails_in_ci(version: str | None) -> None:
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        require_dovecot(lambda: version, environ={"CI": "true"})


def test_dovecot_23_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    version = require_dovecot(lambda: "2.3.19.1 (9b53102964)", environ={"CI": "true"})
    assert version.startswith("2.3.")


def test_ci_false_is_not_ci() -> None:
    assert not dovecot_module.in_ci({"CI": "false"})
    assert dovecot_module.in_ci({"CI": "1"})


# -- Dovecot --------------------------------------------------------------------------------------


def test_dovecot_marker_is_added(request: pytest.FixtureRequest, mailbox_user: MailboxUser) -> None:
    assert request.node.get_closest_marker("dovecot") is not None


def test_plain_tests_are_not_marked(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("dovecot") is None


def test_append_then_fetch(dovecot: Dovecot, mailbox_user: MailboxUser) -> None:
    user = mailbox_user.user
    first = dovecot.append(user, "INBOX", RAW)
    second = dovecot.append(user, "INBOX", RAW.replace(b"harness-1", b"harness-2"), [b"\\Seen"])
    assert second > first
    with dovecot.client(user) as client:
        info = client.select_folder("INBOX", readonly=True)
        assert info[b"EXISTS"] == 2
        fetched = client.fetch([first, second], ["BODY.PEEK[]", "FLAGS"])
    assert fetched[first][b"BODY[]"] == RAW
    assert b"\\Seen" not in fetched[first][b"FLAGS"]
    assert b"\\Seen" in fetched[second][b"FLAGS"]


def test_append_creates_missing_folder(dovecot: Dovecot, mailbox_user: MailboxUser) -> None:
    uid = dovecot.append(mailbox_user.user, "Archive/2025", RAW)
    with dovecot.client(mailbox_user.user) as client:
        folders = {name for _flags, _sep, name in client.list_folders()}
        assert {"INBOX", "Sent", "Processed", "Archive/2025"} <= folders
        client.select_folder("Archive/2025", readonly=True)
        assert client.search(["ALL"]) == [uid]


def test_sent_folder_has_special_use(dovecot: Dovecot, mailbox_user: MailboxUser) -> None:
    with dovecot.client(mailbox_user.user) as client:
        assert client.find_special_folder(b"\\Sent") == "Sent"


def test_body_peek_does_not_set_seen(dovecot: Dovecot, mailbox_user: MailboxUser) -> None:
    peeked = dovecot.append(mailbox_user.user, "INBOX", RAW)
    read = dovecot.append(mailbox_user.user, "INBOX", RAW)
    with dovecot.client(mailbox_user.user) as client:
        client.select_folder("INBOX")  # read-write on purpose: PEEK alone must keep \Seen off
        client.fetch([peeked], ["BODY.PEEK[]"])
        client.fetch([read], ["BODY[]"])  # the control: a plain BODY[] does set \Seen
        flags = client.get_flags([peeked, read])
    assert b"\\Seen" not in flags[peeked]
    assert b"\\Seen" in flags[read]


def test_wrong_password_does_not_slow_the_next_login(dovecot: Dovecot) -> None:
    dovecot.add_user("penalty-check", "right")
    raw = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    try:
        with pytest.raises(LoginError):
            raw.login("penalty-check", "wrong")  # answered after Dovecot's 2 s failure delay
    finally:
        raw.shutdown()
    started = time.monotonic()
    dovecot.client("penalty-check").logout()
    assert time.monotonic() - started < 1  # no auth penalty carried over to the next login


def test_new_user_can_log_in_at_once(dovecot: Dovecot) -> None:
    for n in range(4):  # several within one second: each can log in at once
        dovecot.add_user(f"fresh-{n}", "s3cret")
        with dovecot.client(f"fresh-{n}") as client:
            assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_changed_password_takes_effect(dovecot: Dovecot) -> None:
    dovecot.add_user("repassword", "first")
    dovecot.client("repassword").logout()
    dovecot.add_user("repassword", "other")  # same length: only the mtime tells Dovecot
    dovecot.client("repassword").logout()


def test_idle_announces_an_append(dovecot: Dovecot, mailbox_user: MailboxUser) -> None:
    with dovecot.client(mailbox_user.user) as watcher:
        watcher.select_folder("INBOX", readonly=True)
        watcher.idle()
        uid = dovecot.append(mailbox_user.user, "INBOX", RAW)
        appended = time.monotonic()
        responses: list[tuple[int | bytes, ...]] = []
        deadline = appended + 10
        while not any(r[1:2] == (b"EXISTS",) for r in responses) and time.monotonic() < deadline:
            responses += watcher.idle_check(timeout=1)
        delay = time.monotonic() - appended
        watcher.idle_done()
    print(f"\nIDLE announced UID {uid} {delay:.3f}s after the APPEND completed: {responses}")
    assert (1, b"EXISTS") in responses
    assert delay < 5


@pytest.mark.dovecot
def test_restart_keeps_mail_users_and_port() -> None:
    require_dovecot()
    with Dovecot() as server:
        server.add_user("carol", "pw")
        uid = server.append("carol", "INBOX", RAW)
        port, pid = server.port, server.pid
        old = server.client("carol")
        old.select_folder("INBOX", readonly=True)

        server.restart()

        assert server.port == port and server.pid != pid
        with pytest.raises((IMAPClient.AbortError, OSError)):
            old.noop()  # the old connection died with the old server: clients must reconnect
        old.shutdown()
        with server.client("carol") as client:
            client.select_folder("INBOX", readonly=True)
            assert client.search(["ALL"]) == [uid]
            assert client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"] == RAW
        root, pgid = server.root, server.pid
    assert pgid is not None
    assert not root.exists()
    assert dovecot_module.group_members(pgid) == []  # no Dovecot process of it is left


@pytest.mark.dovecot
def test_failed_start_explains_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    require_dovecot()
    broken = dovecot_module.CONFIG_TEMPLATE.replace("protocols = imap", "protocols = imap nonsense")
    monkeypatch.setattr(dovecot_module, "CONFIG_TEMPLATE", broken)
    server = Dovecot()
    with pytest.raises(dovecot_module.DovecotError, match="nonsense") as raised, server:
        pass
    print(f"\n{raised.value}")
    assert not server.root.exists() and not server.running


@pytest.mark.dovecot
def test_stopped_dovecot_refuses_connections() -> None:
    require_dovecot()
    with Dovecot() as server:
        server.stop()
        assert not server.running
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((server.host, server.port), timeout=2).close()


# -- SMTP -----------------------------------------------------------------------------------------


def test_smtp_receives(smtp_server: SmtpReceiver) -> None:
    assert smtp_server.port > 0
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.send_message(outgoing(), from_addr="sales@example.test", to_addrs=["a@x.test"])
        client.send_message(outgoing(subject="Second"), to_addrs=["b@x.test", "c@x.test"])
    first, second = smtp_server.wait_for(2, timeout=5)
    assert first.mail_from == "sales@example.test"
    assert first.rcpt_tos == ("a@x.test",)
    assert first.message()["Subject"] == "Re: Quote"
    assert first.data.endswith(b"\r\n") and b"\r\n\r\nThanks" in first.data
    assert second.rcpt_tos == ("b@x.test", "c@x.test")
    assert first.login is None and first.delivered == ()


def test_wait_for_times_out(smtp_server: SmtpReceiver) -> None:
    with pytest.raises(AssertionError, match="got 0 of 1"):
        smtp_server.wait_for(1, timeout=0.2)


def test_smtp_refuses_temporarily_then_accepts(smtp_server: SmtpReceiver) -> None:
    smtp_server.refuse("temporary")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(outgoing())
        assert refused.value.smtp_code == 451
        smtp_server.accept()
        client.send_message(outgoing())
    assert len(smtp_server.wait_for(1)) == 1
    assert smtp_server.refusals == [("MAIL", TEMPORARY)]


@pytest.mark.parametrize(
    ("kind", "stage", "error", "code"),
    [
        ("permanent", "MAIL", smtplib.SMTPSenderRefused, 550),
        ("permanent", "RCPT", smtplib.SMTPRecipientsRefused, 550),
        ("temporary", "RCPT", smtplib.SMTPRecipientsRefused, 451),
        ("permanent", "DATA", smtplib.SMTPDataError, 550),
        ("temporary", "DATA", smtplib.SMTPDataError, 451),
    ],
)
def test_smtp_refusal_stages(
    smtp_server: SmtpReceiver,
    kind: Literal["temporary", "permanent"],
    stage: Stage,
    error: type[Exception],
    code: int,
) -> None:
    smtp_server.refuse(kind, at=[stage])
    with (
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client,
        pytest.raises(error) as raised,
    ):
        client.send_message(outgoing(), to_addrs=["a@x.test", "b@x.test"])
    if isinstance(raised.value, smtplib.SMTPRecipientsRefused):
        assert {c for c, _msg in raised.value.recipients.values()} == {code}
    else:
        assert getattr(raised.value, "smtp_code", None) == code
    assert smtp_server.received == []


def test_smtp_refuses_only_so_many_times(smtp_server: SmtpReceiver) -> None:
    smtp_server.refuse("temporary", at=["RCPT"], times=1)
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused):  # both RCPTs of one transaction
            client.send_message(outgoing(), to_addrs=["a@x.test", "b@x.test"])
        client.send_message(outgoing(), to_addrs=["a@x.test", "b@x.test"])
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("a@x.test", "b@x.test")
    assert len(smtp_server.refusals) == 2


def test_smtp_auth(smtp_server: SmtpReceiver) -> None:
    with SmtpReceiver(credentials={"agent": "pa55"}) as receiver:
        with smtplib.SMTP(receiver.host, receiver.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("agent", "wrong")
            client.login("agent", "pa55")
            client.send_message(outgoing())
        assert receiver.wait_for(1)[0].login == "agent"


def test_round_trip_into_dovecot(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver
) -> None:
    smtp_server.deliver_to(dovecot)
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.send_message(outgoing(to=mailbox_user.address), to_addrs=[mailbox_user.address])
        client.send_message(outgoing(to="nobody@example.test"))  # no such user: kept only
    # Delivered before the 250: no waiting needed once send_message has returned.
    with dovecot.client(mailbox_user.user) as imap:
        imap.select_folder("INBOX", readonly=True)
        uids = imap.search(["ALL"])
        body = imap.fetch(uids, ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
    to_user, to_nobody = smtp_server.wait_for(2)
    assert to_user.delivered == ((mailbox_user.user, uids[0]),)
    assert len(uids) == 1 and body == to_user.data
    assert to_nobody.delivered == ()


def test_ambiguous_close(smtp_server: SmtpReceiver) -> None:
    smtp_server.ambiguous()
    client = smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10)
    with pytest.raises(smtplib.SMTPServerDisconnected) as raised:
        client.send_message(outgoing())
    print(f"\nambiguous close: smtplib raised {type(raised.value).__name__}: {raised.value}")
    assert str(raised.value) == "Connection unexpectedly closed"
    assert len(smtp_server.wait_for(1)) == 1  # ... yet the server did receive it
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as again:  # only once
        again.send_message(outgoing())
    assert len(smtp_server.wait_for(2)) == 2


def test_ambiguous_hang(smtp_server: SmtpReceiver) -> None:
    smtp_server.ambiguous(how="hang")
    client = smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=1)
    started = time.monotonic()
    with pytest.raises(smtplib.SMTPServerDisconnected) as raised:
        client.send_message(outgoing())
    waited = time.monotonic() - started
    print(f"\nambiguous hang: smtplib raised {type(raised.value).__name__}: {raised.value}")
    assert str(raised.value) == "Connection unexpectedly closed: timed out"
    assert 0.9 < waited < 5
    assert len(smtp_server.wait_for(1)) == 1


def test_ambiguous_still_delivers(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver
) -> None:
    smtp_server.deliver_to(dovecot)
    smtp_server.ambiguous()
    with pytest.raises(smtplib.SMTPServerDisconnected):
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10).send_message(
            outgoing(to=mailbox_user.address)
        )
    (kept,) = smtp_server.wait_for(1)
    assert kept.delivered and kept.delivered[0][0] == mailbox_user.user
