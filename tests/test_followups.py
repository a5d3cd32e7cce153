"""The follow-up planner as data in, data out: records written out by hand, an injected clock,
and what each moment calls for (the SOP's steps 6 and 7, seed 002's caps)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict, Unpack

import pytest

from inbox_agent.plan.calendar import Calendar
from inbox_agent.plan.followups import FollowUpRules, plan, upcoming
from inbox_agent.records.prospect import Direction, Event, Prospect, Stage, Status
from inbox_agent.sending.actions import (
    CourtesyNote,
    Drip,
    FollowUp,
    InformationOverdue,
    MailKind,
    ReviveReminder,
)

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
ALWAYS = Calendar("UTC", time(0, 0), time.max, frozenset(range(7)))
RULES = FollowUpRules(calendar=ALWAYS, supervisors=("owner@example.com",))
H = timedelta(hours=1)


class Changes(TypedDict, total=False):
    status: Status
    stage: Stage
    opted_out_at: datetime
    information_sent_at: datetime | None
    first_response_at: datetime | None
    timeline: tuple[Event, ...]


def lead(**changes: Unpack[Changes]) -> Prospect:
    """Jane's record: inquiry at T0 - 2 h, acknowledged, information sent by Alice at T0."""
    timeline = (
        Event(T0 - 2 * H, Direction.IN, "inquiry", "inq@example.org"),
        Event(T0 - 2 * H, Direction.OUT, "acknowledgment", "ia.1.ack@example.com"),
        Event(T0, Direction.OUT, "agent_reply", "answer@example.com"),
    )
    base = Prospect(
        id=1,
        email="jane@example.org",
        created_at=T0 - 2 * H,
        name="Jane",
        status=Status.EMAIL,
        assigned_to="alice@example.com",
        acknowledged_at=T0 - 2 * H,
        first_response_at=T0,
        information_sent_at=T0,
        timeline=timeline,
    )
    return replace(base, **changes)


def sent(record: Prospect, kind: MailKind, at: datetime, *, to_them: bool = True) -> Prospect:
    """The record after one of our follow-up mails went out (as dispatch records it)."""
    direction = Direction.OUT if to_them else Direction.INTERNAL
    event = Event(at, direction, kind, f"ia.{kind}.{at:%H%M}@example.com")
    counts = kind in (MailKind.COURTESY_NOTE, MailKind.FOLLOW_UP)
    status: dict[MailKind, Status] = {
        MailKind.COURTESY_NOTE: Status.FOLLOW_UP,
        MailKind.REVIVE_REMINDER: Status.REVIVE,
    }
    return replace(
        record,
        timeline=(*record.timeline, event),
        status=status.get(kind, record.status),
        follow_ups_sent=record.follow_ups_sent + counts,
    )


def test_nothing_before_48_hours_then_the_courtesy_note() -> None:
    early = plan(lead(), T0 + 47 * H, RULES)
    assert early.actions == () and early.next_at == T0 + 48 * H
    [note] = plan(lead(), T0 + 48 * H, RULES).actions
    assert note == CourtesyNote(
        1,
        "jane@example.org",
        1,
        "courtesy_note",
        "answer@example.com",
        ("inq@example.org", "ia.1.ack@example.com", "answer@example.com"),
        final=False,
    )
    assert note.key == "1:followup:1"


def test_the_revive_reminder_goes_to_the_agent_at_72_hours() -> None:
    after_note = sent(lead(), MailKind.COURTESY_NOTE, T0 + 48 * H)
    assert plan(after_note, T0 + 71 * H, RULES).next_at == T0 + 72 * H
    [task] = plan(after_note, T0 + 72 * H, RULES).actions
    assert task == ReviveReminder(1, "alice@example.com", 2, T0.isoformat())


def test_a_lead_gets_two_follow_ups_then_the_drip_in_rotation() -> None:
    record = sent(lead(), MailKind.COURTESY_NOTE, T0 + 48 * H)
    record = sent(record, MailKind.REVIVE_REMINDER, T0 + 72 * H, to_them=False)
    [second] = plan(record, T0 + 7 * 24 * H, RULES).actions
    assert isinstance(second, FollowUp) and second.final  # the lead's cap: 2
    record = replace(sent(record, MailKind.FOLLOW_UP, T0 + 7 * 24 * H), status=Status.DRIP)
    assert upcoming(record, RULES) is not None
    [drip] = plan(record, T0 + 37 * 24 * H, RULES).actions
    assert isinstance(drip, Drip) and drip.template == "drip"
    record = sent(record, MailKind.DRIP, T0 + 37 * 24 * H)
    assert plan(record, T0 + 66 * 24 * H, RULES).next_at == T0 + 67 * 24 * H
    [again] = plan(record, T0 + 67 * 24 * H, RULES).actions
    assert isinstance(again, Drip) and again.template == "drip_2"  # never twice in a row


