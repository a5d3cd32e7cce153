"""The issue-8 scenarios on real servers (Dovecot + aiosmtpd on loopback): a stranger's relay
attempt, an out-of-office with a form-like body, a per-ticket autoresponder loop under ``run``,
a forged Authentication-Results below a genuine one, a spoofed agent answer, a stranger's
X-Failed-Recipients, one inquiry through an alias, no bodies in the log at -vv or in the store."""

from __future__ import annotations

import email
import itertools
import signal
import threading
import time
from email import policy
from pathlib import Path

import pytest

from inbox_agent.config import Settings, load_settings
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from tests import mailgen
from tests.harness import Dovecot, MailboxUser, Received, SmtpReceiver
from tests.realconfig import PASSWORD_ENV, cli, popen, write_config

VICTIM = "victim@example.net"
ALICE, JANE = "alice@example.com", "jane@example.org"
OUR_SERVER = '[commands]\nauthserv_ids = ["mx.example.com"]\n'
PLANTED = "PLANTED-LINE card 4111 1111 1111 1111 exp 12/29"


def acks(received: list[Received]) -> list[Received]:
    return [r for r in received if r.message()["Auto-Submitted"] == "auto-replied"]


@pytest.fixture
def settings(
    mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:  # fmt: skip
    monkeypatch.setenv(PASSWORD_ENV, mailbox_user.password)
    return load_settings(write_config(tmp_path, mailbox_user, smtp_server, extra=OUR_SERVER))


def cycle(settings: Settings, *raws: bytes, dovecot: Dovecot, user: MailboxUser) -> Store:
    for raw in raws:
        dovecot.append(user.user, "INBOX", raw)
    store = Store.open(settings.store.path)
    with Runner(settings, store) as agent:
        agent.cycle()
    return store


def test_a_strangers_relay_attempt_mails_no_victim(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    body = f"Name: Vic Tim\nEmail: {VICTIM}\nMessage: pay here http://phish.example/p\n"
    raws = [mailgen.inquiry(sender=f"Mallory <mallory{i}@example.org>", body=body,
                            subject=f"Invoice {i}") for i in range(3)]  # fmt: skip
    with cycle(settings, *raws, dovecot=dovecot, user=mailbox_user) as store:
        emails = sorted(p.email for p in store.prospects())
    assert emails == [f"mallory{i}@example.org" for i in range(3)]
    assert all(VICTIM not in r.rcpt_tos for r in smtp_server.received)
    assert {r.rcpt_tos for r in smtp_server.received} == {(ALICE,)}  # the agent is told, only


def test_an_out_of_office_with_a_form_like_body(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    ooo = mailgen.inquiry(
        sender="Bob <bob@example.org>", subject="Out of Office: Re: your newsletter",
        body=f"I am away.\n\nName: Vic Tim\nEmail: {VICTIM}\n",
        headers={"Auto-Submitted": "auto-replied"},
    )  # fmt: skip
    with cycle(settings, ooo, dovecot=dovecot, user=mailbox_user) as store:
        assert store.prospects() == [] and store.outbox() == []
    assert smtp_server.received == []


def autoresponder(dovecot: Dovecot, sales: str, *, threaded: bool) -> object:
    """A helpdesk that answers each acknowledgment from a new support+tN@ address, with no
    Auto-Submitted header, into the shared INBOX (``threaded``: In-Reply-To our mail)."""
    numbers = itertools.count(2)

    def answer(got: Received) -> None:
        msg = got.message()
        if msg["Auto-Submitted"] != "auto-replied" or "helpdesk.example" not in got.rcpt_tos[0]:
            return
        n = next(numbers)
        headers = {"In-Reply-To": str(msg["Message-ID"])} if threaded else {}
        raw = mailgen.inquiry(
            sender=f"Support <support+t{n}@helpdesk.example>", to=sales,
            subject=f"Thank you for contacting us (request {n})" if threaded else "Question",
            body="Hello, an agent will be with you soon.\n", headers=headers,
        )  # fmt: skip
        # a second later, as a helpdesk does (and while the daemon idles: mail that lands
        # during a cycle waits for the next wake-up, see the report)
        threading.Timer(1.0, dovecot.append, (sales.partition("@")[0], "INBOX", raw)).start()

    return answer


@pytest.mark.parametrize("threaded", [True, False], ids=["in-reply-to", "fresh-mail"])
def test_a_per_ticket_autoresponder_loop_under_run_is_capped(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path,
    threaded: bool,
) -> None:  # fmt: skip
    """The loop that sent 41 acknowledgments in 30 s: now at most the per-domain cap; when the
    autoresponder threads its answers, only the first acknowledgment."""
    config = write_config(tmp_path, mailbox_user, smtp_server)
    sales = load_settings(config).mailbox.address
    smtp_server.on_receive(autoresponder(dovecot, sales, threaded=threaded))  # type: ignore[arg-type]
    dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(
        sender="Support <support+t1@helpdesk.example>", to=sales, subject="Quote please",
    ))  # fmt: skip
    daemon = popen(config, mailbox_user, "run")
    try:
        time.sleep(30)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err[-2000:]
    to_helpdesk = [r for r in acks(smtp_server.received) if "helpdesk.example" in r.rcpt_tos[0]]
    cap = load_settings(config).acknowledgment.per_domain_hourly_cap
    print(f"acknowledgments to the helpdesk in 30 s: {len(to_helpdesk)} (cap {cap})")
    assert 1 <= len(to_helpdesk) <= (1 if threaded else cap)
    if not threaded:  # the cap tripped: the agent is told, once
        notices = [r for r in smtp_server.received if "held back" in str(r.message()["Subject"])]
        assert [r.rcpt_tos for r in notices] == [(ALICE,)]


def test_a_forged_authentication_results_below_a_genuine_one(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    with cycle(settings, mailgen.inquiry(), dovecot=dovecot, user=mailbox_user) as store:
        [record] = store.prospects()
    genuine = "mx.example.com; dkim=fail header.d=example.com; dmarc=fail header.from=example.com"
    forged = "mx.example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"
    raw = mailgen.inquiry(sender=f"Alice <{ALICE}>", subject="Re: widgets",
                          body=f"#record {record.id}\n#status done\n")  # fmt: skip
    raw = f"Authentication-Results: {genuine}\r\n".encode() + raw.replace(
        b"From:", f"Authentication-Results: {forged}\r\nFrom:".encode(), 1
    )
    with cycle(settings, raw, dovecot=dovecot, user=mailbox_user) as store:
        after = store.prospect(record.id)
        [logged] = [m for m in store.messages() if m.sender == ALICE]
    assert after is not None and after.status == record.status  # the command was not obeyed
    # our server's genuine header (the topmost) says DMARC fail: a forged sender, listed as spam
    assert logged.kind == "spam" and "dmarc=fail" in logged.reason


def test_a_spoofed_agent_answer_fakes_no_sla(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    first = mailgen.inquiry(message_id="<inq-1@example.org>")
    with cycle(settings, first, dovecot=dovecot, user=mailbox_user) as store:
        [before] = store.prospects()
    spoof = mailgen.inquiry(
        sender=f"Alice <{ALICE}>", to=JANE, subject="Re: widgets", body="Here is our price.",
        headers={"Cc": settings.mailbox.address, "In-Reply-To": "<inq-1@example.org>"},
    )  # fmt: skip
    with cycle(settings, spoof, dovecot=dovecot, user=mailbox_user) as store:
        [after] = store.prospects()
        [logged] = [m for m in store.messages() if m.unverified]
    assert (after.status, after.first_response_at, after.information_sent_at) == (
        before.status, None, None,
    )  # fmt: skip
    assert after.timeline[-1].kind == "unverified_agent_reply"
    assert logged.kind == "agent_reply" and logged.reason.startswith("unverified: ")


def test_a_strangers_x_failed_recipients_suppresses_nobody(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    with cycle(settings, mailgen.inquiry(), dovecot=dovecot, user=mailbox_user) as store:
        pass
    fake = mailgen.inquiry(sender="Eve <eve@example.net>", subject="Mail delivery failed",
                           headers={"X-Failed-Recipients": JANE})  # fmt: skip
    with cycle(settings, fake, dovecot=dovecot, user=mailbox_user) as store:
        assert not store.is_suppressed(JANE)
        assert [m.kind for m in store.messages() if m.sender == "eve@example.net"] == ["bounce"]


def test_one_inquiry_through_an_alias_is_one_message(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> None:
    raw = mailgen.inquiry(message_id="<alias-1@example.org>")
    copies = [f"Delivered-To: {to}\r\nReceived: by mx.example.com for <{to}>\r\n".encode() + raw
              for to in (settings.mailbox.address, "info@example.com")]  # fmt: skip
    with cycle(settings, *copies, dovecot=dovecot, user=mailbox_user) as store:
        assert len(store.prospects()) == 1 and len(store.messages()) == 1
    kinds = [str(r.message()["Subject"]) for r in smtp_server.received]
    assert len(acks(smtp_server.received)) == 1
    assert not [k for k in kinds if "replied" in k], kinds  # no false "Jane replied"


def test_no_body_in_the_log_at_vv_and_none_in_the_store(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    body = f"Hi,\n\nDo you ship the blue widget to Cape Town?\n\n{PLANTED}\n\nJane\n"
    dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(body=body))
    config = write_config(tmp_path, mailbox_user, smtp_server)  # keep_bodies = false (default)
    done = cli(config, mailbox_user, "-vv", "poll")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "INFO inbox_agent.poller" in done.stderr  # the log was written
    assert "PLANTED-LINE" not in done.stderr + done.stdout
    assert "BODY[]" not in done.stderr and "imapclient" not in done.stderr  # no IMAP trace
    assert "Cape Town" not in done.stderr  # not even the question: logs name ids and decisions
    stored = "".join(p.read_text("latin-1") for p in (tmp_path / "data").iterdir() if p.is_file())
    assert "PLANTED-LINE" not in stored and "4111 1111" not in stored
    assert "Cape Town" in stored  # the record's one-line question is kept: the store was read
    received = [
        email.message_from_bytes(r.data, policy=policy.default) for r in smtp_server.received
    ]
    assert len(received) == 2 and all(PLANTED not in r.as_string() for r in received)
