"""The agent presses Reply on a notification and writes to the prospect: the prospect gets it.

Whole cycles on fakes, with replies built the way Gmail, Outlook and Apple Mail build them
(tests/clients.py); the same on Dovecot with a real client (Mutt) is in test_dovecot_mutt.py.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

import pytest

from inbox_agent.config import Settings
from inbox_agent.plan.relay import words_for_prospect
from inbox_agent.records.prospect import Direction, Prospect, Status
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from tests import mailgen
from tests.clients import CLIENTS
from tests.conftest import Clock
from tests.fakes import FakeCourier, FakeMailbox

JANE, ALICE = "jane@example.org", "alice@example.com"
TRUSTED = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}
ANSWER = "Hi Jane,\n\nthe blue widget ships to Cape Town in 3 days, R450 delivered.\n\nAlice"


class Desk:
    """Jane's inquiry has come in and Alice was notified: the stage for her reply."""

    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.box, self.courier, self.clock = FakeMailbox(clock=clock), FakeCourier(), clock
        self.runner = Runner(settings, store, courier=self.courier, now=clock)
        self.store = store
        self.box.add(mailgen.inquiry(message_id="<inq-1@example.org>"))
        self.runner.cycle(self.box)
        self.sent_before = len(self.courier.sent)

    def mail_to(self, who: str) -> list[EmailMessage]:
        return self.courier.mail_to(who)

    def notification(self) -> EmailMessage:
        [note] = [m for m in self.mail_to(ALICE) if "New prospect" in str(m["Subject"])]
        return note

    def deliver(self, raw: bytes) -> None:
        self.clock.advance(minutes=5)
        self.box.add(raw)
        self.runner.cycle(self.box)

    def jane(self) -> Prospect:
        record = self.store.open_prospect_for(JANE)
        assert record is not None
        return record


@pytest.fixture
def desk(settings: Settings, store: Store, clock: Clock) -> Desk:
    return Desk(settings, store, clock)


def test_the_notification_says_first_how_to_answer(desk: Desk) -> None:
    text = mailgen.plain_text(desk.notification()).replace("\r\n", "\n")
    assert text.splitlines()[0] == (
        "Reply to answer Jane; lines starting with # are commands for the records."
    )
    assert "Source: Direct email    Interest: Product information" in text
    assert "(Product information, Direct email)" in str(desk.notification()["Subject"])


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_reply_on_the_notification_reaches_the_prospect(desk: Desk, client: str) -> None:
    reply = CLIENTS[client](
        desk.notification(),
        sender=f"Alice <{ALICE}>",
        body=f"{ANSWER}\n#note quoted R450 delivered",
        headers=TRUSTED,
    )
    desk.deliver(reply)
    [answer] = desk.mail_to(JANE)[1:]  # after the acknowledgment
    text = mailgen.plain_text(answer).replace("\r\n", "\n")
    assert text.startswith("Hi Jane,\n\nthe blue widget ships to Cape Town in 3 days")
    assert "#note" not in text and "Reply to answer" not in text and "In their words" not in text
    assert "\n--\nAlice\nAcme Widgets\nReference: IA-1" in text
    assert str(answer["From"]) == '"Alice (Acme Widgets)" <sales@example.com>'
    assert answer["In-Reply-To"] == "<inq-1@example.org>" and answer["Auto-Submitted"] is None
    assert str(answer["Subject"]) == "Re: Question about your widgets"
    [receipt] = [m for m in desk.mail_to(ALICE) if "Sent to" in str(m["Subject"])]
    assert "Sent to Jane Doe <jane@example.org>" in mailgen.plain_text(receipt)
    record = desk.jane()
    assert record.status == Status.EMAIL
    assert record.first_response_at is not None and record.information_sent_at is not None
    out = [e for e in record.timeline if e.direction == Direction.OUT]
    assert [e.kind for e in out] == ["acknowledgment", "relayed_answer"]
    assert out[-1].summary.startswith("Alice: Hi Jane, the blue widget")
    assert any(e.kind == "note" and "quoted R450" in e.summary for e in record.timeline)
    [alices] = [e for e in record.timeline if e.kind == "agent_reply"]
    assert alices.direction == Direction.INTERNAL  # her mail to us was not mail to Jane


def test_only_hash_lines_stay_internal(desk: Desk) -> None:
    reply = CLIENTS["gmail"](
        desk.notification(),
        sender=f"Alice <{ALICE}>",
        body="#note called, no answer\n#status email",
        headers=TRUSTED,
    )
    desk.deliver(reply)
    assert desk.mail_to(JANE)[1:] == []
    assert desk.jane().status == Status.EMAIL  # the command, not an answer
    assert not any(e.kind == "relayed_answer" for e in desk.jane().timeline)


def test_an_untrusted_reply_is_not_passed_on_and_the_agent_is_told_why(desk: Desk) -> None:
    reply = CLIENTS["outlook"](desk.notification(), sender=f"Alice <{ALICE}>", body=ANSWER)
    desk.deliver(reply)
    assert desk.mail_to(JANE)[1:] == []
    [told] = [m for m in desk.mail_to(ALICE) if "NOT sent to" in str(m["Subject"])]
    assert "no Authentication-Results from mx.example.com" in mailgen.plain_text(told)
    record = desk.jane()
    assert record.status == Status.CALL and record.first_response_at is None


def test_a_quote_that_was_not_cut_is_never_passed_on(desk: Desk) -> None:
    """A client that puts the original above a line no parser knows: our notification's own
    lines survive the cut, so nothing goes to the prospect."""
    quoted = mailgen.plain_text(desk.notification())
    odd = mailgen.inquiry(
        sender=f"Alice <{ALICE}>",
        to="sales@example.com",
        subject="Re: notification",
        body=f"{ANSWER}\n\n=== original ===\n{quoted}",
        headers={**TRUSTED, "In-Reply-To": str(desk.notification()["Message-ID"])},
    )
    desk.deliver(odd)
    assert desk.mail_to(JANE)[1:] == []
    [told] = [m for m in desk.mail_to(ALICE) if "NOT sent to" in str(m["Subject"])]
    assert "could not be told apart" in mailgen.plain_text(told)


def test_a_direct_answer_with_sales_in_copy_is_not_relayed_again(desk: Desk) -> None:
    note = desk.notification()
    direct = mailgen.inquiry(
        sender=f"Alice <{ALICE}>",
        to=JANE,
        subject="Re: widgets",
        body=ANSWER,
        headers={**TRUSTED, "Cc": "sales@example.com", "In-Reply-To": str(note["Message-ID"])},
    )
    desk.deliver(direct)
    assert desk.mail_to(JANE)[1:] == []  # she wrote to Jane herself
    assert desk.jane().status == Status.EMAIL


@pytest.mark.parametrize(
    ("fresh", "words"),
    [
        ("Hi\n#status email\nThanks", "Hi\nThanks"),
        ("  #note x\n\nYes, tomorrow.\n-- \nAlice Smith\nSales", "Yes, tomorrow."),
        ("#note only", ""),
        ("Line 1\n--\nsig", "Line 1"),
    ],
)
def test_the_words_passed_on_are_the_agents_alone(fresh: str, words: str) -> None:
    assert words_for_prospect(fresh) == words


def reply_maker(client: str) -> Callable[..., bytes]:
    return CLIENTS[client]