def test_a_prospect_gets_up_to_eight() -> None:
    record = lead(stage=Stage.PROSPECT)
    mails = 0
    at = T0
    for _ in range(12):
        found = upcoming(record, RULES)
        if found is None or found.what == MailKind.DRIP:
            break
        at = found.at
        [action] = plan(record, at, RULES).actions
        mails += found.what != MailKind.REVIVE_REMINDER
        record = sent(record, found.what, at, to_them=found.what != MailKind.REVIVE_REMINDER)
        if isinstance(action, CourtesyNote | FollowUp) and action.final:
            record = replace(record, status=Status.DRIP)
    assert mails == 8 and record.follow_ups_sent == 8 and record.status == Status.DRIP


def test_after_downtime_only_the_latest_due_step_goes_the_rest_noted() -> None:
    result = plan(lead(), T0 + 80 * H, RULES)  # down from before 48 h until after 72 h
    [task] = result.actions
    assert isinstance(task, ReviveReminder) and task.key == "1:followup:2"
    assert result.record is not None
    [skipped] = [e for e in result.record.timeline if e.kind == "followup_skipped"]
    assert skipped.summary.startswith("skipped the courtesy note")


@pytest.mark.parametrize(
    ("event", "stops"),
    [
        (Event(T0 + H, Direction.IN, "prospect_reply", "r@example.org"), True),
        (Event(T0 + H, Direction.IN, "auto_reply", "ooo@example.org"), False),  # OOO: not
    ],
)
def test_a_real_answer_stops_the_cadence_an_out_of_office_does_not(
    event: Event, stops: bool
) -> None:
    record = lead(timeline=(*lead().timeline, event))
    assert (plan(record, T0 + 48 * H, RULES).actions == ()) is stops


@pytest.mark.parametrize(
    "record",
    [
        lead(status=Status.DONE),
        lead(opted_out_at=T0 + H),
        lead(status=Status.CALL),  # a call or meeting agreed: the agent's move
    ],
    ids=["done", "opted out", "meeting agreed"],
)
def test_stop_conditions(record: Prospect) -> None:
    assert plan(record, T0 + 200 * H, RULES).actions == ()


def test_a_bounced_address_gets_nothing() -> None:
    assert plan(lead(), T0 + 48 * H, RULES, blocked=True).actions == ()


def test_no_information_in_72_hours_tells_agent_and_supervisor_not_the_prospect() -> None:
    waiting = lead(
        status=Status.CALL,
        information_sent_at=None,
        first_response_at=None,
        timeline=lead().timeline[:2],
    )
    created = waiting.created_at
    assert plan(waiting, created + 71 * H, RULES).next_at == created + 72 * H
    told = plan(waiting, created + 72 * H, RULES).actions
    assert told == (
        InformationOverdue(1, "alice@example.com"),
        InformationOverdue(1, "owner@example.com"),
    )
    once = replace(
        waiting,
        timeline=(
            *waiting.timeline,
            Event(created + 72 * H, Direction.INTERNAL, MailKind.INFORMATION_OVERDUE),
        ),
    )
    assert plan(once, created + 100 * H, RULES).actions == ()


JOBURG = Calendar("Africa/Johannesburg", country="ZA", closed=frozenset({date(2026, 12, 28)}))
OFFICE = FollowUpRules(calendar=JOBURG)


def test_nothing_goes_at_3am_on_a_sunday() -> None:
    friday = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 03:00 in Johannesburg
    record = lead(
        information_sent_at=friday,
        timeline=(*lead().timeline[:2], Event(friday, Direction.OUT, "agent_reply")),
    )
    sunday_3am = friday + 48 * H
    waiting = plan(record, sunday_3am, OFFICE)
    assert waiting.actions == ()
    assert waiting.next_at == datetime(2026, 12, 7, 8, 0, tzinfo=JOBURG.zone)  # Monday 08:00
    assert plan(record, waiting.next_at, OFFICE).actions != ()


def test_nothing_goes_on_a_public_holiday_or_a_closed_day() -> None:
    assert JOBURG.holiday(date(2026, 12, 16)) == "Day of Reconciliation"
    holiday_noon = datetime(2026, 12, 16, 10, 0, tzinfo=UTC)
    record = lead(
        information_sent_at=holiday_noon - 48 * H,
        timeline=(*lead().timeline[:2], Event(holiday_noon - 48 * H, Direction.OUT, "agent_reply")),
    )
    result = plan(record, holiday_noon, OFFICE)
    assert result.actions == () and result.next_at == datetime(
        2026, 12, 17, 8, 0, tzinfo=JOBURG.zone
    )
    assert not JOBURG.working_day(date(2026, 12, 28))  # listed in [business] closed


def test_delays_in_business_hours() -> None:
    rules = replace(OFFICE, business_hours_only=True)
    friday_4pm = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)  # 16:00 in Johannesburg
    record = lead(
        information_sent_at=friday_4pm,
        timeline=(*lead().timeline[:2], Event(friday_4pm, Direction.OUT, "agent_reply")),
    )
    found = upcoming(record, rules)
    # 48 business hours: 1 h on Friday, 9 h a day Monday to Friday (46), 2 h the next Monday
    assert found is not None
    assert found.at == datetime(2026, 12, 14, 10, 0, tzinfo=JOBURG.zone)
