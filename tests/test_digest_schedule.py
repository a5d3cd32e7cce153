"""When the daily digest goes: once per date, from ``[digest] at`` the day after, in the
business's time zone; across restarts (the outbox key) and downtime (the latest missed day is
sent once when the daemon is back, older ones are not stacked). On fakes, with a moved clock;
``test_dovecot_digest.py`` does the same against the real servers and the real clock."""

from __future__ import annotations

import email
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inbox_agent import reporting
from inbox_agent import timed as timed_module
from inbox_agent.config import Settings
from inbox_agent.exceptions import TemporarySendError, UsageError
from inbox_agent.plan.digest import DigestSchedule, due_day, is_over, worth_sending
from inbox_agent.runner import Runner
from inbox_agent.sending.actions import Digest
from inbox_agent.store import Store
from tests import mailgen
from tests.conftest import Clock
from tests.fakes import FakeCourier, FakeMailbox

SAST = ZoneInfo("Africa/Johannesburg")  # the shipped rules.toml's zone; digest at 07:30
SCHEDULE = DigestSchedule(time(7, 30), SAST, ("owner@example.com",))


def local(day: int, hm: str) -> datetime:
    hour, minute = (int(x) for x in hm.split(":"))
    return datetime(2026, 12, day, hour, minute, tzinfo=SAST).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (local(4, "07:29"), date(2026, 12, 2)),  # before today's time: the day before yesterday's
        (local(4, "07:30"), date(2026, 12, 3)),  # from 07:30: yesterday's
        (local(4, "23:59"), date(2026, 12, 3)),
        (local(5, "00:01"), date(2026, 12, 3)),  # past midnight, before 07:30: still yesterday's
        (datetime(2026, 12, 4, 5, 30, tzinfo=UTC), date(2026, 12, 3)),  # 05:30 UTC = 07:30 SAST
    ],
)
def test_the_day_due_is_the_latest_whose_time_has_come(now: datetime, due: date) -> None:
    assert due_day(SCHEDULE, now) == due


def test_a_day_is_over_at_local_midnight_and_worth_a_digest_once_mail_was_read() -> None:
    assert not is_over(date(2026, 12, 3), SAST, local(3, "23:59"))
    assert is_over(date(2026, 12, 3), SAST, local(4, "00:00"))
    assert not worth_sending(date(2026, 12, 3), SAST, None)  # nothing ever read
    assert not worth_sending(date(2026, 12, 3), SAST, local(4, "09:00"))  # installed afterwards
    assert worth_sending(date(2026, 12, 3), SAST, local(3, "23:00"))


def digests(courier: FakeCourier) -> list[email.message.EmailMessage]:
    found = []
    for _, _, raw in courier.sent:
        msg = email.message_from_bytes(raw, policy=policy.default)
        if "digest" in str(msg["X-Inbox-Agent"]):
            assert isinstance(msg, email.message.EmailMessage)
            found.append(msg)
    return found


def days(courier: FakeCourier) -> list[str]:
    return [str(m["X-Inbox-Agent"]).split(":")[1] for m in digests(courier)]


class Shop:
    """The shipped rules with a journal store; each ``start()`` is a new process's Runner."""

    def __init__(self, settings: Settings, path: Path, clock: Clock) -> None:
        self.settings, self.path, self.clock = settings, path, clock
        self.courier, self.box = FakeCourier(), FakeMailbox(clock=clock)

    def cycle(self) -> list[str]:
        with (
            Store.open(self.path) as store,
            Runner(self.settings, store, courier=self.courier, now=self.clock) as runner,
        ):
            return runner.cycle(self.box).queued


@pytest.fixture
def shop(settings: Settings, tmp_path: Path, clock: Clock) -> Shop:
    assert settings.digest.to == ("owner@example.com",) and settings.digest.at == "07:30"
    return Shop(settings, tmp_path / "p.json", clock)


def test_once_a_day_across_restarts_and_downtime(shop: Shop, clock: Clock) -> None:
    clock.t = local(2, "10:00")
    shop.box.add(mailgen.inquiry())  # the first mail this installation reads
    assert shop.cycle() == []  # 1 Dec ended before it read anything: no digest of an empty day
    clock.t = local(3, "07:29")
    assert shop.cycle() == []
    clock.t = local(3, "07:31")
    assert shop.cycle() == ["digest:2026-12-02:owner@example.com"]
    [mail] = digests(shop.courier)
    assert str(mail["To"]) == "owner@example.com" and mail["Auto-Submitted"] == "auto-generated"
    assert "Wed 2 Dec: 1 new" in str(mail["Subject"])
    assert shop.cycle() == []  # the next wake-up, and a restart (every cycle is a new Runner)
    clock.t = local(3, "18:00")
    assert shop.cycle() == []
    # down from 3 Dec 18:00 to 6 Dec 12:00: the digests of 3, 4 and 5 Dec were due meanwhile
    clock.t = local(6, "12:00")
    assert shop.cycle() == ["digest:2026-12-05:owner@example.com"]  # the latest, once
    assert shop.cycle() == []
    # down again until before the time on 8 Dec: the digest of 6 Dec (due 7 Dec) is sent now,
    # and the one of 7 Dec at its time
    clock.t = local(8, "06:00")
    assert shop.cycle() == ["digest:2026-12-06:owner@example.com"]
    clock.t = local(8, "07:31")
    assert shop.cycle() == ["digest:2026-12-07:owner@example.com"]
    assert days(shop.courier) == ["2026-12-02", "2026-12-05", "2026-12-06", "2026-12-07"]


