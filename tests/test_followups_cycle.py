"""Follow-ups through whole cycles on fakes: the clock moves, the courtesy note and the revive
reminder go out once each, threaded, inside business hours, and a restart sends nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from inbox_agent.config import Settings
from inbox_agent.records.prospect import Prospect, Status
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from tests import mailgen
from tests.conftest import Clock
from tests.fakes import FakeCourier, FakeMailbox

JANE, ALICE, SALES = "jane@example.org", "alice@example.com", "sales@example.com"
TRUSTED = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}
TUESDAY_9AM = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 09:00 in Johannesburg (rules.toml)


class Office:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store
        self.clock = Clock(TUESDAY_9AM)
        self.box, self.courier = FakeMailbox(clock=self.clock), FakeCourier()
        self.runner = Runner(settings, store, courier=self.courier, now=self.clock)

    def restart(self) -> None:
        self.runner.close()
        self.runner = Runner(self.settings, self.store, courier=self.courier, now=self.clock)

    def at(self, when: datetime, *arriving: bytes) -> None:
        """At ``when``: mail arrives (if any), and a cycle runs."""
        self.clock.t = when
        for raw in arriving:
            self.box.add(raw)
        self.runner.cycle(self.box)

    def mail_to(self, who: str) -> list[EmailMessage]:
        return self.courier.mail_to(who)

    def jane(self) -> Prospect:
        record = self.store.open_prospect_for(JANE)
        assert record is not None
        return record


def test_the_courtesy_note_then_the_revive_reminder_once_each_in_hours(
    settings: Settings, store: Store
) -> None:
    office = Office(settings, store)
    office.at(TUESDAY_9AM, mailgen.inquiry(message_id="<inq-1@example.org>"))
    answer = mailgen.inquiry(
        sender=f"Alice <{ALICE}>",
        to=JANE,
        subject="Re: Question about your widgets",
        body="Hi Jane, the blue widget ships to Cape Town in 3 days.",
        message_id="<ans-1@example.com>",
        headers={**TRUSTED, "Cc": SALES, "In-Reply-To": "<inq-1@example.org>"},
    )
    office.at(TUESDAY_9AM.replace(hour=8), answer)  # 10:00: Alice sends the information
    assert office.jane().status == Status.EMAIL
    office.at(datetime(2026, 12, 3, 7, 59, tzinfo=UTC))  # 47 h 59 min later: nothing yet
    assert [m["Subject"] for m in office.mail_to(JANE)] == ["Re: Question about your widgets"]
    office.at(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))  # 48 h: the courtesy note
    [_, note] = office.mail_to(JANE)
    body = mailgen.plain_text(note).replace("\r\n", "\n")
    assert body.startswith(
        "Hello Jane,\n\nThis is a courtesy note to make sure you have all the "
        "information you requested. Please let me know if you need any "
        "further assistance?"
    )
    assert "Alice, Acme Widgets" in body and "Reference: IA-1" in body
    assert note["In-Reply-To"] == "<ans-1@example.com>"
    assert note["Auto-Submitted"] == "auto-generated"
    assert (
        str(note["List-Unsubscribe"])
        .strip()
        .startswith(f"<mailto:{SALES}?subject=unsubscribe%20IA-1%20")
    )
    record = office.jane()
    assert record.status == Status.FOLLOW_UP and record.follow_ups_sent == 1
    office.restart()  # a restart sends nothing again
    office.at(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    assert len(office.mail_to(JANE)) == 2 and len(office.mail_to(ALICE)) == 1  # + her notification
    office.at(datetime(2026, 12, 4, 8, 0, tzinfo=UTC))  # 72 h: phone Jane
    [_, reminder] = office.mail_to(ALICE)
    text = mailgen.plain_text(reminder)
    assert "Please phone them today" in text and "tel:+27825550123" in text
    assert "#lost <the objection>" in text
    assert office.jane().status == Status.REVIVE
    assert [m["Subject"] for m in office.mail_to(JANE)][1:] == ["Re: Question about your widgets"]


def test_a_spanish_inquiry_gets_its_acknowledgment_and_courtesy_note_in_spanish(
    settings: Settings, store: Store
) -> None:
    office = Office(settings, store)
    office.box.add(
        mailgen.inquiry(
            sender=f"Ana López <{JANE}>",
            subject="Cotización",
            message_id="<inq-es@example.org>",
            body="Hola, quisiera una cotización de 40 widgets azules para mi tienda en Sevilla.",
        )
    )
    office.at(TUESDAY_9AM)
    assert office.jane().language == "es"
    [ack] = office.mail_to(JANE)
    assert mailgen.plain_text(ack).startswith("Hola, Ana:")
    office.box.add(
        mailgen.inquiry(
            sender=f"Alice <{ALICE}>",
            to=JANE,
            subject="Re: Cotización",
            body="Hola Ana, adjunto.",
            headers={**TRUSTED, "Cc": SALES, "In-Reply-To": "<inq-es@example.org>"},
        )
    )
    office.at(TUESDAY_9AM.replace(hour=8))
    office.at(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    [_, note] = office.mail_to(JANE)
    assert mailgen.plain_text(note).startswith("Hola, Ana:\n\nLe escribo para asegurarme")
