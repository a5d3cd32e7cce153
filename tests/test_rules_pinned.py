"""Rules of the pure decision modules that no other test pinned down, found by mutation testing
(``mutmut``, README "Development"): each test names the rule it holds, and fails when that rule
is broken. The modules: ``records.status``, ``plan.calendar``, ``plan.guards``, ``mail.optout``,
``plan.optout`` and ``plan.followups``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from inbox_agent.plan.calendar import Calendar
from inbox_agent.plan.followups import FollowUpRules, plan, upcoming
from inbox_agent.records.prospect import Direction, Event, Prospect, Stage, Status
from inbox_agent.sending.actions import MailKind

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
H, D = timedelta(hours=1), timedelta(days=1)
JANE, ALICE, OWNER = "jane@example.org", "alice@example.com", "owner@example.com"

# --- plan.calendar: business hours --------------------------------------------------------------


def test_a_business_open_from_midnight_is_still_closed_on_its_days_off() -> None:
    weekdays = Calendar("UTC", time(0, 0), time.max, frozenset(range(5)))  # "00:00-24:00"
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    monday = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    assert not weekdays.is_open(saturday)
    assert weekdays.next_open(saturday) == monday
    rules = FollowUpRules(calendar=weekdays)
    record = answered_at(saturday - 3 * D)
    waiting = plan(record, saturday, rules)  # the courtesy note is due, the business closed
    assert waiting.actions == () and waiting.next_at == monday


# --- plan.followups: the cadence ----------------------------------------------------------------


def informed(**changes: Any) -> Prospect:
    """Jane's lead: her inquiry and our acknowledgment at T0 - 2 h, Alice's answer at T0."""
    timeline = (
        Event(T0 - 2 * H, Direction.IN, "inquiry", "inq@example.org"),
        Event(T0 - 2 * H, Direction.OUT, "acknowledgment", "ack@example.com",
              template="acknowledgment"),
        Event(T0, Direction.OUT, "agent_reply", "answer@example.com"),
    )  # fmt: skip
    base = Prospect(
        id=1, email=JANE, created_at=T0 - 2 * H, name="Jane", status=Status.EMAIL,
        assigned_to=ALICE, acknowledged_at=T0 - 2 * H, first_response_at=T0,
        information_sent_at=T0, timeline=timeline,
    )  # fmt: skip
    return replace(base, **changes)


def answered_at(at: datetime, record_id: int = 1) -> Prospect:
    """Record ``record_id``: Jane's lead, whose timeline is only Alice's answer at ``at``."""
    answer = Event(at, Direction.OUT, "agent_reply", f"a{record_id}@x.com")
    return informed(id=record_id, information_sent_at=at, timeline=(answer,))


ALWAYS = Calendar("UTC", time(0, 0), time.max, frozenset(range(7)))
RULES = FollowUpRules(calendar=ALWAYS, supervisors=(OWNER,))


def _drip_phase_answered_again() -> Prospect:
    """A prospect at her cap (8) on the drip, the last drip 40 days ago; she answered, and today
    (T0) Alice answered her: status back to email."""
    last_drip = T0 - 41 * D
    record = informed(
        stage=Stage.PROSPECT, status=Status.EMAIL, follow_ups_sent=8,
        information_sent_at=T0 - 200 * D,
        timeline=(
            Event(T0 - 201 * D, Direction.IN, "inquiry", "inq@example.org"),
            Event(T0 - 200 * D, Direction.OUT, "agent_reply", "answer-1@example.com"),
            Event(last_drip, Direction.OUT, MailKind.DRIP, "drip@example.com", template="drip"),
            Event(T0 - D, Direction.IN, "prospect_reply", "reply@example.org"),
            Event(T0, Direction.OUT, "agent_reply", "answer-2@example.com"),
        ),
    )  # fmt: skip
    return record


def test_the_cap_counts_across_cadences_an_agents_new_answer_brings_no_new_note() -> None:
    found = upcoming(_drip_phase_answered_again(), RULES)
    assert found is not None and found.what == MailKind.DRIP  # not a courtesy note: 8 sent
    # a lead at its cap (2) that an agent moved back to email ("#status email"): the same
    lead = informed(follow_ups_sent=2)
    found = upcoming(lead, RULES)
    assert found is not None and found.what == MailKind.DRIP


def test_the_drip_never_goes_sooner_than_drip_days_after_an_agents_answer() -> None:
    # the drip's clock counts from our last automatic mail or the agent's last answer, whichever
    # is later: never a robot's "still interested?" an hour after a person wrote to them
    record = _drip_phase_answered_again()
    found = upcoming(record, RULES)
    assert found is not None and found.at == T0 + 30 * D
    assert plan(record, T0 + H, RULES).actions == ()
