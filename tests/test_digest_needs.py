"""What needs a person, in the digest: the safety work's and the follow-ups' items reach the
owner — unverified agent-looking mail, caps that held automatic mail back, people who asked us
to stop — and each is listed once, in its own section (``report.needs``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox_agent.mail.classify import Kind
from inbox_agent.records.prospect import (
    Barred,
    LoggedMessage,
    Prospect,
    Status,
    Suppression,
)
from inbox_agent.report.facts import Facts
from inbox_agent.report.needs import needs
from inbox_agent.report.periods import Window
from inbox_agent.sending.actions import CapNotice
from inbox_agent.sending.outbox import OutboxEntry
from tests import reportdata as rd

DAY = Window(datetime(2026, 12, 3, tzinfo=UTC), datetime(2026, 12, 4, tzinfo=UTC), "3 Dec")
AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
BEFORE = AT - timedelta(days=2)


def _facts() -> Facts:
    stopped = Prospect(id=7, email="jo@example.net", created_at=BEFORE, status=Status.DONE,
                       opted_out_at=AT, lost_reason='opted out ("stop emailing me")')  # fmt: skip
    forged = LoggedMessage("k1", "<m1@x>", "INBOX", 11, Kind.AGENT_REPLY,
                           "unverified: no Authentication-Results of mx.example.com", AT, 3,
                           sender="alice@example.com", unverified=True)  # fmt: skip
    trusted = LoggedMessage("k2", "<m2@x>", "INBOX", 12, Kind.AGENT_REPLY, "verified", AT, 3,
                            sender="alice@example.com")  # fmt: skip
    hour = "2026-12-03T10:00"
    notices = tuple(
        OutboxEntry(CapNotice(9, who, "domain", "10 an hour", hour), AT)
        for who in ("alice@example.com", "owner@example.com")  # one trip, two people told
    )
    return Facts(
        prospects=(stopped,),
        messages=(forged, trusted),
        suppressions=(
            Suppression("jo@example.net", '"stop emailing me"', AT, Barred.OPT_OUT),
            Suppression("gone@example.net", "bounce <b1@x>", AT),
            Suppression("old@example.net", "bounce <b0@x>", BEFORE),  # another day
        ),
        cap_notices=notices,
    )


def test_needs_a_person_lists_each_item_once_in_its_section() -> None:
    found = {n.name: n.items for n in needs(_facts(), DAY, rd.RULES)}
    assert [i.what for i in found["bounced"]] == ["gone@example.net"]  # not the opt-out
    [stop] = found["opted_out"]
    assert (stop.record, stop.detail) == (7, 'opted out ("stop emailing me")')
    [forged] = found["unverified_agent_mail"]
    assert forged.record == 3 and forged.what == "from alice@example.com"
    assert "mx.example.com" in forged.detail
    [cap] = found["caps_tripped"]
    assert cap.what == "the domain cap (10 an hour)" and cap.record == 9
    assert "#9" in cap.detail


def test_nothing_outside_the_day_is_listed() -> None:
    later = Window(DAY.end, DAY.end + timedelta(days=1), "4 Dec")
    found = {n.name: n.items for n in needs(_facts(), later, rd.RULES)}
    assert not any(found[name] for name in ("bounced", "opted_out", "unverified_agent_mail",
                                             "caps_tripped"))  # fmt: skip


def test_the_store_hands_the_reports_the_cap_notices_of_their_reach() -> None:
    from inbox_agent.reporting import report_facts
    from inbox_agent.store import Store

    with Store.memory() as store:
        with store.transaction():
            store.queue(CapNotice(9, "alice@example.com", "mailbox", "100 an hour", "h1"), BEFORE)
            store.queue(CapNotice(9, "alice@example.com", "domain", "10 an hour", "h2"), AT)
        facts = report_facts(store, DAY.start)
    assert [e.action.key for e in facts.cap_notices] == ["cap:domain:h2:alice@example.com"]


def test_an_undeliverable_digest_is_listed_without_a_record_number() -> None:
    from inbox_agent.sending import outbox
    from inbox_agent.sending.actions import Digest
    from inbox_agent.views import undeliverable_table

    failed = outbox.failed(OutboxEntry(Digest("2026-12-03", "owner@x.example"), AT), AT, "550")
    [row] = undeliverable_table([failed]).splitlines()[2:]
    assert "#None" not in row and " - " in row and "owner@x.example" in row
