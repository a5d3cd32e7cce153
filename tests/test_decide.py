"""``plan.inbound.decide``: every rule about one incoming message, as data in and data out.

Each case is a message (made by ``mailgen`` or by hand, read by the real parser) and a frozen
``Context`` written out by hand — no store, no mailbox — and the ``Decision`` it must give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypedDict, Unpack

import pytest

from inbox_agent.config import Settings
from inbox_agent.mail.classify import Kind
from inbox_agent.mail.reading import Reading, read_message
from inbox_agent.mail.spam import SpamScore
from inbox_agent.plan.context import Context, wanted
from inbox_agent.plan.inbound import LAST_ASSIGNED, Decision, InboundRules, decide
from inbox_agent.records.prospect import Direction, Event, Prospect, Status
from inbox_agent.rules import inbound_rules
from inbox_agent.sending.actions import Acknowledge, Confirm, Notify, NotifyReason
from tests import mailgen

NOW = datetime(2026, 11, 20, 9, 0, 5, tzinfo=UTC)
JANE, ALICE, SALES = "jane@example.org", "alice@example.com", "sales@example.com"
TRUSTED = (
    "mx.example.com; dkim=pass header.d=example.com header.i=@example.com; "
    "dmarc=pass header.from=example.com"
)


@pytest.fixture
def rules(settings: Settings) -> InboundRules:
    return inbound_rules(settings)


def read(raw: bytes, rules: InboundRules) -> Reading:
    return read_message(raw, rules.reading)


BASE = Context(folder="INBOX", uid=7, arrived=NOW, now=NOW)
_HOUR_AGO = NOW - timedelta(hours=1)
JANE_RECORD = Prospect(
    id=1, email=JANE, created_at=_HOUR_AGO, name="Jane", status=Status.CALL, assigned_to=ALICE,
    acknowledged_at=_HOUR_AGO, message_ids=("inq-1@example.org",),
    timeline=(Event(_HOUR_AGO, Direction.IN, "inquiry", "inq-1@example.org"),),
)  # fmt: skip


class Fields(TypedDict, total=False):
    """Context fields a case sets (mappings as given: a test's dicts are frozen enough)."""

    arrived: datetime
    in_sent_folder: bool
    seen: bool
    by_message_id: Mapping[str, Prospect]
    by_id: Mapping[int, Prospect]
    open_by_email: Mapping[str, Prospect]
    mail_times: Mapping[str, tuple[datetime, ...]]
    suppressed: frozenset[str]
    last_assigned: str | None
    next_id: int
    same_content: bool
    domain_times: Mapping[str, tuple[datetime, ...]]
    mailbox_times: tuple[datetime, ...]
    spam: SpamScore | None


def context(**kw: Unpack[Fields]) -> Context:
    return replace(BASE, **kw)


def jane() -> Prospect:
    """Jane's open record, acknowledged and assigned to Alice."""
    return JANE_RECORD


def staff_mail(body: str, *, sender: str = f"Alice <{ALICE}>", to: str = SALES,
               auth: str | None = TRUSTED, refs: str = "<inq-1@example.org>") -> bytes:  # fmt: skip
    headers = {"In-Reply-To": refs, "References": refs}
    if auth:
        headers["Authentication-Results"] = auth
    return mailgen.inquiry(sender=sender, to=to, subject="Re: your widgets", body=body,
                           headers=headers)  # fmt: skip


def mailed(d: Decision) -> list[object]:
    return list(d.outbox)


def test_a_new_inquiry_makes_a_record_acknowledges_and_notifies(rules: InboundRules) -> None:
    d = decide(read(mailgen.inquiry(), rules), context(next_id=12), rules)
    assert d.kind == Kind.INQUIRY and d.created
    [record] = d.records
    assert record.id == 12 and record.email == JANE and record.assigned_to == ALICE
    assert [e.kind for e in record.timeline] == ["inquiry", "assigned"]
    assert record.phone == "+27825550123"
    ack, note = d.outbox
    assert ack == Acknowledge(12, JANE)
    assert isinstance(note, Notify) and note.reason == NotifyReason.NEW_PROSPECT
    assert note.recipient == ALICE and "Cape Town" in note.words
    assert d.state == ((LAST_ASSIGNED, ALICE),)
    assert d.logged is not None and d.logged.prospect_id == 12 and d.logged.kind == Kind.INQUIRY


def test_a_message_seen_before_does_nothing(rules: InboundRules) -> None:
    d = decide(read(mailgen.inquiry(), rules), context(seen=True), rules)
    assert d.logged is None and not d.records and not d.outbox


def test_the_same_person_writing_again_joins_her_record(rules: InboundRules) -> None:
    raw = mailgen.inquiry(subject="One more thing", body="Do you sell red ones too?")
    d = decide(read(raw, rules), context(open_by_email={JANE: jane()}), rules)
    assert d.kind == Kind.PROSPECT_REPLY and not d.created
    [record] = d.records
    assert record.id == 1 and record.last_inbound_at == NOW
    assert record.timeline[-1].kind == Kind.PROSPECT_REPLY
    [note] = d.outbox  # already acknowledged: only Alice hears of it
    assert isinstance(note, Notify) and note.reason == NotifyReason.REPLIED
    assert note.in_reply_to and note.key.startswith("1:reply:")


def test_a_reply_threads_by_references_before_the_sender(rules: InboundRules) -> None:
    raw = mailgen.inquiry(
        sender="Jane <jane.other@example.org>", body="Sorry, my other address: yes please",
        headers={"In-Reply-To": "<inq-1@example.org>", "References": "<inq-1@example.org>"},
    )  # fmt: skip
    keys = wanted(read(raw, rules))
    assert keys.message_ids == ("inq-1@example.org",)
    d = decide(read(raw, rules), context(by_message_id={"inq-1@example.org": jane()}), rules)
    # a stranger to the record (another address) replying on its thread: a new inquiry of theirs
    assert d.kind == Kind.INQUIRY and d.created and d.records[0].email == "jane.other@example.org"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [(mailgen.bounce(), Kind.BOUNCE), (mailgen.mailing_list(), Kind.LIST),
     (mailgen.out_of_office(), Kind.AUTO_REPLY)],
)  # fmt: skip
def test_robots_make_no_record_and_get_no_mail(raw: bytes, kind: Kind, rules: InboundRules) -> None:
    d = decide(read(raw, rules), context(), rules)
    assert d.kind == kind and not d.records and not d.outbox and d.logged is not None


