"""The store: durable transactions, torn writes, failed writes, one writer, fast lookups."""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import signal
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict, Unpack

import pytest

from inbox_agent.exceptions import StoreError, StoreLockedError
from inbox_agent.mail.classify import Kind
from inbox_agent.records.prospect import (
    Checkpoint,
    Direction,
    Event,
    LoggedMessage,
    Moved,
    Prospect,
    Quote,
    Status,
    event_from_dict,
    event_to_dict,
)
from inbox_agent.store import Store
from inbox_agent.store.database import JournalStorage

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class _Fields(TypedDict, total=False):
    """What the tests set on a new record besides its address."""

    quote: Quote | None
    question: str
    previous_id: int | None


def prospect(email: str, **kw: Unpack[_Fields]) -> Prospect:
    event = Event(
        at=T0, direction=Direction.IN, kind="inquiry", message_id=f"<{email}>", summary="hi"
    )
    return Prospect(
        email=email, created_at=T0, message_ids=(f"m-{email}",), timeline=(event,), **kw
    )


def test_roundtrip_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    with Store.open(path) as store, store.transaction():
        saved = store.save_prospect(prospect("a@x.test", quote=Quote("10", "Q1", "")))
        store.set_checkpoint(Checkpoint("INBOX", 7, 42))
    with Store.open(path) as store:
        again = store.prospect(saved.id)
        assert again == saved
        assert store.checkpoint("INBOX") == Checkpoint("INBOX", 7, 42)
        assert store.open_prospect_for("a@x.test") == saved
        assert store.prospect_for_message_id("m-a@x.test") == saved


def test_snapshot_is_a_tinydb_file_after_compaction(tmp_path: Path) -> None:
    from tinydb import TinyDB

    path = tmp_path / "p.json"
    with Store.open(path) as store:
        with store.transaction():
            store.save_prospect(prospect("a@x.test"))
        assert isinstance(store._db._storage, JournalStorage)
        store._db._storage.snapshot()  # what compaction does
    [marker] = (tmp_path / "p.json.journal").read_text().splitlines()  # the journal starts anew
    assert json.loads(marker) == {"_store": {"1": {"generation": 2}}}
    db = TinyDB(str(path))
    assert db.table("prospects:0").all()[0]["email"] == "a@x.test"
    db.close()


def test_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    with Store.open(path) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.save_prospect(prospect("a@x.test"))
            raise RuntimeError("boom")
        assert store.open_prospect_for("a@x.test") is None
        assert store.prospects() == []


