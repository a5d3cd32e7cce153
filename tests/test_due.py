"""``inbox-agent due``: what will be sent, or asked of whom, and when — read from the store by a
separate process, without doing any of it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inbox_agent.records.prospect import Direction, Event, Prospect, Status
from inbox_agent.store import Store

ROOT = Path(__file__).resolve().parent.parent
TUESDAY_9AM = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 09:00 in Johannesburg (rules.toml)


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "rules.toml"
    config.write_text(
        (ROOT / "rules.toml").read_text().replace('path = "data/prospects.json"', 'path = "p.json"')
        .replace('templates = "templates"', f'templates = "{ROOT / "templates"}"')
    )  # fmt: skip
    return config


def _due(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inbox_agent", "--config", str(config), "due", *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_due_says_what_goes_when_and_does_nothing(tmp_path: Path) -> None:
    config = _config(tmp_path)
    answered = TUESDAY_9AM + timedelta(hours=1)
    with Store.open(tmp_path / "p.json") as store, store.transaction():
        store.save_prospect(Prospect(
            email="jane@example.org", created_at=TUESDAY_9AM, name="Jane", status=Status.EMAIL,
            assigned_to="alice@example.com", information_sent_at=answered,
            timeline=(Event(answered, Direction.OUT, "agent_reply", "ans-1@example.com"),),
        ))  # fmt: skip
        store.save_prospect(Prospect(  # nobody answered Bob: his agent is told at 72 h
            email="bob@example.org", created_at=TUESDAY_9AM, status=Status.CALL,
            assigned_to="alice@example.com",
        ))  # fmt: skip
    before = (tmp_path / "p.json.journal").read_bytes()
    early = _due(config, "--at", (answered + timedelta(hours=47)).isoformat(), "--json")
    assert early.returncode == 0, early.stderr
    jane, bob = json.loads(early.stdout)
    assert (jane["what"], jane["to"], jane["template"]) == (
        "courtesy_note", ["jane@example.org"], "courtesy_note")  # fmt: skip
    goes = datetime.fromisoformat(jane["sends_at"])
    assert goes == answered + timedelta(hours=48) and jane["now"] == []
    assert goes.utcoffset() == timedelta(hours=2)  # the business's time, as the table shows it
    assert bob["what"] == "information_overdue"
    assert bob["to"] == ["alice@example.com", "owner@example.com"]
    late = _due(config, "--at", (answered + timedelta(hours=49)).isoformat(), "--json")
    assert json.loads(late.stdout)[0]["now"] == ["1:followup:1"]
    table = _due(config, "--at", "2026-12-03T11:00:00+02:00")
    assert "#1" in table.stdout and "courtesy_note" in table.stdout and "now" in table.stdout
    assert (tmp_path / "p.json.journal").read_bytes() == before  # nothing queued, nothing sent
    wrong = _due(config, "--at", "next tuesday")
    assert wrong.returncode == 2 and "not an ISO time" in wrong.stderr