def test_an_out_of_office_from_the_prospect_is_kept_and_counts_for_nothing(
    rules: InboundRules,
) -> None:
    raw = mailgen.inquiry(subject="Automatic reply: Re: your widgets", body="Away until Monday",
                          headers={"Auto-Submitted": "auto-replied"})  # fmt: skip
    d = decide(read(raw, rules), context(open_by_email={JANE: jane()}), rules)
    [record] = d.records
    assert d.kind == Kind.AUTO_REPLY and not d.outbox
    assert record.timeline[-1].kind == Kind.AUTO_REPLY and record.last_inbound_at is None


OUR_ACK = "<ia.1.ack.0123456789abcdef@example.com>"


def test_a_bounce_suppresses_only_an_address_we_mailed(rules: InboundRules) -> None:
    reading = read(mailgen.bounce(returned_id=OUR_ACK), rules)  # x@example.net failed
    assert decide(reading, context(), rules).suppress == ()
    d = decide(reading, context(mail_times={"x@example.net": (NOW,)}), rules)
    [s] = d.suppress
    assert s.email == "x@example.net" and s.reason.startswith("bounce ")


@pytest.mark.parametrize(
    "raw",
    [
        mailgen.bounce(),  # a DSN that returns no mail of ours
        mailgen.bounce(returned_id="<someone-else@example.org>"),
        mailgen.inquiry(
            sender="Eve <eve@example.net>",
            subject="Mail delivery failed",
            headers={"X-Failed-Recipients": "x@example.net"},
        ),
    ],
)
def test_a_bounce_naming_no_mail_of_ours_suppresses_nobody(raw: bytes, rules: InboundRules) -> None:
    """A stranger's X-Failed-Recipients must not put a prospect on the do-not-mail list."""
    reading = read(raw, rules)
    assert reading.kind == Kind.BOUNCE
    d = decide(reading, context(mail_times={"x@example.net": (NOW,)}), rules)
    assert d.suppress == () and any("names no mail of ours" in line for line in d.log)


@pytest.mark.parametrize(
    ("ctx", "why"),
    [
        (context(suppressed=frozenset({JANE})), "bounced our mail before"),
        (context(mail_times={JANE: tuple(NOW - timedelta(minutes=m) for m in range(5))}),
         "automatic mails in"),
        (context(arrived=NOW - timedelta(hours=80)), "left to the agent"),
    ],
)  # fmt: skip
def test_the_guards_hold_back_the_acknowledgment_not_the_record(
    ctx: Context, why: str, rules: InboundRules
) -> None:
    d = decide(read(mailgen.inquiry(), rules), ctx, rules)
    assert d.created and not any(isinstance(a, Acknowledge) for a in d.outbox)
    assert any(isinstance(a, Notify) for a in d.outbox)  # the agent still hears of it
    assert any(why in line for line in d.log)


def test_a_strangers_hash_lines_are_text_and_her_mail_a_lead(rules: InboundRules) -> None:
    raw = mailgen.inquiry(sender="Eve <eve@example.net>", body="#status done\n#assign eve")
    d = decide(read(raw, rules), context(open_by_email={JANE: jane()}, next_id=2), rules)
    [eve] = d.records  # her own new record; Jane's is not touched
    assert eve.email == "eve@example.net" and eve.status == Status.NEW and d.created
    assert [type(a).__name__ for a in d.outbox] == ["Acknowledge", "Notify"]  # no Confirm
    assert not any(e.kind in ("command", "note") for e in eve.timeline)


