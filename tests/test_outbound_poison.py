"""Outbound poison fails alone: an address no letter can be built for, or that the server
refuses, is recorded, listed, and handed to a person; every other mail goes out."""

from __future__ import annotations

import pytest

from inbox_agent.config import Settings
from inbox_agent.exceptions import LetterError
from inbox_agent.records.prospect import Prospect
from inbox_agent.runner import Runner
from inbox_agent.sending.actions import MailKind
from inbox_agent.sending.letters import mail_address
from inbox_agent.sending.outbox import Delivery
from inbox_agent.store import Store
from tests import mailgen
from tests.conftest import Clock
from tests.fakes import FakeCourier, FakeMailbox

JOSE = "josé@example.org"


def test_international_addresses_become_what_mail_systems_carry() -> None:
    assert mail_address("ann@exämple.test") == ("ann@xn--exmple-cua.test", False)
    assert mail_address(JOSE) == (JOSE, True)  # the local part needs SMTPUTF8 (RFC 6531)
    assert mail_address("Plain@Example.COM") == ("Plain@example.com", False)
    for bad in ("no-at-sign", "@example.org", "x@", "a@b\r\nBcc: c@d", "x@\x83\x81"):
        with pytest.raises(LetterError):
            mail_address(bad)


def three_inquiries(box: FakeMailbox) -> None:
    box.add(mailgen.inquiry(sender="Ann <ann@example.org>"))
    box.add(mailgen.inquiry(sender=f"José Pérez <{JOSE}>", subject="¿Precio?"))
    box.add(mailgen.inquiry(sender="Bea <bea@exämple.test>"))


def acks(courier: FakeCourier) -> list[str]:
    return [r for _, (r,), raw in courier.sent if b"Auto-Submitted: auto-replied" in raw]


def test_smtputf8_is_asked_for_only_where_an_address_needs_it(
    settings: Settings, store: Store, clock: Clock
) -> None:
    box, courier = FakeMailbox(clock=clock), FakeCourier(smtputf8=True)
    three_inquiries(box)
    Runner(settings, store, courier=courier, now=clock).cycle(box)
    assert acks(courier) == ["ann@example.org", JOSE, "bea@xn--exmple-cua.test"]
    assert [u for (_, (r,), _), u in zip(courier.sent, courier.utf8_sent, strict=True)
            if r == JOSE] == [True]  # fmt: skip
    [jose] = [raw for _, (r,), raw in courier.sent if r == JOSE]
    assert "To: José Pérez <josé@example.org>".encode() in jose


def test_a_server_without_smtputf8_fails_that_one_mail_and_tells_the_agent(
    settings: Settings, store: Store, clock: Clock
) -> None:
    box, courier = FakeMailbox(clock=clock), FakeCourier(smtputf8=False)
    three_inquiries(box)
    runner = Runner(settings, store, courier=courier, now=clock)
    report = runner.cycle(box).dispatch
    assert acks(courier) == ["ann@example.org", "bea@xn--exmple-cua.test"]
    jose: Prospect | None = store.open_prospect_for(JOSE)
    assert jose is not None
    assert report.failed == [f"{jose.id}:ack"]
    [failed] = [e for e in store.outbox() if e.status == Delivery.FAILED]
    assert "SMTPUTF8" in failed.last_error and failed.recipient == JOSE
    told = [raw for _, (r,), raw in courier.sent if b"Not delivered" in raw]
    assert len(told) == 1 and b"please write to them yourself" in told[0]
    assert [e.kind for e in store.outbox() if e.kind == MailKind.DELIVERY_FAILED] == [
        MailKind.DELIVERY_FAILED
    ]
    sent_before = len(courier.sent)
    again = runner.cycle(box).dispatch
    assert again.failed == [] and len(courier.sent) == sent_before  # never retried, told once


def test_a_letter_that_cannot_be_built_fails_alone(
    settings: Settings, store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inbox_agent.sending.letters import build as real

    def breaks_for_ann(**kw: object) -> object:
        prospect = kw["prospect"]
        assert isinstance(prospect, Prospect)
        if prospect.email == "ann@example.org" and kw["kind"] == MailKind.ACKNOWLEDGMENT:
            raise LetterError("a bug in one letter")
        return real(**kw)  # type: ignore[arg-type]  # the same keywords, passed through

    monkeypatch.setattr("inbox_agent.sending.render.build", breaks_for_ann)
    box, courier = FakeMailbox(clock=clock), FakeCourier()
    box.add(mailgen.inquiry(sender="Ann <ann@example.org>"))
    box.add(mailgen.inquiry(sender="Bea <bea@example.org>"))
    report = Runner(settings, store, courier=courier, now=clock).cycle(box).dispatch
    assert acks(courier) == ["bea@example.org"]
    assert report.failed == ["1:ack"] and "a bug in one letter" in store.outbox()[0].last_error
