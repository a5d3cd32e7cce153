"""Conversations on real servers: replies from real clients' shapes thread to the right record,
agents answering from their own mail client are understood, no reply creates a prospect."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from inbox_agent.config import Settings, load_settings
from inbox_agent.records.prospect import Event, Prospect
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from tests import mailgen
from tests.harness import Dovecot, MailboxUser, Received, SmtpReceiver
from tests.realconfig import PASSWORD_ENV, write_config

JANE = "jane@example.org"
MESSAGE_KINDS = ("inquiry", "prospect_reply", "agent_reply", "auto_reply", "acknowledgment")
ALICE = "alice@example.com"  # the configured agent


@pytest.fixture
def settings(
    mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:  # fmt: skip
    monkeypatch.setenv(PASSWORD_ENV, mailbox_user.password)
    return load_settings(write_config(tmp_path, mailbox_user, smtp_server))


class World:
    """The shared mailbox, its store and agent, the SMTP receiver: one conversation's stage."""

    def __init__(self, dovecot: Dovecot, user: MailboxUser, smtp: SmtpReceiver, settings: Settings):
        self.dovecot, self.user, self.smtp, self.settings = dovecot, user, smtp, settings
        self.store = Store.open(settings.store.path)
        self.agent = Runner(settings, self.store)

    @property
    def sales(self) -> str:
        return self.settings.mailbox.address

    def deliver(self, raw: bytes, folder: str = "INBOX", *, later: float = 0) -> None:
        """APPEND and run a cycle; ``later``: the server received it that many seconds from now
        (its INTERNALDATE), e.g. a person answering minutes after our acknowledgment."""
        when = datetime.now(UTC) + timedelta(seconds=later) if later else None
        self.dovecot.append(self.user.user, folder, raw, msg_time=when)
        self.agent.cycle()

    def inquiry(self) -> tuple[Prospect, EmailMessage]:
        """Jane asks; the acknowledgment goes out; returns her record and the ack as sent."""
        self.deliver(mailgen.inquiry(to=self.sales, message_id="<inq-1@mail.example.org>"))
        [record] = self.store.prospects()
        ack = self.smtp.received[-1].message()
        return record, ack

    def record(self) -> Prospect:
        [record] = [p for p in self.store.prospects() if p.email == JANE]
        return record

    def close(self) -> None:
        self.agent.close()
        self.store.close()


@pytest.fixture
def world(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, settings: Settings
) -> Iterator[World]:
    w = World(dovecot, mailbox_user, smtp_server, settings)
    yield w
    w.close()


def last_message(record: Prospect) -> Event:
    """The record's latest message in or out (not notes, status moves or notifications)."""
    return [e for e in record.timeline if e.kind in MESSAGE_KINDS][-1]


def acks(world: World) -> list[Received]:
    """Mail to prospects (the agent's notifications left out)."""
    return [r for r in world.smtp.received if r.message()["Auto-Submitted"] == "auto-replied"]