@pytest.mark.parametrize(
    "body",
    ["#lost my old supplier last month, need 200 widgets quoted", "#Note: please call after 5pm"],
)
def test_a_lead_whose_text_starts_with_a_hash_is_a_lead(body: str, rules: InboundRules) -> None:
    d = decide(read(mailgen.inquiry(sender="Kim <kim@example.net>", body=body), rules),
               context(), rules)  # fmt: skip
    assert d.created and d.records[0].email == "kim@example.net"
    assert any(isinstance(a, Acknowledge) for a in d.outbox)


def test_a_prospects_reply_with_hash_status_done_is_in_the_timeline_and_told(
    rules: InboundRules,
) -> None:
    raw = mailgen.inquiry(subject="Re: widgets", body="#status done? What does that mean?")
    d = decide(read(raw, rules), context(open_by_email={JANE: jane()}), rules)
    [record] = d.records
    assert d.kind == Kind.PROSPECT_REPLY and record.status == Status.CALL
    assert record.timeline[-1].summary.startswith("#status done?")
    assert any(isinstance(a, Notify) and a.reason == NotifyReason.REPLIED for a in d.outbox)


def test_an_agents_answer_to_the_prospect_is_information_sent(rules: InboundRules) -> None:
    raw = staff_mail("Hi Jane, the W-100 costs 120 EUR.", to=JANE)  # verified like a command
    raw = raw.replace(b"To: jane@example.org", b"To: jane@example.org\nCc: sales@example.com")
    d = decide(read(raw, rules), context(by_message_id={"inq-1@example.org": jane()}), rules)
    [record] = d.records
    assert d.kind == Kind.AGENT_REPLY and not d.outbox
    assert record.status == Status.EMAIL and record.first_response_at == NOW
    answer = next(e for e in record.timeline if e.kind == Kind.AGENT_REPLY)
    assert record.information_sent_at == NOW and answer.direction == Direction.OUT


def test_trusted_staff_commands_are_applied_and_confirmed(rules: InboundRules) -> None:
    raw = staff_mail("#note called, wants 40 units\n#status email")
    d = decide(read(raw, rules), context(by_message_id={"inq-1@example.org": jane()}), rules)
    [record] = d.records
    assert record.status == Status.EMAIL
    assert any(e.kind == "note" and "wants 40 units" in e.summary for e in record.timeline)
    [confirm] = d.outbox
    assert isinstance(confirm, Confirm) and confirm.recipient == ALICE
    assert confirm.applied == ("#note called, wants 40 units", "#status email")


def test_untrusted_staff_commands_change_nothing(rules: InboundRules) -> None:
    raw = staff_mail("#status done", auth="mx.evil.example; dkim=pass header.d=example.com")
    d = decide(read(raw, rules), context(by_message_id={"inq-1@example.org": jane()}), rules)
    assert not d.records and not d.outbox
    assert d.logged is not None and "no Authentication-Results from mx.example.com" in (
        d.logged.reason
    )


def test_commands_sent_as_the_shared_address_count_when_they_sit_in_sent(
    rules: InboundRules,
) -> None:
    """The bug this reshape found: the Sent folder's trust never reached the decision."""
    raw = staff_mail("#note Jane called back\n#status email", sender=f"Sales <{SALES}>",
                     to=ALICE, auth=None)  # fmt: skip
    known = {"inq-1@example.org": jane()}
    spoofed = decide(read(raw, rules), context(by_message_id=known), rules)
    assert not spoofed.records  # From sales@ in the INBOX: anyone can write that line
    sent = decide(read(raw, rules), context(by_message_id=known, in_sent_folder=True), rules)
    [record] = sent.records
    assert record.status == Status.EMAIL
    assert [e.summary for e in record.timeline if e.kind in ("note", "command")] == [
        f"{SALES}: #note Jane called back", f"{SALES}: #status email",
    ]  # fmt: skip
    assert not sent.outbox  # nothing is mailed about what we sent ourselves


def test_record_command_picks_the_record(rules: InboundRules) -> None:
    raw = staff_mail("#record 1\n#lost too expensive", refs="<unrelated@example.org>")
    keys = wanted(read(raw, rules))
    assert 1 in keys.record_ids
    d = decide(read(raw, rules), context(by_id={1: jane()}), rules)
    [record] = d.records
    assert record.status == Status.DONE and record.lost_reason == "too expensive"
    missing = decide(read(raw, rules), context(), rules)
    assert not missing.records and missing.logged is not None
    assert missing.logged.reason.startswith("no record")


def test_round_robin_follows_the_last_assigned(settings: Settings) -> None:
    from inbox_agent.records.assignment import Agent

    bob = Agent("Bob", "bob@example.com")
    two = replace(inbound_rules(settings), agents=(*settings.agents, bob))
    first = decide(read(mailgen.inquiry(), two), context(last_assigned=ALICE), two)
    assert first.records[0].assigned_to == "bob@example.com"
    second = decide(read(mailgen.inquiry(), two), context(last_assigned=bob.email), two)
    assert second.records[0].assigned_to == ALICE
