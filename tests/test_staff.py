"""``plan.staff``: what an agent's or owner's mail does, as data in and data out.

The rules mutmut found no test for, each a way a colleague's mail could change a record (or
mail a prospect) it should not: commands copied to an outsider, the words of a Reply that
named another record, internal mail taken for information sent, the Sent folder's trust.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from inbox_agent.mail.classify import Kind
from inbox_agent.plan.context import Context
from inbox_agent.plan.inbound import InboundRules, decide
from inbox_agent.plan.staff import UNVERIFIED
from inbox_agent.records.prospect import Direction, Prospect, Status
from inbox_agent.sending.actions import Confirm, MailKind, RelayAnswer
from tests.test_decide import (
    ALICE,
    BASE,
    JANE,
    JANE_RECORD,
    NOW,
    SALES,
    read,
    rules,  # noqa: F401  (the fixture)
    staff_mail,
)

NOTICE = "ia.1.notify@example.com"  # our notification to Alice about Jane
KNOWN = {"inq-1@example.org": JANE_RECORD, NOTICE: JANE_RECORD}


def _context(in_sent_folder: bool = False, **records: Prospect) -> Context:
    return replace(
        BASE, by_message_id=MappingProxyType(KNOWN), in_sent_folder=in_sent_folder,
        by_id=MappingProxyType({p.id: p for p in records.values()}),
        open_by_email=MappingProxyType({p.email: p for p in records.values()}),
        our_mail=MappingProxyType({NOTICE: MailKind.NOTIFICATION}),
    )  # fmt: skip


def test_commands_copied_to_someone_outside_the_business_are_refused(
    rules: InboundRules,  # noqa: F811
) -> None:
    raw = staff_mail("#status done", to=f"{SALES}, partner@elsewhere.example")
    d = decide(read(raw, rules), _context(), rules)
    assert d.kind == Kind.AGENT_REPLY and not d.records and not d.outbox
    assert d.logged is not None and "went outside the business" in d.logged.reason


def test_assign_gives_the_record_to_the_agent_named(rules: InboundRules) -> None:  # noqa: F811
    nobodys = replace(JANE_RECORD, assigned_to=None)
    raw = staff_mail("#assign Alice", sender="Owner <owner@example.com>",
                     auth=_auth("owner@example.com"))  # fmt: skip
    d = decide(read(raw, rules), replace(_context(), by_message_id={"inq-1@example.org": nobodys}),
               rules)  # fmt: skip
    [record] = d.records
    assert d.kind == Kind.AGENT_REPLY and record.assigned_to == ALICE
    [confirm] = d.outbox
    assert isinstance(confirm, Confirm) and confirm.applied == ("#assign Alice",)


def _auth(sender: str) -> str:
    domain = sender.rpartition("@")[2]
    return f"mx.example.com; dkim=pass header.d={domain}; dmarc=pass header.from={domain}"


def test_a_reply_on_the_notice_that_names_another_record_tells_this_person_nothing(
    rules: InboundRules,  # noqa: F811
) -> None:
    """Alice presses Reply on Jane's notification but writes about record 7 (#record 7): her
    words were about Sam; passing them on to Jane would mail the wrong person."""
    sam = Prospect(id=7, email="sam@example.net", created_at=NOW, status=Status.CALL,
                   assigned_to=ALICE)  # fmt: skip
    plain = staff_mail("Hi, the W-100 costs 120 EUR.", refs=f"<{NOTICE}>")
    relayed = decide(read(plain, rules), _context(jane=JANE_RECORD), rules)
    [answer] = [a for a in relayed.outbox if isinstance(a, RelayAnswer)]
    assert relayed.kind == Kind.AGENT_REPLY and answer.recipient == JANE  # the Reply button
    other = staff_mail("#record 7\n#note quoted\nHi, the W-100 costs 120 EUR.", refs=f"<{NOTICE}>")
    d = decide(read(other, rules), _context(jane=JANE_RECORD, sam=sam), rules)
    assert not [a for a in d.outbox if isinstance(a, RelayAnswer)]
    [record] = d.records
    assert record.id == 7 and any(e.kind == "note" for e in record.timeline)


def test_internal_mail_about_a_record_is_a_note_not_information_sent(
    rules: InboundRules,  # noqa: F811
) -> None:
    raw = staff_mail("Jane prefers a call after 5.", to=SALES)
    d = decide(read(raw, rules), _context(), rules)
    [record] = d.records
    assert d.kind == Kind.AGENT_REPLY and not d.outbox
    assert record.status == Status.CALL and record.information_sent_at is None
    assert record.timeline[-1].direction == Direction.INTERNAL


def test_an_answer_as_the_shared_address_counts_from_the_sent_folder_only(
    rules: InboundRules,  # noqa: F811
) -> None:
    raw = staff_mail("Hi Jane, prices attached.", sender=f"Sales <{SALES}>", to=JANE, auth=None)
    sent = decide(read(raw, rules), _context(in_sent_folder=True), rules)
    [record] = sent.records
    assert record.status == Status.EMAIL and record.information_sent_at == NOW
    assert record.assigned_to == ALICE  # answered as sales@: we cannot tell who, Alice keeps it
    inbox = decide(read(raw, rules), _context(), rules)  # anyone can write From: sales@
    [kept] = inbox.records
    assert kept.status == Status.CALL and kept.information_sent_at is None
    event = kept.timeline[-1]
    assert event.kind == UNVERIFIED and event.direction == Direction.IN
    assert event.summary.startswith("unverified (")


def test_an_agents_answer_to_an_unassigned_record_makes_it_theirs(
    rules: InboundRules,  # noqa: F811
) -> None:
    nobodys = replace(JANE_RECORD, assigned_to=None)
    raw = staff_mail("Hi Jane, the W-100 costs 120 EUR.", to=JANE)
    d = decide(read(raw, rules), replace(_context(), by_message_id={"inq-1@example.org": nobodys}),
               rules)  # fmt: skip
    [record] = d.records
    assert record.assigned_to == ALICE and record.status == Status.EMAIL
    as_us = staff_mail("Hi Jane, prices attached.", sender=f"Sales <{SALES}>", to=JANE, auth=None)
    sent = replace(_context(in_sent_folder=True), by_message_id={"inq-1@example.org": nobodys})
    [shared] = decide(read(as_us, rules), sent, rules).records
    assert shared.assigned_to is None  # sent as sales@: nobody to credit


def test_record_by_address_picks_her_open_record(rules: InboundRules) -> None:  # noqa: F811
    raw = staff_mail(f"#record {JANE}\n#lost too expensive", refs="<unrelated@example.org>")
    d = decide(read(raw, rules), replace(_context(jane=JANE_RECORD), by_message_id={}), rules)
    [record] = d.records
    assert record.id == 1 and record.status == Status.DONE
    assert record.lost_reason == "too expensive"


def test_commands_beside_relayed_words_are_confirmed_and_unknown_ones_reported(
    rules: InboundRules,  # noqa: F811
) -> None:
    both = staff_mail("#note called her\n#frobnicate\nHi Jane, the W-100 costs 120 EUR.",
                      refs=f"<{NOTICE}>")  # fmt: skip
    d = decide(read(both, rules), _context(jane=JANE_RECORD), rules)
    [answer] = [a for a in d.outbox if isinstance(a, RelayAnswer)]
    [confirm] = [a for a in d.outbox if isinstance(a, Confirm)]
    assert "120 EUR" in answer.text and "#note" not in answer.text
    assert confirm.applied == ("#note called her",) and "frobnicate" in " ".join(confirm.errors)
    unknown = decide(read(staff_mail("#frobnicate now"), rules), _context(), rules)
    [told] = unknown.outbox
    assert isinstance(told, Confirm) and told.applied == ()
    assert len(told.errors) == 1 and "frobnicate" in told.errors[0]


def test_staff_mail_about_no_record_is_still_an_agents_mail(
    rules: InboundRules,  # noqa: F811
) -> None:
    missing = staff_mail("#record 99\n#status done", refs="<unrelated@example.org>")
    d = decide(read(missing, rules), replace(_context(), by_message_id={}), rules)
    assert d.kind == Kind.AGENT_REPLY and not d.records
    assert d.logged is not None and d.logged.reason.startswith("no record")
    about_nothing = staff_mail("Lunch at one?", refs="<unrelated@example.org>")
    d = decide(read(about_nothing, rules), replace(_context(), by_message_id={}), rules)
    assert d.kind == Kind.AGENT_REPLY and not d.records and not d.outbox