def reply(
    to_message: EmailMessage, *, sender: str, to: str, body: str, subject: str | None = None,
    cc: str = "", thread: bool = True, headers: dict[str, str] | None = None,
) -> bytes:  # fmt: skip
    """A reply as a mail client writes it: quoting the original below the new text."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject or f"Re: {to_message['Subject']}".replace("Re: Re: ", "Re: ")
    msg["Date"] = "Fri, 20 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = make_msgid(domain="mail.example.org")
    if thread:
        msg["In-Reply-To"] = str(to_message["Message-ID"])
        msg["References"] = " ".join(
            x for x in (str(to_message.get("References", "")), str(to_message["Message-ID"])) if x
        )
    for k, v in (headers or {}).items():
        msg[k] = v
    original = mailgen.plain_text(to_message)
    quoted = "\n".join(f"> {line}" for line in original.splitlines())
    msg.set_content(f"{body}\n\nOn Fri, 20 Nov 2026 at 09:00, Acme wrote:\n{quoted}\n")
    return msg.as_bytes()


def test_gmail_reply_threads_by_references(world: World) -> None:
    _, ack = world.inquiry()
    world.deliver(reply(ack, sender=f"Jane Doe <{JANE}>", to=world.sales,
                        body="Yes please, call me after 3pm."))  # fmt: skip
    updated = world.record()
    assert len(world.store.prospects()) == 1
    assert last_message(updated).kind == "prospect_reply"
    assert last_message(updated).summary.startswith("Yes please, call me after 3pm")
    assert "wrote" not in last_message(updated).summary
    assert updated.last_inbound_at is not None and len(acks(world)) == 1
    told = [r for r in world.smtp.received if r.rcpt_tos == (ALICE,)]
    assert [r.message()["Subject"] for r in told][-1].endswith(
        "Jane Doe replied (Product information, Email)"  # no [labels] here: the names
    )


def test_outlook_reply_without_references_and_edited_subject(world: World) -> None:
    _, ack = world.inquiry()
    body = mailgen.plain_text(ack)
    msg = EmailMessage()
    msg["From"] = f"Jane Doe <{JANE}>"
    msg["To"] = world.sales
    msg["Subject"] = "RE: blue widgets - revised quantities"
    msg["Thread-Index"] = "AdnKx0mP3q1y2z8bQk2vQ1c3d4e5fg=="
    msg["Thread-Topic"] = "blue widgets - revised quantities"
    msg["Message-ID"] = "<AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.outlook.com>"
    msg.set_content(
        "We now need 60 units instead.\n\n"
        "________________________________\nFrom: Acme Widgets Sales <sales@example.com>\n"
        "Sent: Friday, November 20, 2026 9:00 AM\nTo: Jane Doe\nSubject: Re: Question\n\n" + body
    )
    world.deliver(msg.as_bytes())
    updated = world.record()
    assert len(world.store.prospects()) == 1
    assert last_message(updated).kind == "prospect_reply"
    assert "60 units" in last_message(updated).summary


def test_apple_mail_reply_after_provider_rewrote_our_message_id(world: World) -> None:
    """Amazon SES-style: the acknowledgment reached Jane with a different Message-ID, so her
    reply references an id we never saw; our IA- reference in the quote still threads it."""
    _, ack = world.inquiry()
    rewritten = EmailMessage()
    for k in ("From", "To", "Subject", "Date", "In-Reply-To", "References"):
        rewritten[k] = ack[k]
    rewritten["Message-ID"] = "<0100018c-rewritten@email.amazonses.com>"
    rewritten.set_content(mailgen.plain_text(ack))
    raw = reply(
        rewritten,
        sender=f"Jane Doe <{JANE}>",
        to=world.sales,
        body="Thanks! Sent from my iPhone",
        headers={"X-Mailer": "iPhone Mail (21A329)"},
    )
    world.deliver(raw)  # fmt: skip
    updated = world.record()
    assert len(world.store.prospects()) == 1 and last_message(updated).kind == "prospect_reply"


# What mx.example.com, our receiving server, writes on an agent's mail it verified: an agent's
# answer is believed only with it (or from the Sent folder), like a command.
VERIFIED = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}


def test_agent_answers_from_own_address_with_sales_in_cc(steered: World) -> None:
    world = steered
    world.inquiry()
    inquiry = email.message_from_bytes(
        mailgen.inquiry(to=world.sales, message_id="<inq-1@mail.example.org>"),
        policy=policy.default,
    )
    assert isinstance(inquiry, EmailMessage)
    answer = "Hi Jane, yes we ship to Cape Town: price list attached."
    agent_raw = reply(
        inquiry, sender=f"Alice <{ALICE}>", to=JANE, cc=world.sales, body=answer, headers=VERIFIED
    )
    world.deliver(agent_raw)
    updated = world.record()
    assert len(world.store.prospects()) == 1
    assert updated.first_response_at is not None and updated.information_sent_at is not None
    assert updated.status == "email" and updated.assigned_to == ALICE
    assert last_message(updated).kind == "agent_reply" and last_message(updated).direction == "out"
    assert [r.rcpt_tos for r in acks(world)] == [(JANE,)]  # never an acknowledgment to the agent
    # Jane answers the agent: she has engaged, lead -> prospect
    agent_mail = email.message_from_bytes(agent_raw, policy=policy.default)
    assert isinstance(agent_mail, EmailMessage)
    world.deliver(
        reply(agent_mail, sender=JANE, to=ALICE, cc=world.sales, body="Great, 40 please.")
    )
    assert world.record().stage == "prospect"


def test_agent_sending_as_the_shared_address_is_read_from_sent(world: World) -> None:
    world.inquiry()
    msg = EmailMessage()
    msg["From"] = f"Acme Widgets Sales <{world.sales}>"
    msg["To"] = f"Jane Doe <{JANE}>"
    msg["Subject"] = "Re: Question about your widgets"
    msg["In-Reply-To"] = "<inq-1@mail.example.org>"
    msg["References"] = "<inq-1@mail.example.org>"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content("Hello Jane, here are our prices for the blue widget.")
    world.deliver(msg.as_bytes(), folder="Sent")
    updated = world.record()
    assert updated.information_sent_at is not None and updated.status == "email"
    assert last_message(updated).kind == "agent_reply"
    assert len(world.store.prospects()) == 1 and len(acks(world)) == 1


def test_new_person_on_an_old_subject_is_a_new_record(world: World) -> None:
    _, ack = world.inquiry()
    world.deliver(
        reply(
            ack,
            sender="Bob Colleague <bob@example.org>",
            to=world.sales,
            body="I work with Jane; we also need red widgets.",
        ),
        later=300,
    )  # a person, minutes later (an answer within seconds is a robot's)
    emails = sorted(p.email for p in world.store.prospects())
    assert emails == ["bob@example.org", JANE]
    assert last_message(world.record()).kind != "prospect_reply"


def test_out_of_office_from_the_prospect_counts_for_nothing(world: World) -> None:
    record, ack = world.inquiry()
    ooo = reply(
        ack,
        sender=JANE,
        to=world.sales,
        body="I am out of the office.",
        subject="Automatic reply: Question",
        headers={"Auto-Submitted": "auto-replied"},
    )
    world.deliver(ooo)  # fmt: skip
    updated = world.record()
    assert last_message(updated).kind == "auto_reply"
    assert updated.last_inbound_at == record.last_inbound_at and updated.stage == "lead"
    assert len(acks(world)) == 1


TRUSTED_AR = (
    "mx.example.com; dkim=pass (2048-bit key) header.d=example.com header.i=@example.com "
    "header.s=s1; spf=pass smtp.mailfrom=example.com; dmarc=pass (p=REJECT) header.from=example.com"
)


@pytest.fixture
def steered(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:  # fmt: skip
    """A world whose mail server is mx.example.com (the authserv-id commands trust)."""
    monkeypatch.setenv(PASSWORD_ENV, mailbox_user.password)
    extra = '[commands]\nauthserv_ids = ["mx.example.com"]\nowners = ["owner@example.com"]\n'
    settings = load_settings(write_config(tmp_path, mailbox_user, smtp_server, extra=extra))
    w = World(dovecot, mailbox_user, smtp_server, settings)
    yield w
    w.close()


def notification(world: World) -> EmailMessage:
    [note] = [r.message() for r in world.smtp.received if r.rcpt_tos == (ALICE,)][:1]
    return note


def command(world: World, sender: str, lines: str, auth: str | None = TRUSTED_AR) -> bytes:
    headers = {"Authentication-Results": auth} if auth else {}
    return reply(notification(world), sender=sender, to=world.sales, body=lines, headers=headers)


def test_agent_works_a_prospect_from_start_to_done_by_mail_only(steered: World) -> None:
    world = steered
    world.inquiry()
    note = notification(world)
    assert note["Reply-To"] == world.sales and "tel:+27825550123" in mailgen.plain_text(note)
    # 1. the agent clicks "Answer": a mail to Jane with sales@ in Cc, threaded to her inquiry
    body = mailgen.plain_text(note)
    link = next(line for line in body.splitlines() if line.startswith("mailto:"))
    assert (
        link.startswith(f"mailto:{JANE}?cc=")
        and "in-reply-to=%3Cinq-1%40mail.example.org%3E" in link
    )
    inquiry = email.message_from_bytes(
        mailgen.inquiry(to=world.sales, message_id="<inq-1@mail.example.org>"),
        policy=policy.default,
    )
    assert isinstance(inquiry, EmailMessage)
    answer = reply(inquiry, sender=f"Alice <{ALICE}>", to=JANE, cc=world.sales,
                   body="Hi Jane, the blue widget is R120; we deliver to Cape Town.",
                   headers=VERIFIED)  # fmt: skip
    world.deliver(answer)
    assert world.record().status == "email"
    # 2. Jane answers: she is now a prospect, and Alice is told
    answered = email.message_from_bytes(answer, policy=policy.default)
    assert isinstance(answered, EmailMessage)
    world.deliver(reply(answered, sender=JANE, to=ALICE, cc=world.sales, body="Great, quote 40?"))
    assert world.record().stage == "prospect"
    # 3. Alice records the quote, then the sale, by replying to her notification
    world.deliver(command(world, ALICE, "#quote R4800 Q-1042 https://example.com/q/1042.pdf"))
    world.deliver(command(world, ALICE, "#sale R4800 INV-77\n#note paid by EFT"))
    done = world.record()
    assert done.quote is not None and done.quote.id == "Q-1042"
    assert done.sale is not None and done.sale.invoice == "INV-77"
    assert (done.status, done.stage) == ("done", "customer")
    confirmations = [r for r in world.smtp.received if r.rcpt_tos == (ALICE,)
                     and "Done:" in str(r.message()["Subject"])]  # fmt: skip
    assert len(confirmations) == 2
    assert [r.rcpt_tos for r in acks(world)] == [(JANE,)]  # the prospect never saw any of it


def test_spoofed_agent_command_is_refused(steered: World) -> None:
    world = steered
    world.inquiry()
    before = world.record()
    forged = "evil.example; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"
    world.deliver(command(world, ALICE, "#status done", auth=forged))
    world.deliver(command(world, ALICE, "#lost spam", auth=None))
    after = world.record()
    assert (after.status, after.lost_reason) == (before.status, "")
    assert not [r for r in world.smtp.received if "Done:" in str(r.message()["Subject"])]
    refused = [m for m in world.store.messages() if m.kind == "agent_reply"]
    assert len(refused) == 2 and all("mx.example.com" in m.reason for m in refused)


def test_strangers_hash_lines_change_nothing_and_her_mail_is_a_lead(steered: World) -> None:
    """A stranger's '#status done' is text: Jane's record does not move, and Eve, who wrote to
    sales@ herself, is a person asking something: recorded, never confirmed — and, since she
    answers a notification we never sent her, not acknowledged either (the loop rule)."""
    world = steered
    world.inquiry()
    before = world.record()
    sent_before = len(world.smtp.received)
    eve = command(world, "eve@example.net", "#status done\n#assign eve@example.net")
    world.deliver(eve, later=300)  # minutes later: a person (within seconds it is a robot's)
    assert world.record() == before
    to_eve = [r for r in world.smtp.received[sent_before:] if r.rcpt_tos == ("eve@example.net",)]
    assert to_eve == []  # no "Done:", and no acknowledgment of a reply to someone else's mail
    [eves] = [p for p in world.store.prospects() if p.email == "eve@example.net"]
    [logged] = [m for m in world.store.messages() if m.prospect_id == eves.id]
    assert "we never wrote to" in logged.reason, logged.reason
    assert not any(e.kind in ("command", "note") for e in eves.timeline)