def test_torn_journal_line_is_discarded(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    with Store.open(path) as store, store.transaction():
        store.save_prospect(prospect("a@x.test"))
    journal = tmp_path / "p.json.journal"
    good = journal.read_bytes()
    journal.write_bytes(good + b'{"prospects":{"2":{"email":"b@x.te')  # crash mid-append
    with Store.open(path) as store:
        assert [p.email for p in store.prospects()] == ["a@x.test"]
        with store.transaction():
            store.save_prospect(prospect("c@x.test"))
    assert journal.read_bytes().startswith(good)
    with Store.open(path) as store:
        assert [p.email for p in store.prospects()] == ["a@x.test", "c@x.test"]


def test_replaying_journal_over_newer_snapshot_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    with Store.open(path) as store:
        with store.transaction():
            p = store.save_prospect(prospect("a@x.test"))
        with store.transaction():
            store.save_prospect(replace(p, status=Status.CALL))
        journal = (tmp_path / "p.json.journal").read_bytes()
        assert isinstance(store._db._storage, JournalStorage)
        store._db._storage.snapshot()
    (tmp_path / "p.json.journal").write_bytes(journal)  # crash between replace and truncate
    with Store.open(path) as store:
        assert [x.status for x in store.prospects()] == ["call"]


def test_stale_temp_files_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / ".p.json.tmp-999"
    stale.write_text("half")
    Store.open(tmp_path / "p.json").close()
    assert not stale.exists()


def test_second_writer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    with Store.open(path):

        def other() -> None:
            try:
                Store.open(path)
            except StoreLockedError as exc:
                os._exit(3 if "in use by inbox-agent pid" in str(exc) else 4)
            os._exit(0)

        proc = multiprocessing.get_context("fork").Process(target=other)
        proc.start()
        proc.join(10)
        assert proc.exitcode == 3


def _write_past_limit(path: Path) -> None:  # pragma: no cover - runs in a child process
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
    store = Store.open(path)
    journal = path.with_name("p.json.journal")
    limit = max(journal.stat().st_size, path.stat().st_size if path.exists() else 0) + 200
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        with store.transaction():
            store.save_prospect(prospect("big@x.test", question="x" * 5000))
            store.set_checkpoint(Checkpoint("INBOX", 1, 99))
    except StoreError:
        # the failed write is reported, and memory goes back to what is on disk
        ok = store.open_prospect_for("big@x.test") is None and store.checkpoint(
            "INBOX"
        ) == Checkpoint("INBOX", 1, 1)
        os._exit(5 if ok else 6)
    os._exit(0)


def test_failed_write_loses_nothing_and_commits_nothing(tmp_path: Path) -> None:
    """A full disk (simulated with RLIMIT_FSIZE) mid-commit: the store stays as it was."""
    path = tmp_path / "p.json"
    with Store.open(path) as store, store.transaction():
        store.save_prospect(prospect("a@x.test"))
        store.set_checkpoint(Checkpoint("INBOX", 1, 1))
    before = (tmp_path / "p.json.journal").read_bytes()
    proc = multiprocessing.get_context("fork").Process(target=_write_past_limit, args=(path,))
    proc.start()
    proc.join(20)
    assert proc.exitcode == 5
    assert (tmp_path / "p.json.journal").read_bytes() == before
    with Store.open(path) as store:
        assert [p.email for p in store.prospects()] == ["a@x.test"]
        assert store.checkpoint("INBOX") == Checkpoint("INBOX", 1, 1)


def test_closed_record_frees_the_address(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p.json") as store:
        with store.transaction():
            first = store.save_prospect(prospect("a@x.test"))
        with store.transaction(), pytest.raises(StoreError, match="open record"):
            store.save_prospect(prospect("a@x.test"))
        with store.transaction():
            store.save_prospect(replace(first, status=Status.DONE))
            second = store.save_prospect(prospect("a@x.test", previous_id=first.id))
        assert store.open_prospect_for("a@x.test") == second
        assert store.latest_prospect_for("a@x.test") == second


def test_reads_inside_a_transaction_see_its_writes(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p.json") as store, store.transaction():
        saved = store.save_prospect(prospect("a@x.test"))
        store.log_message(LoggedMessage("k1", "m", "INBOX", 1, Kind.INQUIRY, "r", T0, saved.id))
        assert store.open_prospect_for("a@x.test") == saved
        assert store.has_message("k1")


def test_journal_lines_hold_only_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    with Store.open(path) as store:
        with store.transaction():
            for i in range(50):
                store.save_prospect(prospect(f"p{i}@x.test"))
        with store.transaction():
            store.save_prospect(prospect("new@x.test"))
    last = (tmp_path / "p.json.journal").read_text().splitlines()[-1]
    assert list(json.loads(last)["prospects:0"]) == ["51"]


def test_writes_outside_a_transaction_are_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p.json") as store, pytest.raises(StoreError):
        store.save_prospect(prospect("a@x.test"))


def test_large_tables_are_split_into_shards(tmp_path: Path) -> None:
    from inbox_agent.store.database import SHARD

    path = tmp_path / "p.json"
    with Store.open(path) as store, store.transaction():
        for i in range(SHARD + 5):
            store.save_prospect(prospect(f"p{i}@x.test"))
    with Store.open(path) as store:
        assert len(store.prospects()) == SHARD + 5
        assert store.open_prospect_for(f"p{SHARD + 2}@x.test") is not None
        assert {n for n in store._db.data if n.startswith("prospects")} == {
            "prospects:0", "prospects:1",
        }  # fmt: skip


def test_forget_erases_a_person_keeps_their_opt_out_as_a_hash(tmp_path: Path) -> None:
    from inbox_agent.records.prospect import Direction, Event, Suppression
    from inbox_agent.sending.actions import Acknowledge, Notify, NotifyReason
    from inbox_agent.store.forget import forget

    path = tmp_path / "p.json"
    planted = "PLANTED-phone-0825550123"
    with Store.open(path) as store:
        with store.transaction():
            jane = store.save_prospect(Prospect(
                email="jane@example.org", created_at=T0, question=planted,
                timeline=(Event(T0, Direction.IN, "inquiry", "m1", planted, "INBOX", 7),),
            ))  # fmt: skip
            other = store.save_prospect(Prospect(email="bob@example.org", created_at=T0))
            store.queue(Acknowledge(jane.id, jane.email), T0)
            store.queue(
                Notify(jane.id, "alice@example.com", NotifyReason.NEW_PROSPECT, planted), T0
            )
            store.queue(Acknowledge(other.id, other.email), T0)
            store.log_message(LoggedMessage("k1", "m1", "INBOX", 7, Kind.INQUIRY, "r", T0, jane.id,
                                            sender="jane@example.org"))  # fmt: skip
            store.log_message(LoggedMessage("k2", "m2", "INBOX", 9, Kind.SPAM, "spam", T0,
                                            sender="jane@example.org"))  # fmt: skip
            store.suppress(Suppression("jane@example.org", "bounce", T0))
        done = forget(store, "Jane@Example.org")
        assert (done.records, done.outbox, done.messages) == (1, 2, 2)
        assert done.suppression_kept and done.in_mailbox == (("INBOX", 7), ("INBOX", 9))
        assert store.prospects_for("jane@example.org") == [] and store.prospect(other.id)
        assert store.is_suppressed("jane@example.org")  # the opt-out still holds
        assert [e.recipient for e in store.outbox()] == ["bob@example.org"]
        assert store.next_prospect_id() == 3  # numbers are never given out again
    on_disk = "".join(p.read_text() for p in tmp_path.iterdir() if p.is_file())
    assert "jane@example.org" not in on_disk and planted not in on_disk
    with Store.open(path) as store:
        assert store.is_suppressed("jane@example.org") and len(store.prospects()) == 1


def test_moves_and_commands_are_fields_of_their_events_and_old_stores_read_alike() -> None:
    """A report reads a move's old/new/cause and a command's name from the event, never from
    its summary; timelines written before those fields existed are read into them once."""
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    moved = Event(at, Direction.INTERNAL, "stage", summary="stage lead → prospect (x)",
                  moved=Moved("lead", "prospect", "prospect_replied"))  # fmt: skip
    command = Event(at, Direction.INTERNAL, "command", summary="a@x: #quote 1500", command="quote")
    for event in (moved, command):
        assert event_from_dict(event_to_dict(event)) == event
    legacy = [
        {"at": at.isoformat(), "direction": "internal", "kind": "status", "message_id": "",
         "summary": "status call → email (information_sent)", "folder": "", "uid": 0},
        {"at": at.isoformat(), "direction": "internal", "kind": "command", "message_id": "",
         "summary": "alice@acme.example: #sale 1200 INV-7", "folder": "", "uid": 0},
        {"at": at.isoformat(), "direction": "internal", "kind": "note", "message_id": "",
         "summary": "alice@acme.example: #note call after 5", "folder": "", "uid": 0},
    ]  # fmt: skip
    status, sale, note = (event_from_dict(d) for d in legacy)
    assert status.moved == Moved("call", "email", "information_sent")
    assert (sale.command, sale.moved) == ("sale", None)
    assert (note.command, note.moved) == ("", None)
