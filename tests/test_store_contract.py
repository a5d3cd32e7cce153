"""The store's contract, run against both implementations: the in-memory twin the fast tests use
and the journal store on disk (``any_store`` in conftest). Durability itself — torn writes,
compaction, locks — is the journal's alone and lives in ``test_store.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypedDict, Unpack

import pytest

from inbox_agent.exceptions import StoreError
from inbox_agent.mail.classify import Kind
from inbox_agent.plan.inbound import Decision
from inbox_agent.records.prospect import (
    Checkpoint,
    LoggedMessage,
    Prospect,
    QuarantineEntry,
    Status,
    Suppression,
)
from inbox_agent.sending import outbox
from inbox_agent.sending.actions import Acknowledge, Notify, NotifyReason
from inbox_agent.sending.outbox import OutboxEntry
from inbox_agent.store import Store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Fields(TypedDict, total=False):
    id: int
    status: Status
    message_ids: tuple[str, ...]
    previous_id: int | None


def person(email: str, **kw: Unpack[Fields]) -> Prospect:
    return replace(Prospect(email=email, created_at=T0), **kw)


class TestStoreContract:
    def test_records_and_their_lookups(self, any_store: Store) -> None:
        with any_store.transaction():
            a = any_store.save_prospect(person("a@x.test", message_ids=("m1@x",)))
            b = any_store.save_prospect(person("b@x.test"))
        assert (a.id, b.id) == (1, 2) and any_store.next_prospect_id() == 3
        assert any_store.prospect(1) == a
        assert any_store.open_prospect_for("A@X.TEST") == a
        assert any_store.prospect_for_message_id("m1@x") == a
        assert any_store.prospect(99) is None and any_store.open_prospect_for("c@x.test") is None
        assert [p.email for p in any_store.prospects()] == ["a@x.test", "b@x.test"]

    def test_one_open_record_per_address_and_closed_ones_kept(self, any_store: Store) -> None:
        with any_store.transaction():
            first = any_store.save_prospect(person("a@x.test"))
            with pytest.raises(StoreError, match="already has an open record"):
                any_store.save_prospect(person("a@x.test"))
            any_store.save_prospect(replace(first, status=Status.DONE))
            second = any_store.save_prospect(person("a@x.test", previous_id=first.id))
        assert any_store.open_prospect_for("a@x.test") == second
        assert any_store.latest_prospect_for("a@x.test") == second
        assert [p.id for p in any_store.prospects_for("a@x.test")] == [first.id, second.id]

    def test_a_new_record_takes_the_offered_id_only_when_it_is_the_next(
        self, any_store: Store
    ) -> None:
        with any_store.transaction():
            offered = any_store.save_prospect(person("a@x.test", id=any_store.next_prospect_id()))
            assert offered.id == 1
            with pytest.raises(StoreError, match="does not exist"):
                any_store.save_prospect(person("b@x.test", id=7))

    def test_writes_happen_in_transactions_that_roll_back_whole(self, any_store: Store) -> None:
        with pytest.raises(StoreError, match=r"inside store\.transaction"):
            any_store.save_prospect(person("a@x.test"))
        with pytest.raises(RuntimeError), any_store.transaction():
            any_store.save_prospect(person("a@x.test"))
            any_store.queue(Acknowledge(1, "a@x.test"), T0)
            raise RuntimeError("crash mid-batch")
        assert any_store.prospects() == [] and any_store.outbox() == []
        assert any_store.open_prospect_for("a@x.test") is None  # the indexes rolled back too
        assert any_store.mail_times("a@x.test") == []
        with any_store.transaction(), pytest.raises(StoreError, match="nested"):  # noqa: SIM117
            with any_store.transaction():
                pass

    def test_the_outbox_queues_each_key_once(self, any_store: Store) -> None:
        ack = Acknowledge(1, "a@x.test")
        with any_store.transaction():
            assert any_store.queue(ack, T0)
            assert not any_store.queue(ack, T0 + timedelta(minutes=1))
            any_store.queue(Notify(1, "agent@x.test", NotifyReason.NEW_PROSPECT, "hi"), T0)
        assert [e.key for e in any_store.outbox_open()] == ["1:ack", "1:notify"]
        assert any_store.mail_times("a@x.test") == [T0]
        [entry, _] = any_store.outbox()
        assert entry == OutboxEntry(ack, T0)
        with any_store.transaction():
            any_store.save_entry(outbox.sent(entry, T0))
        assert [e.key for e in any_store.outbox_open()] == ["1:ack", "1:notify"]  # not filed yet
        with any_store.transaction():
            any_store.save_entry(replace(outbox.sent(entry, T0), filed=True))
        assert [e.key for e in any_store.outbox_open()] == ["1:notify"]

    def test_the_small_tables(self, any_store: Store) -> None:
        with any_store.transaction():
            any_store.set_checkpoint(Checkpoint("INBOX", 5, 10))
            any_store.set_checkpoint(Checkpoint("INBOX", 5, 12))
            any_store.set_state("last_assigned", "a@x.test")
            any_store.quarantine(QuarantineEntry("INBOX", 5, 3, "empty message", T0))
            any_store.log_message(LoggedMessage("k1", "m1", "INBOX", 1, Kind.BOUNCE, "dsn", T0))
            any_store.suppress(Suppression("Gone@x.test".lower(), "bounce m1", T0))
            any_store.suppress(Suppression("gone@x.test", "again", T0))
        assert any_store.checkpoint("INBOX") == Checkpoint("INBOX", 5, 12)
        assert any_store.checkpoint("Sent") is None
        assert any_store.state("last_assigned") == "a@x.test" and any_store.state("x") is None
        assert [q.reason for q in any_store.quarantined()] == ["empty message"]
        assert any_store.has_message("k1") and not any_store.has_message("k2")
        assert [m.kind for m in any_store.messages()] == [Kind.BOUNCE]
        assert any_store.is_suppressed("GONE@x.test")

    def test_apply_writes_a_whole_decision(self, any_store: Store) -> None:
        record = person("a@x.test", id=1)
        logged = LoggedMessage("k1", "m1", "INBOX", 4, Kind.INQUIRY, "r", T0, 1)
        decision = Decision(
            Kind.INQUIRY, logged, (record,), True,
            (Acknowledge(1, "a@x.test"), Acknowledge(1, "a@x.test")),
            (Suppression("b@x.test", "bounce", T0),), (("last_assigned", "agent@x.test"),),
        )  # fmt: skip
        with any_store.transaction():
            queued = any_store.apply(decision, T0)
        assert queued == ["1:ack"]
        assert any_store.prospect(1) == record and any_store.has_message("k1")
        assert any_store.is_suppressed("b@x.test")
        assert any_store.state("last_assigned") == "agent@x.test"
        with any_store.transaction():
            assert any_store.apply(replace(decision, records=(), logged=None), T0) == []


def test_the_memory_twin_keeps_nothing_on_disk(tmp_path: object) -> None:
    with Store.memory() as store, store.transaction():
        store.save_prospect(person("a@x.test"))
    with Store.memory() as fresh:
        assert fresh.prospects() == []
