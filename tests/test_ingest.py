"""The poller on a fake mailbox: exactly once, resync without duplicates, poison quarantined."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from inbox_agent.config import load_settings
from inbox_agent.exceptions import MailboxConnectionError
from inbox_agent.mail.classify import ClassifyPolicy, Verdict
from inbox_agent.mail.message import Message
from inbox_agent.plan.inbound import InboundRules
from inbox_agent.poller import Folder, PollReport, poll_folder
from inbox_agent.records.prospect import Stage, Status
from inbox_agent.rules import inbound_rules
from inbox_agent.store import Store
from inbox_agent.workers import ReaderPool
from tests import mailgen
from tests.fakes import FakeMailbox

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> InboundRules:
    return inbound_rules(load_settings(ROOT / "rules.toml"))


def poll(box: FakeMailbox, store: Store, rules: InboundRules, batch: int = 3) -> PollReport:
    reader = ReaderPool(rules.reading, workers=1)
    return poll_folder(
        box, store, rules, Folder("INBOX"), now=lambda: NOW, reader=reader, batch_size=batch
    )


def test_each_kind_is_recorded_once(store: Store, rules: InboundRules) -> None:
    box = FakeMailbox()
    for raw in (
        mailgen.inquiry(),
        mailgen.form_notification(),
        mailgen.bounce(),
        mailgen.out_of_office(),
        mailgen.mailing_list(),
        mailgen.no_headers(),
    ):
        box.add(raw)
    report = poll(box, store, rules)
    assert report.kinds == {"inquiry": 2, "bounce": 1, "auto_reply": 1, "list": 1, "quarantine": 1}
    emails = sorted(p.email for p in store.prospects())
    assert emails == ["jane@example.org", "sam@example.net"]  # the visitor, never wordpress@
    form = store.open_prospect_for("sam@example.net")
    assert form is not None and form.source == "website" and form.interest == "quote"
    assert [q.uid for q in store.quarantined()] == [6]
    again = poll(box, store, rules)
    assert again.fetched == 0 and len(store.prospects()) == 2


def test_second_inquiry_joins_the_open_record(store: Store, rules: InboundRules) -> None:
    box = FakeMailbox()
    box.add(mailgen.inquiry())
    box.add(mailgen.inquiry(subject="One more thing", body="Also, do you sell red ones?"))
    poll(box, store, rules)
    [record] = store.prospects()
    assert [e.kind for e in record.timeline if e.direction == "in"] == ["inquiry", "prospect_reply"]
    assert len(record.message_ids) == 2


def test_uidvalidity_change_resyncs_without_duplicates(store: Store, rules: InboundRules) -> None:
    box = FakeMailbox()
    for i in range(5):
        box.add(mailgen.inquiry(sender=f"p{i}@example.org"))
    poll(box, store, rules)
    box.renumber()
    box.add(mailgen.inquiry(sender="late@example.org"))
    report = poll(box, store, rules)
    assert report.resynced and report.duplicates == 5
    assert len(store.prospects()) == 6
    checkpoint = store.checkpoint("INBOX")
    assert checkpoint is not None and checkpoint.uidvalidity == 2


def test_dropped_connection_mid_poll_keeps_committed_batches(
    store: Store, rules: InboundRules
) -> None:
    box = FakeMailbox(fail_fetch_after=1)
    for i in range(7):
        box.add(mailgen.inquiry(sender=f"p{i}@example.org"))
    with pytest.raises(MailboxConnectionError):
        poll(box, store, rules, batch=3)
    checkpoint = store.checkpoint("INBOX")
    assert len(store.prospects()) == 3 and checkpoint is not None and checkpoint.last_uid == 3
    box.fail_fetch_after = None
    poll(box, store, rules, batch=3)
    assert len(store.prospects()) == 7


def test_poison_message_never_blocks(
    store: Store, rules: InboundRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inbox_agent.mail.classify import classify as real  # what reading.classify is

    def breaks_on_poison(msg: Message, policy: ClassifyPolicy, **kw: bool) -> Verdict:
        if "poison" in msg.subject:
            raise ValueError("detector bug")
        return real(msg, policy, **kw)

    monkeypatch.setattr("inbox_agent.mail.reading.classify", breaks_on_poison)
    box = FakeMailbox()
    box.add(mailgen.inquiry(subject="poison"))
    box.add(mailgen.inquiry(sender="ok@example.org"))
    report = poll(box, store, rules)
    assert report.quarantined == 1
    assert "detector bug" in store.quarantined()[0].reason
    assert [p.email for p in store.prospects()] == ["ok@example.org"]


def test_returning_customer_gets_a_new_linked_record(store: Store, rules: InboundRules) -> None:
    from dataclasses import replace

    box = FakeMailbox()
    box.add(mailgen.inquiry())
    poll(box, store, rules)
    [old] = store.prospects()
    with store.transaction():
        store.save_prospect(replace(old, stage=Stage.CUSTOMER, status=Status.DONE))
    box.add(mailgen.inquiry(subject="Now I need spare parts"))
    poll(box, store, rules)
    new = store.open_prospect_for("jane@example.org")
    assert new is not None and new.id != old.id
    assert new.previous_id == old.id and new.stage == "prospect" and new.status == "new"


@pytest.mark.parametrize("beside_a_thread", [False, True], ids=["forked", "spawned"])
def test_worker_processes_read_a_big_batch_like_one_process(
    store: Store, rules: InboundRules, beside_a_thread: bool
) -> None:
    from inbox_agent.workers import PARALLEL_FROM, ReaderPool

    box = FakeMailbox()
    raws = [mailgen.inquiry(sender=f"p{i}@example.org") for i in range(PARALLEL_FROM + 4)]
    raws += [mailgen.bounce(), mailgen.no_headers(), mailgen.form_notification()]
    for raw in raws:
        box.add(raw)
    released = threading.Event()
    other = threading.Thread(target=released.wait, daemon=True)
    if beside_a_thread:  # like the daemon's scheduler: forking beside it would be unsafe
        other.start()
    before = {c.pid for c in psutil.Process().children()}  # a Dovecot, a resource tracker
    try:
        with ReaderPool(rules.reading, workers=2) as reader:
            parallel = reader.read(box.fetch(sorted(box.messages)))
            assert reader._pool is not None  # really went through the workers
            found = [c for c in psutil.Process().children() if c.pid not in before]
            workers = [" ".join(c.cmdline()) for c in found]
    finally:
        released.set()
    workers = [w for w in workers if "resource_tracker" not in w]
    spawned = [w for w in workers if "spawn_main" in w]
    if beside_a_thread:
        assert len(spawned) == 2
    elif threading.active_count() == 1:  # nothing else in this test process runs a thread
        assert spawned == [] and len(workers) == 2
    inline = ReaderPool(rules.reading, workers=1).read(box.fetch(sorted(box.messages)))
    assert [type(r).__name__ for r in parallel] == [type(r).__name__ for r in inline]
    assert [getattr(r, "kind", None) for r in parallel] == [
        getattr(r, "kind", None) for r in inline
    ]
    with ReaderPool(rules.reading, workers=2) as pool:
        report = poll_folder(box, store, rules, Folder("INBOX"), now=lambda: NOW,
                             reader=pool, batch_size=100)  # fmt: skip
    assert report.quarantined == 1 and len(store.prospects()) == PARALLEL_FROM + 5


def test_a_form_leads_subject_is_the_forms_not_the_robots(
    store: Store, rules: InboundRules
) -> None:
    box = FakeMailbox()
    box.add(mailgen.form_notification())  # subject "[Acme Widgets] Pricing"; form field "Subject"
    poll(box, store, rules)
    [record] = store.prospects()
    assert record.subject == "Pricing"
