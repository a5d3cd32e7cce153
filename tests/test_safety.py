"""The safety rules of ``decide`` (docs/SECURITY.md), as data in and data out: who may be
mailed, when not, and what a stranger cannot make us do."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from inbox_agent.config import Settings
from inbox_agent.mail.classify import Kind
from inbox_agent.mail.named import NAMED_KEY
from inbox_agent.mail.spam import SpamScore
from inbox_agent.plan.inbound import InboundRules, decide
from inbox_agent.plan.staff import UNVERIFIED
from inbox_agent.records.prospect import Direction, Event, Prospect, Status
from inbox_agent.rules import inbound_rules
from inbox_agent.sending import actions
from inbox_agent.sending.actions import Acknowledge, CapNotice, Notify
from tests import mailgen
from tests.test_decide import ALICE, JANE, NOW, context, jane, read

VICTIM = "victim@example.net"
FORM_BODY = f"Name: Vic Tim\nEmail: {VICTIM}\nMessage: Your invoice: http://phish.example/x\n"
OURS = "mx.example.com"  # the shipped rules.toml's authserv_ids


@pytest.fixture
def rules(settings: Settings) -> InboundRules:
    return inbound_rules(settings)


def recipients(d: object) -> set[str]:
    return {a.recipient for a in getattr(d, "outbox", ())}


def test_a_strangers_form_like_mail_is_their_own_inquiry(rules: InboundRules) -> None:
    raw = mailgen.inquiry(sender="Mallory <mallory@example.org>", body=FORM_BODY)
    reading = read(raw, rules)
    assert reading.source.robot and not reading.source.known_sender  # the catch-all rule fired
    d = decide(reading, context(), rules)
    [record] = d.records
    assert record.email == "mallory@example.org" and VICTIM in record.attention
    assert VICTIM not in recipients(d)
    assert not any(isinstance(a, Acknowledge) for a in d.outbox)  # an unknown robot: nobody
    assert reading.contact is not None and reading.contact.fields[NAMED_KEY] == VICTIM


def test_a_known_sites_form_names_the_visitor(rules: InboundRules) -> None:
    d = decide(read(mailgen.form_notification(), rules), context(), rules)
    assert Acknowledge(1, "sam@example.net") in d.outbox


def test_a_known_sender_our_server_does_not_vouch_for_names_nobody(rules: InboundRules) -> None:
    forged = mailgen.form_notification().replace(
        b"From: WordPress",
        f"Authentication-Results: {OURS}; spf=none; dkim=none\nFrom: WordPress".encode(),
    )
    reading = read(forged, rules)
    assert reading.source.known_sender and reading.action == "none"
    assert "not verified by mx.example.com" in reading.action_reason
    d = decide(reading, context(), rules)
    assert "sam@example.net" not in recipients(d)
    vouched = forged.replace(b"dkim=none", b"dkim=pass header.d=example.com")
    assert (
        Acknowledge(1, "sam@example.net") in decide(read(vouched, rules), context(), rules).outbox
    )


def test_a_machine_we_do_not_know_names_a_person_nobody_is_mailed(rules: InboundRules) -> None:
    raw = mailgen.inquiry(sender="Forms <submissions@forms.example>", body=FORM_BODY)
    d = decide(read(raw, rules), context(), rules)
    [record] = d.records
    assert record.email == VICTIM and "rules do not know" in record.attention
    assert VICTIM not in recipients(d)
    [note] = d.outbox
    assert isinstance(note, Notify) and note.recipient == ALICE


def test_reply_to_someone_else_from_a_person_answers_the_sender(rules: InboundRules) -> None:
    """Anyone can write a Reply-To: answering it would mail whoever the sender chose."""
    raw = mailgen.inquiry(sender="Jane <jane@example.org>", headers={"Reply-To": VICTIM})
    d = decide(read(raw, rules), context(), rules)
    assert d.records[0].email == JANE and Acknowledge(1, JANE) in d.outbox
    assert VICTIM not in recipients(d)


def test_an_out_of_office_with_a_form_body_is_no_inquiry(rules: InboundRules) -> None:
    raw = mailgen.inquiry(sender="Bob <bob@example.com>", subject="Automatic reply: hello",
                          body=FORM_BODY, headers={"Auto-Submitted": "auto-replied"})  # fmt: skip
    d = decide(read(raw, rules), context(), rules)
    assert d.kind == Kind.AUTO_REPLY and not d.records and not d.outbox


def test_the_domain_cap_holds_back_and_tells_the_agent_and_supervisors(
    rules: InboundRules,
) -> None:
    ten = tuple(NOW - timedelta(minutes=m) for m in range(10))
    raw = mailgen.inquiry(sender="support+t11@helpdesk.example")
    d = decide(read(raw, rules), context(domain_times={"helpdesk.example": ten}), rules)
    assert not any(isinstance(a, Acknowledge) for a in d.outbox)
    notices = [a for a in d.outbox if isinstance(a, CapNotice)]
    assert {n.recipient for n in notices} == {ALICE, "owner@example.com"}
    assert {n.scope for n in notices} == {"domain"}
    assert len({n.key for n in notices}) == 2  # once per person and hour: the key says so
    for notice in notices:
        assert actions.from_dict(actions.to_dict(notice)) == notice
    again = decide(read(raw, rules), context(domain_times={"helpdesk.example": ten}), rules)
    assert {a.key for a in again.outbox if isinstance(a, CapNotice)} == {n.key for n in notices}


def test_the_mailbox_cap(rules: InboundRules) -> None:
    sixty = tuple(NOW - timedelta(seconds=s) for s in range(100))
    d = decide(read(mailgen.inquiry(), rules), context(mailbox_times=sixty), rules)
    assert not any(isinstance(a, Acknowledge) for a in d.outbox)
    assert any(isinstance(a, CapNotice) and a.scope == "mailbox" for a in d.outbox)


ACK_ID = "ia.1.ack.0123456789abcdef@example.com"


def sent_ack(seconds_ago: float) -> Prospect:
    at = NOW - timedelta(seconds=seconds_ago)
    event = Event(at, Direction.OUT, "acknowledgment", ACK_ID)
    return replace(jane(), message_ids=(*jane().message_ids, ACK_ID),
                   timeline=(*jane().timeline, event))  # fmt: skip


def helpdesk_answer(sender: str = "support+t2@helpdesk.example") -> bytes:
    refs = {"In-Reply-To": f"<{ACK_ID}>", "References": f"<{ACK_ID}>"}
    return mailgen.inquiry(
        sender=sender, subject="Re: Question about your widgets", body="Thanks.", headers=refs
    )


def test_an_answer_to_our_mail_within_seconds_is_a_robots(rules: InboundRules) -> None:
    d = decide(read(helpdesk_answer(), rules), context(by_message_id={ACK_ID: sent_ack(3)}), rules)
    assert d.kind == Kind.AUTO_REPLY and not d.outbox and not d.records
    assert d.logged is not None and "within 3 s" in d.logged.reason


def test_a_reply_to_our_mail_from_an_address_we_never_wrote_to(rules: InboundRules) -> None:
    ctx = context(by_message_id={ACK_ID: sent_ack(600)})
    d = decide(read(helpdesk_answer(), rules), ctx, rules)
    assert d.kind == Kind.INQUIRY and d.created  # recorded for a person to look at
    assert not any(isinstance(a, Acknowledge) for a in d.outbox)
    assert any("never wrote to" in line for line in d.log)
    # even when the record it answers is gone (forgotten): still never acknowledged
    gone = decide(read(helpdesk_answer(), rules), context(), rules)
    assert not any(isinstance(a, Acknowledge) for a in gone.outbox)


def test_no_acknowledgment_once_an_agent_answered(rules: InboundRules) -> None:
    """A backlog inquiry (never acknowledged) that an agent answered: the prospect replies."""
    answered = replace(jane(), acknowledged_at=None, status=Status.EMAIL, first_response_at=NOW)
    raw = mailgen.inquiry(subject="Re: widgets", body="Great, thanks!")
    d = decide(read(raw, rules), context(open_by_email={JANE: answered}), rules)
    assert d.kind == Kind.PROSPECT_REPLY
    assert not any(isinstance(a, Acknowledge) for a in d.outbox)


def test_one_message_through_two_addresses_is_one(rules: InboundRules) -> None:
    d = decide(read(mailgen.inquiry(), rules), context(same_content=True), rules)
    assert d.logged is None and not d.outbox and not d.records


def test_a_spoofed_agent_answer_moves_nothing(rules: InboundRules) -> None:
    raw = mailgen.inquiry(sender=f"Alice <{ALICE}>", to=JANE, subject="Re: widgets",
                          body="Hi Jane, here is the price list.",
                          headers={"Cc": "sales@example.com",
                                   "In-Reply-To": "<inq-1@example.org>"})  # fmt: skip
    d = decide(read(raw, rules), context(by_message_id={"inq-1@example.org": jane()}), rules)
    [record] = d.records
    assert record.status == jane().status and record.first_response_at is None
    assert record.information_sent_at is None
    assert record.timeline[-1].kind == UNVERIFIED
    assert d.logged is not None and d.logged.unverified and d.logged.kind == Kind.AGENT_REPLY
    assert d.logged.reason.startswith("unverified: no Authentication-Results")


def test_a_spam_verdict_stops_an_inquiry_but_never_a_prospects_reply(rules: InboundRules) -> None:
    score = SpamScore(True, 7.5, 5.0, ("HEADER_FROM_DIFFERENT_DOMAINS",))
    d = decide(read(mailgen.inquiry(), rules), context(spam=score), rules)
    assert d.kind == Kind.SPAM and not d.records and not d.outbox
    assert d.logged is not None and d.logged.sender == JANE and d.logged.subject
    reply = mailgen.inquiry(subject="Re: widgets", body="Yes, 40 please.")
    d = decide(read(reply, rules), context(spam=score, open_by_email={JANE: jane()}), rules)
    assert d.kind == Kind.PROSPECT_REPLY


PLANTED = "My card is 4111 1111 1111 1111, expiry 12/29"


def test_keep_bodies_false_keeps_the_prospects_words_out_of_the_outbox(
    rules: InboundRules,
) -> None:
    body = f"Hi,\n\nDo you ship the blue widget to Cape Town?\n\n{PLANTED}\n\nJane\n"
    d = decide(read(mailgen.inquiry(body=body), rules), context(), rules)
    [record] = d.records
    note = next(a for a in d.outbox if isinstance(a, Notify))
    assert note.words == record.question and PLANTED not in str(actions.to_dict(note))
    kept = replace(rules, keep_bodies=True)
    note = next(a for a in decide(read(mailgen.inquiry(body=body), kept), context(), kept).outbox
                if isinstance(a, Notify))  # fmt: skip
    assert PLANTED in note.words
