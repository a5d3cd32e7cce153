"""The digest's and the monthly review's figures, exactly, for the fixture business
(``tests/reportdata.py``): the digest of Thursday 3 December 2026, made 4 December 07:30.

How the expected values were worked out (by hand, from the records' times):

- median: the middle value, or the mean of the two middle ones; p90: nearest rank — sort the n
  values and take the one at rank ceil(0.9 n), so for n <= 9 it is the largest.
- 3 Dec (the day): inquiries #1-#6. Acknowledged #1 5 s, #2 3 s, #3 10 s, #4 4 s, #6 6 s
  (#5 never): 5 of 6 within 24 h; sorted 3 4 5 6 10 -> median 5 s, p90 (rank 5) 10 s.
  First answers #1 20 min, #3 50 min, #2 2 h, #6 9 h -> median (50 min + 2 h) / 2 = 1 h 25 min,
  p90 (rank 4) 9 h; over 1 h: #2, #6; over 24 h: none; not answered: #4, #5.
  Information due 3 Dec (received 30 Nov): #11 sent after 24 h (on time), #12 none (missed),
  #15 closed on 1 Dec with none sent (owed nothing) -> 1 of 2, missed #12.
- 2 Dec: inquiries #7-#9. Acknowledged 2 s, 8 s, 1 s -> median 2 s, p90 (rank 3) 8 s.
  Answers #8 40 min, #7 26 h -> median 13 h 20 min, p90 (rank 2) 26 h; over 1 h and over
  24 h: #7; not answered: #9. Information due 2 Dec: #14, sent after 74 h -> missed.
- 1-3 Dec: inquiries #1-#10. Acknowledged 1 2 3 3 4 5 6 8 10 s (not #5) -> median 4 s, p90
  (rank 9) 10 s. Answers 20 min, 40 min, 50 min, 2 h, 5 h, 9 h, 26 h -> median 2 h, p90
  (rank 7) 26 h; over 1 h: 4; over 24 h: 1; not answered: #4, #5, #9. Information due: #11 on
  time, #12 and #14 missed.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inbox_agent.records.prospect import Event, Prospect
from inbox_agent.report.daily import digest, reach
from inbox_agent.report.facts import Facts
from inbox_agent.report.lists import revive_calls, waiting
from inbox_agent.report.measures import Measures, measure
from inbox_agent.report.money import Money, read_amount
from inbox_agent.report.monthly import months
from inbox_agent.report.needs import needs
from inbox_agent.report.periods import day_window, month_to_date, month_window
from inbox_agent.report.stats import median, p90, percentile
from inbox_agent.reporting import report_facts
from inbox_agent.sending.actions import MailKind
from inbox_agent.store import Store
from tests import reportdata as rd
from tests.reportdata import ALICE, BOB, DAY, NOW, RULES, TZ, H, M, S

D1, D2, D3 = date(2026, 12, 1), date(2026, 12, 2), DAY


def windows() -> tuple[Measures, Measures, Measures]:
    courses = rd.facts().courses
    day = measure(courses, day_window(D3, TZ, NOW), RULES)
    previous = measure(courses, day_window(D2, TZ, NOW), RULES)
    mtd = measure(courses, month_to_date(D3, TZ, NOW), RULES)
    return day, previous, mtd


def test_median_and_nearest_rank_p90() -> None:
    assert median([]) is None and p90([]) is None
    assert median([3 * S]) == 3 * S and p90([3 * S]) == 3 * S
    assert median([4 * S, 1 * S]) == timedelta(seconds=2.5)  # the mean of the two middle ones
    ten = [i * S for i in range(10, 0, -1)]  # 10 s down to 1 s
    assert median(ten) == timedelta(seconds=5.5)
    assert p90(ten) == 9 * S  # rank ceil(9.0) = 9
    assert p90([*ten, 11 * S]) == 10 * S  # n = 11: rank ceil(9.9) = 10
    assert percentile(ten, 50) == 5 * S  # nearest rank, not interpolated
    with pytest.raises(ValueError):
        percentile(ten, 0)


@pytest.mark.parametrize(
    ("written", "currency", "value"),
    [
        ("1500", "", "1500"),
        ("R 12,500", "R", "12500"),
        ("R8000", "R", "8000"),
        ("€ 1.500,00", "€", "1500.00"),
        ("1,500.50", "", "1500.50"),
        ("1.500,-", "", "1500"),
        ("1'500 CHF", "CHF", "1500"),
        ("US$ 2,000", "US$", "2000"),
        ("12,5", "", "12.5"),
    ],
)
def test_amounts_as_agents_write_them(written: str, currency: str, value: str) -> None:
    assert read_amount(written) == (currency, Decimal(value))


def test_money_adds_per_currency_and_counts_what_it_cannot_read() -> None:
    total = Money.of(["R 1,000", "R500", "€ 3", "on request"])
    assert total.totals == {"R": Decimal(1500), "€": Decimal(3)} and total.unread == 1
    assert total.text() == "R 1,500 + € 3" or total.text() == "€ 3 + R 1,500"
    assert Money().text() == "\u2013"


def test_days_follow_local_midnight_and_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    late = datetime(2027, 1, 1, tzinfo=berlin)
    autumn = day_window(date(2026, 10, 25), berlin, late)
    spring = day_window(date(2026, 3, 29), berlin, late)
    assert autumn.end - autumn.start == 25 * H and spring.end - spring.start == 23 * H
    today = day_window(D3, TZ, rd.at(3, "10:00"))
    assert today.end == rd.at(3, "10:00")  # cut off at now: today so far
    assert month_window(D3, TZ, late).start == datetime(2026, 12, 1, tzinfo=TZ)
    assert month_to_date(D1, TZ, late).label == "Dec 1" and month_to_date(D3, TZ, late).label == (
        "Dec 1\u20133"
    )


def test_the_days_inquiries_and_speed_to_lead() -> None:
    day, previous, mtd = windows()
    assert (day.inquiries, previous.inquiries, mtd.inquiries) == (6, 3, 10)
    assert day.by_source == Counter(website=2, facebook=2, email=2)
    assert mtd.by_source == Counter(website=3, email=3, facebook=2, linkedin=1, referral=1)
    assert day.by_sub_source == Counter({("website", "spring campaign"): 1})
    assert day.by_interest == Counter(product_information=4, quote=2)

    assert (day.acknowledged, day.acknowledged_in_time) == (5, 5)
    assert (median(day.ack_times), p90(day.ack_times)) == (5 * S, 10 * S)
    assert (median(previous.ack_times), p90(previous.ack_times)) == (2 * S, 8 * S)
    assert (mtd.acknowledged_in_time, median(mtd.ack_times), p90(mtd.ack_times)) == (
        9, 4 * S, 10 * S,
    )  # fmt: skip

    assert (median(day.response_times), p90(day.response_times)) == (H + 25 * M, 9 * H)
    assert (day.responded_over_hour, day.responded_over_day, day.unanswered) == (2, 0, 2)
    assert (median(previous.response_times), p90(previous.response_times)) == (
        13 * H + 20 * M, 26 * H,
    )  # fmt: skip
    assert (previous.responded_over_hour, previous.responded_over_day) == (1, 1)
    assert (median(mtd.response_times), p90(mtd.response_times)) == (2 * H, 26 * H)
    assert (mtd.responded_over_hour, mtd.responded_over_day, mtd.unanswered) == (4, 1, 3)


def test_information_within_72_hours_is_counted_where_the_deadline_fell() -> None:
    day, previous, mtd = windows()
    assert (day.info_due, day.info_on_time, day.info_missed) == (2, 1, [12])
    assert (previous.info_due, previous.info_on_time, previous.info_missed) == (1, 0, [14])
    assert (mtd.info_due, mtd.info_on_time, mtd.info_missed) == (3, 1, [12, 14])


def test_follow_ups_stage_moves_quotes_and_sales() -> None:
    day, previous, mtd = windows()
    assert day.follow_ups == Counter({MailKind.COURTESY_NOTE: 1})
    assert previous.follow_ups == Counter({MailKind.DRIP: 1})
    assert (day.revive_reminders, mtd.revive_reminders) == (1, 1)
    assert day.stage_moves == Counter({("lead", "prospect"): 1, ("prospect", "customer"): 1})
    assert mtd.stage_moves == Counter({("lead", "prospect"): 2, ("prospect", "customer"): 1})
    assert day.quotes == Counter(website=1) and day.quote_value["website"].text() == "R 12,500"
    assert day.sales == Counter(referral=1) and day.sales_value["referral"].text() == "R 8,000"
    assert mtd.sales == Counter(referral=1, google_ads=1)  # #17's sale on 1 Dec, its quote in Nov
    assert mtd.sales_value["google_ads"].totals == {"€": Decimal("1500.00")}
    assert (day.opted_out, previous.opted_out) == (1, 0)
    # conversion of the cohort, as it stands now: #8 became a prospect, #10 a customer
    assert mtd.became_prospect == Counter(website=1, referral=1)
    assert mtd.became_customer == Counter(referral=1)
    assert mtd.cohort_value["referral"].text() == "R 8,000"


def test_the_table_per_agent() -> None:
    day, _, mtd = windows()
    alice, bob, nobody = day.agents[ALICE], day.agents[BOB], day.agents[""]
    assert (alice.assigned, median(alice.response_times), alice.info_due, alice.info_on_time,
            alice.follow_ups, alice.quotes, alice.sales) == (2, 20 * M, 1, 1, 1, 0, 0)  # fmt: skip
    assert (bob.assigned, median(bob.response_times), bob.info_due, bob.info_on_time,
            bob.quotes, bob.sales, bob.sales_value.text()) == (
        2, 5 * H + 30 * M, 1, 0, 1, 1, "R 8,000",
    )  # fmt: skip
    assert (nobody.assigned, median(nobody.response_times)) == (2, 50 * M)
    assert (mtd.agents[ALICE].assigned, median(mtd.agents[ALICE].response_times)) == (
        4, 13 * H + 10 * M,
    )  # fmt: skip
    assert mtd.agents[BOB].sales_value.text() == "R 8,000 + € 1,500"


def test_who_is_waiting_now_oldest_first_and_the_revive_calls() -> None:
    courses = rd.facts().courses
    found = waiting(courses, NOW, RULES)
    assert [(w.prospect.id, w.reasons) for w in found] == [
        (18, ("nobody assigned", "not acknowledged in 24 h", "no information in 72 h")),
        (12, ("no information in 72 h",)),
        (3, ("nobody assigned",)),
        (5, ("nobody assigned",)),
    ]
    [call] = revive_calls(courses, day_window(D3, TZ, NOW))
    assert (call.prospect.id, call.agent, call.reminded_at) == (13, ALICE, rd.at(3, "08:30"))


def test_what_needs_a_person() -> None:
    found = {n.name: n for n in needs(rd.facts(), day_window(D3, TZ, NOW), RULES)}
    items = {name: [(i.record, i.what) for i in n.items] for name, n in found.items()}
    assert items == {
        "bounced": [(4, "pat@example.net")],
        "opted_out": [(9, "p9@example.org")],
        "held_as_spam": [(None, "INBOX uid 41")],  # the one of 2 Dec is not the day's
        "quarantined": [(None, "INBOX uid 43: Price?")],
        "undeliverable": [(4, "acknowledgment to pat@example.net")],
        "unverified_agent_mail": [],
        "caps_tripped": [],
        "attention": [(12, "p12@example.org")],
    }


def test_the_digest_names_every_record_by_its_number_and_links_phones() -> None:
    data = digest(rd.facts(), DAY, NOW, RULES)
    assert data["day"] == "2026-12-03" and data["periods"] == [
        "Thu 3 Dec",
        "Wed 2 Dec",
        "Dec 1\u20133",
    ]
    assert [s["id"] for s in data["sections"]] == [
        "inquiries", "speed", "information", "follow_ups", "waiting", "stages", "sales",
        "agents", "needs",
    ]  # fmt: skip
    assert data["subject"] == ("Acme Widgets digest, Thu 3 Dec: 6 new, 4 waiting, 6 need a person")
    cells = [
        c for s in data["sections"] for t in s["tables"] for r in t["rows"] for c in r["cells"]
    ]
    named = {c["text"] for c in cells if c["text"].startswith("#")}
    assert {
        "#18 Pat18 Lee",
        "#12 Pat12 Lee",
        "#3 Pat3 Lee",
        "#5 Pat5 Lee",
        "#13 Pat13 Lee",
    } <= named
    assert {"text": "+27821234567", "href": "tel:+27821234567"} in cells
    headline = {h["label"]: h["value"] for h in data["headline"]}
    assert headline == {"New inquiries": "6", "Acknowledged within 24 h": "83%",
                        "First answer, median": "1 h 25 min", "Waiting now": "4",
                        "Need a person": "6"}  # fmt: skip


def test_the_store_gives_the_reports_the_same_figures(tmp_path: Path) -> None:
    """Read back through the store's fast reader (timelines cut to the events the reports read,
    from the digest's reach on; closed records untouched since left out), the digest is the
    same as from the records themselves."""
    original = rd.facts()
    with Store.open(tmp_path / "p.json") as store, store.transaction():
        for p in sorted(original.prospects, key=lambda p: p.id):
            store.save_prospect(p)
        for m in original.messages:
            store.log_message(m)
        for q in original.quarantined:
            store.quarantine(q)
        for s in original.suppressions:
            store.suppress(s)
        for e in original.undeliverable:
            store.save_entry(e)
    with Store.open(tmp_path / "p.json", read_only=True) as reader:
        read = report_facts(reader, reach(DAY, RULES))
    by_id = {p.id: p for p in read.prospects}
    assert 19 not in by_id  # closed in October, untouched since: nothing to report
    assert by_id[18].timeline == () and by_id[18].status == "call"  # open, untouched: light
    assert [e.kind for e in by_id[16].timeline] == ["drip"]  # the only recent event
    assert [e.kind for e in by_id[8].timeline] == ["stage", "command"]  # read ones only
    assert len(by_id[13].timeline) == len(rd.prospects()[12].timeline)  # revive: read whole
    assert digest(read, DAY, NOW, RULES) == digest(original, DAY, NOW, RULES)


def _month_of_records(tz: ZoneInfo) -> tuple[Prospect, ...]:
    """Records spread over October 2026 in a zone with daylight saving (it ends on 25 Oct:
    that day has 25 hours), with answers and information at all sorts of delays, some across
    midnight and the month's end."""
    import random

    rng = random.Random(20261025)
    found = []
    start = datetime(2026, 9, 26, tzinfo=tz)
    for i in range(1, 400):
        created = start + timedelta(minutes=rng.randrange(0, 40 * 24 * 60))
        answer = timedelta(minutes=rng.choice([1, 30, 59, 61, 300, 1439, 1441, 4000, 5000]))
        events: tuple[Event, ...] = ()
        if rng.random() < 0.3:
            events = (rd.sent(created + 2 * 24 * H, "courtesy_note"),)
        found.append(rd.record(
            i, created, rng.choice(["website", "email", "facebook"]),
            agent=rng.choice([ALICE, BOB, None]), ack=timedelta(seconds=rng.randrange(1, 90000)),
            answer=answer if rng.random() < 0.8 else None,
            info=answer + timedelta(hours=rng.choice([0, 10, 80])), events=events,
            sub_source=rng.choice(["", "", "autumn"]),
        ))  # fmt: skip
    return tuple(found)


def test_a_months_figures_are_the_sums_of_its_days() -> None:
    """``report`` counts equal the sum of the month's digests (each day's figures, made at the
    same moment), across the 25-hour day of 25 October."""
    berlin = ZoneInfo("Europe/Berlin")
    rules = type(RULES)(RULES.business, berlin, agents=RULES.agents)
    facts = Facts(_month_of_records(berlin))
    now = datetime(2026, 11, 20, tzinfo=berlin)
    month, _ = months(facts, date(2026, 10, 1), now, rules)  # what ``report`` shows
    days: Counter[str] = Counter()
    for n in range(1, 32):
        day = measure(facts.courses, day_window(date(2026, 10, n), berlin, now), rules)
        days.update(day.counts())  # what the digest of that day shows as "the day"
    assert month.inquiries > 250 and month.counts()["info_missed"] > 10
    assert dict(days) == month.counts()
