"""A whole cycle on fakes: inquiries get one acknowledgment each, robots none, failures retry."""

from __future__ import annotations

import email
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

from inbox_agent.config import Settings
from inbox_agent.exceptions import AmbiguousSendError, PermanentSendError, TemporarySendError
from inbox_agent.records.prospect import Status
from inbox_agent.runner import Runner
from inbox_agent.sending import outbox
from inbox_agent.store import Store
from tests import mailgen
from tests.conftest import Clock
from tests.fakes import FakeCourier, FakeMailbox

ROOT = Path(__file__).resolve().parent.parent


def acks(courier: FakeCourier) -> list[tuple[str, tuple[str, ...], bytes]]:
    """What went to prospects (agents' notifications left out)."""
    return [m for m in courier.sent if b"Auto-Submitted: auto-replied" in m[2]]


def make(settings: Settings, store: Store, courier: FakeCourier, clock: Clock) -> Runner:
    return Runner(settings, store, courier=courier, now=clock)


def test_one_acknowledgment_per_inquiry_none_to_robots(settings: Settings, store: Store) -> None:
    courier, clock = FakeCourier(), Clock()
    box = FakeMailbox(clock=clock)
    for raw in (mailgen.inquiry(), mailgen.form_notification(), mailgen.bounce(),
                mailgen.out_of_office(), mailgen.mailing_list()):  # fmt: skip
        box.add(raw)
    agent = make(settings, store, courier, clock)
    report = agent.cycle(box)
    assert sorted(r for _, (r,), _ in acks(courier)) == ["jane@example.org", "sam@example.net"]
    notified = [m for m in courier.sent if m not in acks(courier)]
    assert [r for _, (r,), _ in notified] == ["alice@example.com"] * 2  # the one agent
    assert len(report.dispatch.sent) == 4 and len(box.filed) == 4
    for p in store.prospects():
        assert p.status == "call" and p.acknowledged_at == clock.t
        assert [e.kind for e in p.timeline if e.direction == "out"] == ["acknowledgment"]
    ack = email.message_from_bytes(acks(courier)[0][2], policy=policy.default)
    assert ack["Auto-Submitted"] == "auto-replied" and ack["In-Reply-To"]
    box.add(mailgen.inquiry(subject="Me again"))  # joins the acknowledged record
    agent.cycle(box)
    assert len(acks(courier)) == 2


def test_temporary_failure_retries_later_once(settings: Settings, store: Store) -> None:
    clock = Clock()
    box = FakeMailbox(clock=clock)
    courier = FakeCourier(failures=[TemporarySendError("451"), TemporarySendError("451")])
    box.add(mailgen.inquiry())
    agent = make(settings, store, courier, clock)
    assert agent.cycle(box).dispatch.retrying == ["1:ack", "1:notify"]
    assert agent.cycle(box).dispatch.retrying == []  # not due yet: nothing tried
    clock.t += timedelta(minutes=1)
    agent.cycle(box)
    assert len(acks(courier)) == 1
    [entry] = [e for e in store.outbox() if e.kind == "acknowledgment"]
    assert entry.status == outbox.SENT and entry.attempts == 2


def test_a_mail_filed_in_sent_leaves_its_bytes_there_not_in_the_store(
    settings: Settings, store: Store
) -> None:
    courier, clock = FakeCourier(), Clock()
    box = FakeMailbox(clock=clock)
    box.add(mailgen.inquiry())
    make(settings, store, courier, clock).cycle(box)
    entries = store.outbox()
    assert {e.kind for e in entries} == {"acknowledgment", "notification"}
    assert all(e.status == "sent" and e.filed and e.raw == b"" for e in entries)
    assert not store.outbox_open()
    filed = {email.message_from_bytes(raw)["Message-ID"] for _, raw in box.filed}
    assert filed == {f"<{e.message_id.strip('<>')}>" for e in entries}  # the copies hold them
    assert [raw for _, _, raw in courier.sent] == [raw for _, raw in box.filed]


def test_ambiguous_failure_resends_the_same_message(settings: Settings, store: Store) -> None:
    clock = Clock()
    box = FakeMailbox(clock=clock)
    courier = FakeCourier(failures=[AmbiguousSendError("timeout after DATA")])
    box.add(mailgen.inquiry())
    agent = make(settings, store, courier, clock)
    agent.cycle(box)
    [before] = [e for e in store.outbox() if e.kind == "acknowledgment"]
    clock.t += timedelta(minutes=5)
    agent.cycle(box)
    [(_, _, raw)] = acks(courier)
    assert raw == before.raw and before.message_id.encode() in raw


def test_permanent_failure_is_recorded_not_retried(settings: Settings, store: Store) -> None:
    clock = Clock()
    box = FakeMailbox(clock=clock)
    courier = FakeCourier(failures=[PermanentSendError("550 no such user")])
    box.add(mailgen.inquiry())
    agent = make(settings, store, courier, clock)
    assert agent.cycle(box).dispatch.failed == ["1:ack"]
    clock.t += timedelta(hours=2)
    agent.cycle(box)
    assert acks(courier) == [] and store.outbox()[0].status == outbox.FAILED
    assert store.prospects()[0].acknowledged_at is None


def test_template_error_sends_nothing_until_fixed(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    (folder / "acknowledgment.txt.j2").write_text("Hello {{ prospect.nmae }}")
    broken = replace(settings, acknowledgment=replace(settings.acknowledgment, templates=folder))
    courier, clock = FakeCourier(), Clock()
    box = FakeMailbox(clock=clock)
    box.add(mailgen.inquiry())
    report = make(broken, store, courier, clock).cycle(box)
    assert "nmae" in report.dispatch.errors[0] and acks(courier) == []
    (folder / "acknowledgment.txt.j2").write_text("Hello {{ prospect.name }}")
    clock.t += timedelta(minutes=1)
    make(broken, store, courier, clock).cycle(box)
    assert len(acks(courier)) == 1


def test_hard_bounce_stops_automatic_mail(settings: Settings, store: Store) -> None:
    courier, clock = FakeCourier(), Clock()
    box = FakeMailbox(clock=clock)
    box.add(mailgen.inquiry(sender="gone@example.net"))
    agent = make(settings, store, courier, clock)
    agent.cycle(box)
    box.add(mailgen.bounce("gone@example.net"))  # names no mail of ours: suppresses nothing
    agent.cycle(box)
    assert not store.is_suppressed("gone@example.net")
    [(_, _, ack)] = acks(courier)
    ours = str(email.message_from_bytes(ack, policy=policy.default)["Message-ID"])
    box.add(mailgen.bounce("gone@example.net", returned_id=ours))
    agent.cycle(box)
    assert store.is_suppressed("gone@example.net")
    [p] = store.prospects()
    with store.transaction():
        store.save_prospect(replace(p, status=Status.DONE))
    box.add(mailgen.inquiry(sender="gone@example.net", subject="again"))
    agent.cycle(box)
    assert len(acks(courier)) == 1 and len(store.prospects()) == 2


def test_backlog_is_recorded_but_not_answered_days_late(settings: Settings, store: Store) -> None:
    courier, clock = FakeCourier(), Clock()
    box = FakeMailbox(clock=clock)
    box.add(mailgen.inquiry())
    clock.t += timedelta(days=10)
    from inbox_agent.imap import Fetched

    old = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    box.fetch = lambda uids: [  # type: ignore[method-assign]  # backdate what the fake fetches
        Fetched(u, box.messages[u], 1, arrived=old) for u in uids
    ]
    make(settings, store, courier, clock).cycle(box)
    assert acks(courier) == [] and len(store.prospects()) == 1