def test_a_refused_send_is_retried_not_planned_again(shop: Shop, clock: Clock) -> None:
    clock.t = local(2, "10:00")
    shop.box.add(mailgen.inquiry())
    shop.cycle()
    shop.courier.sent.clear()
    shop.courier.failures = [TemporarySendError("451 try later")]
    clock.t = local(3, "07:31")
    assert shop.cycle() == ["digest:2026-12-02:owner@example.com"]
    assert days(shop.courier) == []
    clock.t = local(3, "07:33")
    assert shop.cycle() == []  # not queued again: the waiting entry is retried
    assert days(shop.courier) == ["2026-12-02"]


def test_each_recipient_once_also_one_added_later(
    settings: Settings, shop: Shop, clock: Clock
) -> None:
    clock.t = local(2, "10:00")
    shop.box.add(mailgen.inquiry())
    shop.cycle()
    clock.t = local(3, "07:31")
    shop.cycle()
    shop.settings = replace(
        settings, digest=replace(settings.digest, to=("owner@example.com", "Boss@Example.com"))
    )
    clock.t = local(3, "09:00")
    assert shop.cycle() == ["digest:2026-12-02:boss@example.com"]
    assert sorted(str(m["To"]) for m in digests(shop.courier)) == [
        "boss@example.com", "owner@example.com",
    ]  # fmt: skip


def test_nothing_is_computed_while_nothing_is_due(
    shop: Shop, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon wakes every 30 s: once a day's digest is queued (or not worth it), the next
    cycles only look at the clock, never at the records."""
    made: list[date] = []
    real = reporting.digest_of

    def counting(
        store: Store, settings: Settings, day: date, now: datetime, recipients: Sequence[str]
    ) -> list[Digest]:
        made.append(day)
        return real(store, settings, day, now, recipients)

    monkeypatch.setattr(timed_module, "digest_of", counting)
    clock.t = local(2, "10:00")
    shop.box.add(mailgen.inquiry())
    with (
        Store.open(shop.path) as store,
        Runner(shop.settings, store, courier=shop.courier, now=clock) as one,
    ):
        for minutes in range(0, 24 * 60, 30):  # a day of wake-ups
            clock.t = local(2, "10:00") + timedelta(minutes=minutes)
            one.cycle(shop.box)
    assert made == [date(2026, 12, 2)]  # once, at 07:30 on 3 Dec


def test_send_by_hand_uses_the_same_key_and_refuses_a_day_not_over(
    shop: Shop, clock: Clock, settings: Settings
) -> None:
    clock.t = local(2, "10:00")
    shop.box.add(mailgen.inquiry())
    shop.cycle()
    clock.t = local(3, "06:00")  # before the daily send
    with (
        Store.open(shop.path) as store,
        Runner(settings, store, courier=shop.courier, now=clock) as runner,
    ):
        with pytest.raises(UsageError, match="not over yet"):
            runner.send_digest(date(2026, 12, 3))
        [line] = runner.send_digest(date(2026, 12, 2))
        assert line.startswith("digest of 2026-12-02 to owner@example.com: sent 2026-12-03 06:00")
        [again] = runner.send_digest(date(2026, 12, 2))
        assert again.endswith("before")
    clock.t = local(3, "07:31")
    assert shop.cycle() == []  # the daily send finds it sent
    assert days(shop.courier) == ["2026-12-02"]
    empty = replace(settings, digest=replace(settings.digest, to=()))
    with (
        Store.open(shop.path) as store,
        Runner(empty, store, courier=shop.courier) as runner,
        pytest.raises(UsageError, match="nobody to send it to"),
    ):
        runner.send_digest(date(2026, 12, 2))


def test_a_broken_planner_fails_alone_and_waits_before_trying_again(
    shop: Shop, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the digest must never hold up the mail of the cycle it runs in."""
    calls: list[datetime] = []

    def broken(*args: object) -> list[Digest]:
        calls.append(clock.t)
        raise ZeroDivisionError("a bug meets odd data")

    monkeypatch.setattr(timed_module, "digest_of", broken)
    clock.t = local(2, "10:00")
    shop.box.add(mailgen.inquiry())
    shop.cycle()
    clock.t = local(3, "07:31")
    shop.box.add(mailgen.inquiry(sender="sam@example.net", subject="Another question"))
    with (
        Store.open(shop.path) as store,
        Runner(shop.settings, store, courier=shop.courier, now=clock) as one,
    ):
        report = one.cycle(shop.box)
        assert report.queued == [] and "2:ack" in report.dispatch.sent  # the mail still went
        clock.t += timedelta(minutes=10)
        one.cycle(shop.box)  # paused: not asked again yet
        clock.t += timedelta(minutes=6)
        one.cycle(shop.box)
    assert calls == [local(3, "07:31"), local(3, "07:47")]
    assert "timed work digest_due failed" in caplog.text
