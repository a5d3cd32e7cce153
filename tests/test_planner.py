"""Acknowledgment guards and outbox retry rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from inbox_agent.plan.guards import AckPolicy, CapScope, Recent, plan_acknowledgment
from inbox_agent.records.prospect import Prospect, Status
from inbox_agent.sending import actions, outbox
from inbox_agent.sending.actions import Acknowledge, Confirm, Notify, NotifyReason
from inbox_agent.sending.outbox import OutboxEntry

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
P = Prospect(id=3, email="jane@example.org", created_at=NOW)
POLICY = AckPolicy(max_age=timedelta(hours=72), cap=5, window=timedelta(hours=2))


def plan(
    prospect: Prospect = P,
    *,
    wanted: bool = True,
    refusal: str = "",
    arrived: datetime = NOW,
    now: datetime = NOW,
    mail_times: Sequence[datetime] = (),
    domain_times: Sequence[datetime] = (),
    mailbox_times: Sequence[datetime] = (),
    suppressed: bool = False,
    policy: AckPolicy = POLICY,
    count_domain: bool = True,
) -> tuple[Acknowledge | None, str]:
    found = plan_acknowledgment(
        prospect,
        wanted=wanted,
        refusal=refusal,
        arrived=arrived,
        now=now,
        recent=Recent(mail_times, domain_times, mailbox_times),
        suppressed=suppressed,
        policy=policy,
        count_domain=count_domain,
    )
    return found.action, found.why


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


def test_no_acknowledgment_once_an_agent_answered_or_the_record_left_new() -> None:
    answered = Prospect(id=3, email="jane@example.org", created_at=NOW, first_response_at=NOW)
    assert plan(prospect=answered) == (None, "an agent has answered already")
    called = Prospect(id=3, email="jane@example.org", created_at=NOW, status=Status.CALL)
    assert plan(prospect=called) == (None, "the record has left new (status call)")


def test_the_domain_and_mailbox_caps() -> None:
    policy = AckPolicy(domain_cap=3, mailbox_cap=5)
    three = [NOW - timedelta(minutes=m) for m in (1, 2, 3)]
    assert plan(domain_times=three, policy=policy) == (
        None, "3 acknowledgments to its domain this hour",
    )  # fmt: skip
    assert plan(domain_times=three, policy=policy, count_domain=False)[0] is not None
    old = [t - timedelta(hours=1) for t in three]
    assert plan(domain_times=old, policy=policy)[0] is not None
    five = [NOW - timedelta(minutes=m) for m in range(5)]
    assert plan(mailbox_times=five, policy=policy, count_domain=False)[1] == (
        "5 acknowledgments from the mailbox this hour"
    )
    found = plan_acknowledgment(
        P, wanted=True, refusal="", arrived=NOW, now=NOW, recent=Recent(mailbox=five),
        suppressed=False, policy=policy,
    )  # fmt: skip
    assert found.cap == CapScope.MAILBOX


def test_outbox_backoff_covers_an_hour_outage() -> None:
    entry = OutboxEntry(Acknowledge(3, "jane@example.org"), NOW)
    t = NOW
    for _ in range(20):
        entry = outbox.retry_later(entry, t, "451 try later")
        assert entry.status == outbox.PENDING
        assert entry.next_attempt_at is not None
        t = entry.next_attempt_at
    assert t - NOW > timedelta(hours=1)
    assert outbox.backoff(100) == outbox.BACKOFF_MAX
    assert outbox.failed(entry, t, "550").status == outbox.FAILED


def test_outbox_roundtrip_keeps_bytes() -> None:
    raw = bytes(range(256))
    entry = outbox.rendered(OutboxEntry(Acknowledge(1, "a@b.c"), NOW), "<m@x>", raw)
    assert outbox.from_dict(outbox.to_dict(entry)) == entry


def test_every_action_keeps_its_type_and_key_through_the_store() -> None:
    every: list[actions.Action] = [
        Acknowledge(1, "jane@example.org"),
        Notify(1, "alice@example.com", NotifyReason.NEW_PROSPECT, "Do you ship?"),
        Notify(1, "alice@example.com", NotifyReason.REPLIED, "Thanks!", "<r1@example.org>"),
        Confirm(1, "alice@example.com", "<c1@example.com>", ("#note x",), ("line 2: bad",)),
    ]
    keys = [a.key for a in every]
    assert keys[:2] == ["1:ack", "1:notify"]
    assert keys[2].startswith("1:reply:") and keys[3].startswith("1:confirm:")
    assert len(set(keys)) == len(keys)
    for action in every:
        back = actions.from_dict(actions.to_dict(action))
        assert back == action and type(back) is type(action) and back.key == action.key
        entry = OutboxEntry(action, NOW)
        assert outbox.from_dict(outbox.to_dict(entry)) == entry
