"""No lead is thrown away: every message ends as an event on a record, a logged robot, or a
quarantine entry with its reason — never nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_agent.config import Settings
from inbox_agent.mail.classify import Kind
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from tests import mailgen
from tests.conftest import Clock
from tests.fakes import FakeCourier, FakeMailbox

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PEOPLE = frozenset({Kind.INQUIRY, Kind.PROSPECT_REPLY})


def no_usable_from(value: str) -> bytes:
    raw = mailgen.inquiry(body="Hello, I need a quote for 40 blue widgets, delivered in May.")
    return raw.replace(b"From: Jane Doe <jane@example.org>", f"From: {value}".encode())


@pytest.mark.parametrize("value", ["undisclosed-recipients:;", "!!!%%%", "dana at host", ""])
def test_an_inquiry_with_no_usable_sender_is_held_for_a_person(
    value: str, settings: Settings, store: Store, clock: Clock
) -> None:
    box = FakeMailbox(clock=clock)
    box.add(no_usable_from(value))
    report = Runner(settings, store, courier=FakeCourier(), now=clock).cycle(box)
    [held] = store.quarantined()
    assert held.uid == 1 and "no address to answer" in held.reason and "by hand" in held.reason
    assert held.subject == "Question about your widgets"
    assert report.poll.quarantined == 1 and store.prospects() == []


def every_sample() -> list[Path]:
    folders = [
        DATA / "corpus",
        DATA / "handmade",
        DATA / "notifications",
        ROOT / "inbox_agent" / "samples",
    ]
    return sorted(
        p
        for f in folders
        for p in f.rglob("*")
        if p.is_file() and p.suffix in (".eml", ".txt", ".msg", "")
    )


def test_every_message_ends_as_a_record_event_a_logged_robot_or_quarantine(
    settings: Settings, store: Store, clock: Clock
) -> None:
    box = FakeMailbox(clock=clock)
    files = [p for p in every_sample() if p.name not in ("SOURCES.md", "README.md")]
    by_uid = {box.add(p.read_bytes()): p for p in files}
    for value in ("undisclosed-recipients:;", "dana at host"):
        by_uid[box.add(no_usable_from(value))] = Path(f"<no usable From: {value}>")
    Runner(settings, store, courier=FakeCourier(), now=clock).cycle(box)
    logged = {m.uid: m for m in store.messages() if m.folder == "INBOX"}
    held = {q.uid for q in store.quarantined() if q.folder == "INBOX"}
    records = {p.id: p for p in store.prospects()}
    lost = []
    for uid, path in by_uid.items():
        entry = logged.get(uid)
        if entry is None:
            lost.append(f"{path}: not logged")
        elif entry.kind in PEOPLE and uid not in held:
            record = records.get(entry.prospect_id) if entry.prospect_id else None
            if record is None or entry.message_id not in {e.message_id for e in record.timeline}:
                lost.append(f"{path}: a person's mail on no record, and not held")
        elif entry.kind == Kind.QUARANTINE and uid not in held:
            lost.append(f"{path}: logged as quarantined, but not in quarantine")
        elif entry.kind not in PEOPLE and not entry.reason:
            lost.append(f"{path}: {entry.kind} without a reason")
    assert lost == []
    assert len(by_uid) > 250  # the whole corpus went through
