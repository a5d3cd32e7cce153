"""Acknowledgment guards and outbox retry rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox_agent import outbox
from inbox_agent.outbox import OutboxEntry
from inbox_agent.planner import AckPolicy, plan_acknowledgment
from inbox_agent.prospect import Prospect

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
P = Prospect(id=3, email="jane@example.org", created_at=NOW)
POLICY = AckPolicy(max_age=timedelta(hours=72), cap=5, window=timedelta(hours=2))


def plan(prospect: Prospect = P, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "wanted": True, "refusal": "", "arrived": NOW, "now": NOW, "mail_times": [],
        "suppressed": False, "policy": POLICY,
    }  # fmt: skip
    return plan_acknowledgment(prospect, **{**args, **kw})  # type: ignore[arg-type]


def test_a_fresh_inquiry_is_acknowledged() -> None:
    action, _ = plan()
    assert action is not None and action.key == "3:ack" and action.recipient == "jane@example.org"


def test_guards() -> None:
    assert plan(wanted=False, refusal="robot")[1] == "robot"
    assert plan(suppressed=True)[0] is None
    assert plan(arrived=NOW - timedelta(hours=73))[0] is None
    assert plan(arrived=NOW - timedelta(hours=71))[0] is not None
    five = [NOW - timedelta(minutes=m) for m in (1, 10, 20, 30, 40)]
    assert plan(mail_times=five)[0] is None
    assert plan(mail_times=[t - timedelta(hours=2) for t in five])[0] is not None
    done = Prospect(id=3, email="jane@example.org", created_at=NOW, acknowledged_at=NOW)
    assert plan(prospect=done)[0] is None


def test_outbox_backoff_covers_an_hour_outage() -> None:
    entry = OutboxEntry("3:ack", "acknowledgment", 3, "jane@example.org", NOW)
    t = NOW
    for _ in range(20):
        entry = outbox.retry_later(entry, t, "451 try later")
        assert entry.status == outbox.PENDING
        t = entry.next_attempt_at  # type: ignore[assignment]
    assert t - NOW > timedelta(hours=1)
    assert outbox.backoff(100) == outbox.BACKOFF_MAX
    assert outbox.failed(entry, t, "550").status == outbox.FAILED


def test_outbox_roundtrip_keeps_bytes() -> None:
    raw = bytes(range(256))
    entry = outbox.rendered(OutboxEntry("k", "acknowledgment", 1, "a@b.c", NOW), "<m@x>", raw)
    assert outbox.from_dict(outbox.to_dict(entry)) == entry
