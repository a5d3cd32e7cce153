"""The store refuses to guess, keeps what it needs to rebuild itself, and lets readers look
while the writer works."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_agent.exceptions import StoreCorruptError, StoreError, StoreLockedError
from inbox_agent.records.prospect import Checkpoint, Prospect
from inbox_agent.sending.actions import Acknowledge
from inbox_agent.sending.outbox import Delivery
from inbox_agent.store import Store
from inbox_agent.store.database import JournalStorage
from inbox_agent.store.repair import check, restore

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def fill(path: Path, emails: list[str], *, compact: bool = False) -> None:
    with Store.open(path) as store:
        for email in emails:
            with store.transaction():
                store.save_prospect(Prospect(email=email, created_at=T0))
        if compact:
            assert isinstance(store._db._storage, JournalStorage)
            store._db._storage.snapshot()


def emails(path: Path) -> list[str]:
    with Store.open(path) as store:
        return [p.email for p in store.prospects()]


def test_a_new_store_is_made_only_where_none_was(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    assert emails(path) == []
    assert json.loads(path.read_text())["_store"]["1"]["generation"] == 1


@pytest.mark.parametrize("damage", ["missing", "empty", "whitespace"])
def test_a_lost_snapshot_is_an_error_not_an_empty_store(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "p.json"
    fill(path, [f"p{i}@x.test" for i in range(6)], compact=True)  # the records are folded in
    if damage == "missing":
        path.unlink()
    else:
        path.write_text("" if damage == "empty" else "  \n\t ")
    with pytest.raises(StoreCorruptError, match="store restore") as caught:
        Store.open(path)
    assert "nothing was read, to lose nothing" in str(caught.value)
    with pytest.raises(StoreCorruptError):
        Store.open(path, read_only=True)
    assert not path.exists() or not path.read_text().strip()  # nothing was written over it


@pytest.mark.parametrize("text", ["[]", '{"prospects:0": "x"}', '{"prospects:0": {"1": 5}}', "{"])
def test_a_snapshot_of_the_wrong_shape_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(StoreCorruptError, match="not a store file"):
        Store.open(path)


def test_an_older_snapshot_put_back_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    fill(path, ["a@x.test"], compact=True)
    old = path.read_bytes()
    fill(path, ["b@x.test"], compact=True)
    path.write_bytes(old)  # someone restored last week's copy by hand
    with pytest.raises(StoreCorruptError, match="replaced by an older one"):
        Store.open(path)


def test_restore_rebuilds_exactly_from_the_backups(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    fill(path, ["a@x.test", "b@x.test"], compact=True)
    fill(path, ["c@x.test"], compact=True)
    fill(path, ["d@x.test"])  # after the last compaction: only in the journal
    path.write_text("")
    assert check(path).problems
    assert "restored exactly: 4 records" in restore(path)
    assert emails(path) == ["a@x.test", "b@x.test", "c@x.test", "d@x.test"]
    assert not check(path).problems
    assert list(tmp_path.glob("p.json.broken-*"))  # the damaged file is kept aside
    assert restore(path).endswith("reads fine: nothing to restore.")


def test_restore_with_a_gap_needs_consent_and_marks_waiting_mail_not_sent(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    fill(path, ["a@x.test"])
    with Store.open(path) as store, store.transaction():
        store.queue(Acknowledge(1, "a@x.test"), T0)  # waiting when the backup is taken
    fill(path, [], compact=True)
    fill(path, ["b@x.test"], compact=True)
    path.unlink()
    (tmp_path / "p.json.journal.bak").unlink()  # the folded journal is gone too
    with pytest.raises(StoreError, match="accept-loss"):
        restore(path)
    assert "1 waiting mails marked not sent" in restore(path, accept_loss=True)
    with Store.open(path) as store:
        [entry] = store.outbox()
        assert entry.status == Delivery.FAILED and "may have gone out" in entry.last_error
        assert store.outbox_open() == []  # no one is mailed twice


def test_restore_refuses_while_the_writer_holds_the_store(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    with Store.open(path), pytest.raises(StoreLockedError, match="only read"):
        restore(path)


def _write_and_compact(path: Path, rounds: int) -> None:  # pragma: no cover - child process
    with Store.open(path) as store:
        for i in range(rounds):
            with store.transaction():
                store.save_prospect(Prospect(email=f"w{i}@x.test", created_at=T0))
                store.set_checkpoint(Checkpoint("INBOX", 1, i + 1))
            if i % 7 == 0:
                assert isinstance(store._db._storage, JournalStorage)
                store._db._storage.snapshot()
    os._exit(0)


def test_readers_beside_the_writer_never_see_a_torn_view(tmp_path: Path) -> None:
    """A reader in a loop while the writer commits and compacts: every view it gets is a state
    the writer committed (as many records as the checkpoint says), never a mix of two."""
    path = tmp_path / "p.json"
    Store.open(path).close()
    writer = multiprocessing.get_context("fork").Process(
        target=_write_and_compact, args=(path, 300)
    )
    writer.start()
    views = 0
    while writer.is_alive() or views == 0:
        with Store.open(path, read_only=True) as reader:
            checkpoint = reader.checkpoint("INBOX")
            assert len(reader.prospects()) == (checkpoint.last_uid if checkpoint else 0)
            with pytest.raises(StoreError, match="read only"), reader.transaction():
                pass
        views += 1
    writer.join(30)
    assert writer.exitcode == 0 and views > 1
    with Store.open(path, read_only=True) as reader:
        assert len(reader.prospects()) == 300


def test_the_reading_commands_work_while_a_writer_holds_the_store(tmp_path: Path) -> None:
    config = tmp_path / "rules.toml"
    root = Path(__file__).resolve().parent.parent
    config.write_text(
        (root / "rules.toml").read_text().replace('path = "data/prospects.json"', 'path = "p.json"')
        .replace('templates = "templates"', f'templates = "{root / "templates"}"')
    )  # fmt: skip
    fill(tmp_path / "p.json", ["jane@example.org"])
    with Store.open(tmp_path / "p.json"):  # the daemon, say

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "inbox_agent", "--config", str(config), *args],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip

        for args in (("prospects", "--json"), ("show", "1"), ("quarantine",),
                     ("preview", "acknowledgment", "1"), ("store", "check")):  # fmt: skip
            done = run(*args)
            assert done.returncode == 0, (args, done.stderr)
        assert "jane@example.org" in run("show", "jane@example.org").stdout
        writing = run("poll")
        assert writing.returncode == 1 and "stop the other one first" in writing.stderr
