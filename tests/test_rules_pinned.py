"""Rules of the pure decision modules that no other test pinned down, found by mutation testing
(``mutmut``, README "Development"): each test names the rule it holds, and fails when that rule
is broken. The modules: ``records.status``, ``plan.calendar``, ``plan.guards``, ``mail.optout``,
``plan.optout`` and ``plan.followups``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from inbox_agent.config import Settings
from inbox_agent.mail.reading import read_message
from inbox_agent.mail.unsubscribe import asks_to_stop
from inbox_agent.plan import optout
from inbox_agent.plan.calendar import Calendar, days_of
from inbox_agent.plan.followups import (
    Channel,
    FollowUpRules,
    Step,
    anchor,
    last_template,
    plan,
    schedule,
    upcoming,
)
from inbox_agent.plan.guards import AckPolicy, CapScope, Recent, full_cap, plan_acknowledgment
from inbox_agent.plan.inbound import InboundRules
from inbox_agent.records import status
from inbox_agent.records.prospect import Barred, Direction, Event, Prospect, Stage, Status
from inbox_agent.rules import inbound_rules
from inbox_agent.sending.actions import (
    CourtesyNote,
    Drip,
    FollowUp,
    InformationOverdue,
    MailKind,
    OptedOut,
    ReviveReminder,
)
from inbox_agent.sending.letters import unsubscribe_token
from tests import mailgen
from tests.test_optout import _EARLIER, BASE, JANE_RECORD, _decide
from tests.test_optout import NOW as OPTOUT_NOW

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
H, D = timedelta(hours=1), timedelta(days=1)
JANE, ALICE, OWNER = "jane@example.org", "alice@example.com", "owner@example.com"

# --- records.status: the transition tables ------------------------------------------------------


def _at(state: Status, **changes: Any) -> Prospect:
    return replace(Prospect(id=1, email=JANE, created_at=T0, status=state), **changes)


@pytest.mark.parametrize("cause", ["won", "lost", "closed", "opted_out"])
def test_a_closing_cause_on_a_done_record_leaves_its_status_as_it_is(cause: str) -> None:
    # "*" in the table is any status but done: a done record is not closed a second time
    assert status.next_status(_at(Status.DONE), cause) is None
    assert status.next_status(_at(Status.REVIVE), cause) == "done"


def test_a_reply_in_the_cadence_goes_to_email_or_call_by_whether_information_was_sent() -> None:
    informed = _at(Status.REVIVE, information_sent_at=T0)
    assert status.next_status(informed, "prospect_replied") == "email"
    assert status.next_status(_at(Status.REVIVE), "prospect_replied") == "call"


def test_an_agent_who_writes_an_unknown_status_is_told_every_status_and_stage() -> None:
    # the message goes back to the agent in the confirmation of their commands
    with pytest.raises(ValueError) as raised:
        status.apply(_at(Status.EMAIL), "command", T0, value="maybe")
    assert str(raised.value) == (
        "a command needs a status (new, call, email, follow_up, revive, drip, done) "
        "or a stage (lead, prospect, customer), not 'maybe'"
    )


# --- plan.calendar: business hours --------------------------------------------------------------

JOBURG = Calendar("Africa/Johannesburg", country="ZA")  # 08:00-17:00, Monday to Friday


def test_the_business_is_open_from_opening_time_until_just_before_closing() -> None:
    monday = date(2026, 12, 7)

    def local(hour: int, minute: int = 0) -> datetime:
        return datetime.combine(monday, time(hour, minute), JOBURG.zone)

    assert not JOBURG.is_open(local(7, 59))
    assert JOBURG.is_open(local(8)) and JOBURG.is_open(local(16, 59))
    assert not JOBURG.is_open(local(17))
    assert JOBURG.is_open(datetime(2026, 12, 7, 6, 30, tzinfo=UTC))  # 08:30 in Johannesburg
    assert not JOBURG.is_open(datetime(2026, 12, 5, 10, tzinfo=UTC))  # a Saturday
    assert not JOBURG.is_open(datetime(2026, 12, 16, 10, tzinfo=UTC))  # a public holiday


def test_when_the_business_is_open_the_next_opening_is_that_moment_itself() -> None:
    t = datetime(2026, 12, 7, 10, 15, 30, tzinfo=UTC)  # Monday 12:15:30 in Johannesburg
    assert JOBURG.next_open(t) is t  # as given, in the caller's time zone


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


def test_business_hours_are_counted_in_the_business_time_zone() -> None:
    auckland = Calendar("Pacific/Auckland")  # 13 hours ahead of UTC in December
    monday_9am = datetime(2026, 12, 7, 9, 0, tzinfo=auckland.zone)  # Sunday 20:00 UTC
    assert auckland.add_hours(monday_9am, 2, business=True) == monday_9am + 2 * H
    assert auckland.add_hours(monday_9am, 9, business=True) == monday_9am + D  # 8 h + 1 h


def test_a_delay_that_ends_at_closing_time_falls_due_at_closing_not_next_morning() -> None:
    monday_8am = datetime(2026, 12, 7, 8, 0, tzinfo=JOBURG.zone)
    assert JOBURG.add_hours(monday_8am, 9, business=True) == monday_8am + 9 * H


def test_working_days_may_be_written_in_full_or_short() -> None:
    assert days_of(["Monday", " tuesday ", "FRI", "sun"]) == frozenset({0, 1, 4, 6})


def test_an_owners_closed_day_says_it_comes_from_rules_toml() -> None:
    closed = Calendar(closed=frozenset({date(2026, 12, 24)}))
    assert closed.holiday(date(2026, 12, 24)) == "closed (rules.toml)"
    assert closed.holiday(date(2026, 12, 23)) is None


# --- plan.guards: may the acknowledgment go -----------------------------------------------------

P = Prospect(id=3, email=JANE, created_at=T0)
POLICY = AckPolicy(max_age=timedelta(hours=72), cap=5, window=timedelta(hours=2))
NO_MAIL = Recent()


def _ack(
    prospect: Prospect = P,
    *,
    arrived: datetime = T0,
    recent: Recent = NO_MAIL,
    suppressed: bool = False,
    policy: AckPolicy = POLICY,
) -> tuple[bool, str]:
    found = plan_acknowledgment(
        prospect, wanted=True, refusal="", arrived=arrived, now=T0, recent=recent,
        suppressed=suppressed, policy=policy,
    )  # fmt: skip
    return found.action is not None, found.why


def test_the_recipient_cap_counts_each_mail_once() -> None:
    four = tuple(T0 - m * timedelta(minutes=10) for m in range(4))
    assert _ack(recent=Recent(recipient=four)) == (True, "acknowledge now")
    assert _ack(recent=Recent(recipient=(*four, T0 - H)))[0] is False


def test_a_mail_sent_exactly_one_window_ago_has_left_the_window() -> None:
    one = AckPolicy(cap=1, window=timedelta(hours=2))
    assert _ack(recent=Recent(recipient=(T0 - 2 * H,)), policy=one)[0] is True
    just_inside = T0 - 2 * H + timedelta(seconds=1)
    assert _ack(recent=Recent(recipient=(just_inside,)), policy=one)[0] is False


def test_an_inquiry_exactly_max_age_old_is_still_acknowledged() -> None:
    assert _ack(arrived=T0 - 72 * H)[0] is True
    assert _ack(arrived=T0 - 72 * H - timedelta(seconds=1))[0] is False


def test_the_domain_cap_counts_unless_the_caller_says_the_sender_is_known() -> None:
    policy = AckPolicy(domain_cap=2)
    full = Recent(domain=(T0 - H / 2, T0 - H / 4))
    assert _ack(recent=full, policy=policy) == (False, "2 acknowledgments to its domain this hour")
    assert full_cap(full, T0, policy) == (
        CapScope.DOMAIN, "2 acknowledgments to its domain this hour",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("prospect", "suppressed", "why"),
    [
        (replace(P, acknowledged_at=T0), False, "already acknowledged"),
        (P, True, "the address bounced our mail before"),
    ],
)
def test_each_guard_says_why_it_held_the_acknowledgment_back(
    prospect: Prospect, suppressed: bool, why: str
) -> None:
    # the reason is the log line an owner reads: "no acknowledgment: <why>"
    assert _ack(prospect, suppressed=suppressed) == (False, why)


# --- mail.optout: the words that ask us to stop -------------------------------------------------


def test_a_clear_phrase_wrapped_across_two_lines_still_asks_to_stop() -> None:
    assert asks_to_stop("Please stop\nemailing me.") == "stop emailing me"


def test_a_clear_phrase_counts_in_a_message_of_sixty_words_not_sixty_one() -> None:
    sixty = "Unsubscribe. " + " ".join(["word"] * 59)
    assert asks_to_stop(sixty) == "unsubscribe"
    assert asks_to_stop(sixty + " more") is None


def test_a_bare_not_interested_counts_with_a_closing_and_name_of_ten_words_in_all() -> None:
    ten = "Not interested.\n\nKind regards,\nJane Anne Mary Smith Jones Brown"
    assert asks_to_stop(ten) == "not interested"
    assert asks_to_stop(ten + " Green") is None


def test_a_bare_not_interested_followed_by_a_question_is_not_an_opt_out() -> None:
    assert asks_to_stop("Not interested.\nDo you have it in red?") is None


def test_words_in_the_signature_never_ask_to_stop() -> None:
    text = (
        "Thanks, got it. I will call you on Monday.\n-- \nJane Doe\n"
        "Unsubscribe from our newsletter: https://example.org/u\n-- \nSent from my phone"
    )
    assert asks_to_stop(text) is None


# --- plan.optout: what a request does -----------------------------------------------------------

NOW = OPTOUT_NOW  # Jane's record and the decisions are test_optout's


@pytest.fixture
def rules(settings: Settings) -> InboundRules:
    return inbound_rules(settings)


def test_the_agent_is_told_the_stop_came_by_the_unsubscribe_link(rules: InboundRules) -> None:
    raw = mailgen.inquiry(body="", subject=f"unsubscribe IA-1 {unsubscribe_token(JANE_RECORD)}")
    d = _decide(raw, rules, by_id={1: JANE_RECORD})
    assert d.outbox == (OptedOut(1, ALICE, "the unsubscribe link"),)
    [record] = d.records
    assert record.lost_reason == "opted out (the unsubscribe link)"
    [suppression] = d.suppress
    assert (suppression.kind, suppression.reason) == (Barred.OPT_OUT, "the unsubscribe link")
    assert suppression.at == NOW


def test_someone_else_asking_to_stop_in_a_persons_thread_opts_out_only_themselves(
    rules: InboundRules,
) -> None:
    # Bob answers our mail to Jane: his "unsubscribe" is his, not hers; her record stays open
    raw = mailgen.inquiry(sender="Bob <bob@example.net>", subject="Re: Your inquiry",
                          body="Please unsubscribe me.",
                          headers={"In-Reply-To": "<note-1@example.com>"})  # fmt: skip
    d = _decide(raw, rules, by_message_id={"note-1@example.com": JANE_RECORD})
    assert [s.email for s in d.suppress] == ["bob@example.net"]
    assert not d.records and not d.outbox


def test_a_stop_from_their_own_address_closes_their_latest_record_and_tells_its_agent(
    rules: InboundRules,
) -> None:
    # no open record (so no thread): the latest record, closed or not, notes the stop
    closed = replace(JANE_RECORD, status=Status.DONE, closed_at=_EARLIER)
    raw = mailgen.inquiry(subject="unsubscribe", body="unsubscribe")
    d = _decide(raw, rules, latest_by_email={JANE: closed})
    [record] = d.records
    assert record.id == 1 and record.opted_out_at == NOW
    assert d.outbox == (OptedOut(1, ALICE, '"unsubscribe"'),)
    [suppression] = d.suppress
    assert (suppression.kind, suppression.reason) == (Barred.OPT_OUT, '"unsubscribe"')


def test_a_stop_with_nobody_to_tell_sends_no_notice() -> None:
    stop = optout.Stop(JANE, replace(JANE_RECORD, assigned_to=None), optout.LINK)
    event = Event(NOW, Direction.IN, optout.EVENT, "stop@example.org")
    record, suppression, told = optout.stopped(stop, event, BASE, "")
    assert record is not None and record.opted_out_at == NOW and told == ()
    assert suppression.at == NOW


def test_writing_in_again_with_no_earlier_record_at_hand_notes_the_lift_as_earlier(
    rules: InboundRules,
) -> None:
    reading = read_message(mailgen.inquiry(), rules.reading)
    fresh = Prospect(id=2, email=JANE, created_at=NOW)
    later = replace(BASE, now=NOW + H, opted_out=frozenset({JANE}))
    lifted = optout.lifted(fresh, reading, later)
    assert lifted is not None
    [event] = lifted.timeline
    assert event.kind == "opt_out_lifted" and event.at == NOW + H
    assert "(earlier)" in event.summary
    # the same record found as the latest: its own (empty) opt-out date is not the earlier one
    same = optout.lifted(fresh, reading, replace(later, latest_by_email={JANE: fresh}))
    assert same is not None and "(earlier)" in same.timeline[-1].summary


# --- plan.followups: the cadence ----------------------------------------------------------------

ALWAYS = Calendar("UTC", time(0, 0), time.max, frozenset(range(7)))
RULES = FollowUpRules(calendar=ALWAYS, supervisors=(OWNER,))


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


def mailed(record: Prospect, kind: MailKind, at: datetime, template: str = "") -> Prospect:
    """The record after one of our follow-up steps went (to them, or a task to the agent)."""
    to_them = kind != MailKind.REVIVE_REMINDER
    event = Event(at, Direction.OUT if to_them else Direction.INTERNAL, kind,
                  f"{kind}.{at:%m%d%H}@example.com", template=template or str(kind))  # fmt: skip
    counts = kind in (MailKind.COURTESY_NOTE, MailKind.FOLLOW_UP)
    return replace(record, timeline=(*record.timeline, event),
                   follow_ups_sent=record.follow_ups_sent + counts)  # fmt: skip


def happened(record: Prospect, *events: Event) -> Prospect:
    return replace(record, timeline=(*record.timeline, *events))


def test_a_lead_follows_the_lead_cadence_and_a_prospect_the_prospect_cadence() -> None:
    rules = replace(RULES, lead=(Step(24, Channel.MAIL, "lead_note"),),
                    prospect=(Step(48, Channel.MAIL, "prospect_note"),))  # fmt: skip
    as_lead = upcoming(informed(), rules)
    as_prospect = upcoming(informed(stage=Stage.PROSPECT), rules)
    assert as_lead is not None and (as_lead.template, as_lead.at) == ("lead_note", T0 + D)
    assert as_prospect is not None
    assert (as_prospect.template, as_prospect.at) == ("prospect_note", T0 + 2 * D)


def test_the_mail_that_reaches_the_stage_cap_is_final() -> None:
    rules = replace(RULES, lead_cap=1)
    [note] = plan(informed(), T0 + 2 * D, rules).actions
    assert isinstance(note, CourtesyNote) and note.final  # a lead's cap, 1 here
    [note] = plan(informed(stage=Stage.PROSPECT), T0 + 2 * D, rules).actions
    assert isinstance(note, CourtesyNote) and not note.final  # a prospect's: 8


def test_the_last_mail_of_the_cadence_is_final_below_the_cap() -> None:
    rules = replace(RULES, lead_cap=5)  # the lead cadence has two mails: courtesy note, follow-up
    record = mailed(informed(), MailKind.COURTESY_NOTE, T0 + 2 * D)
    record = mailed(record, MailKind.REVIVE_REMINDER, T0 + 3 * D)
    [last] = plan(record, T0 + 7 * D, rules).actions
    assert isinstance(last, FollowUp) and last.final


def test_after_the_cap_the_agent_still_gets_the_revive_reminder_then_the_drip() -> None:
    rules = replace(RULES, lead_cap=1)
    capped = replace(mailed(informed(), MailKind.COURTESY_NOTE, T0 + 2 * D), status=Status.DRIP)
    task = upcoming(capped, rules)
    assert task is not None and (task.what, task.to, task.at) == (
        MailKind.REVIVE_REMINDER, ALICE, T0 + 3 * D,
    )  # fmt: skip
    reminded = mailed(capped, MailKind.REVIVE_REMINDER, T0 + 3 * D)
    drip = upcoming(reminded, rules)  # not the 7-day follow-up: no more mail but the drip
    assert drip is not None and (drip.what, drip.at) == (MailKind.DRIP, T0 + 32 * D)


def test_a_record_an_agent_put_on_drip_gets_only_the_drip_counted_from_their_answer() -> None:
    on_drip = informed(status=Status.DRIP)  # "#status drip": no follow-up went yet
    found = upcoming(on_drip, RULES)
    assert found is not None and (found.what, found.at) == (MailKind.DRIP, T0 + 30 * D)


def test_without_drip_templates_a_capped_record_gets_nothing_more() -> None:
    rules = replace(RULES, drip=())
    assert upcoming(informed(status=Status.DRIP), rules) is None
    assert plan(informed(status=Status.DRIP), T0 + 100 * D, rules).reason == "nothing due"


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


def test_an_agents_second_answer_starts_the_cadence_anew() -> None:
    record = mailed(informed(), MailKind.COURTESY_NOTE, T0 + 2 * D, "courtesy_note")
    record = happened(
        record,
        Event(T0 + 50 * H, Direction.IN, "prospect_reply", "reply@example.org"),
        Event(T0 + 60 * H, Direction.OUT, "agent_reply", "answer-2@example.com"),
    )
    assert anchor(record) == T0 + 60 * H  # information_sent_at stays T0, the first answer
    found = upcoming(record, RULES)
    assert found is not None and (found.what, found.at) == (MailKind.COURTESY_NOTE, T0 + 108 * H)


def test_an_agents_internal_mail_about_the_record_does_not_restart_the_clock() -> None:
    note = Event(T0 + D, Direction.INTERNAL, "agent_reply", "colleague@example.com")
    record = happened(informed(), note)
    assert anchor(record) == T0
    found = upcoming(record, RULES)
    assert found is not None and found.at == T0 + 2 * D


def test_without_an_agents_mail_in_the_timeline_the_clock_starts_at_information_sent() -> None:
    bare = informed(timeline=())  # a record whose timeline lacks the answer (written elsewhere)
    assert anchor(bare) == T0
    found = upcoming(bare, RULES)
    assert found is not None and found.at == T0 + 2 * D


def test_an_unassigned_record_reminds_the_first_supervisor() -> None:
    record = mailed(informed(assigned_to=None), MailKind.COURTESY_NOTE, T0 + 2 * D)
    [task] = plan(record, T0 + 3 * D, RULES).actions
    assert task == ReviveReminder(1, OWNER, 2, T0.isoformat())


def test_with_nobody_to_remind_the_task_is_passed_over_and_the_mails_still_go() -> None:
    nobody = replace(RULES, supervisors=())
    record = informed(assigned_to=None)
    [note] = plan(record, T0 + 2 * D, nobody).actions
    assert isinstance(note, CourtesyNote) and note.recipient == JANE
    record = mailed(record, MailKind.COURTESY_NOTE, T0 + 2 * D)
    found = upcoming(record, nobody)  # no revive reminder to nobody: the 7-day follow-up next
    assert found is not None and (found.what, found.to, found.at) == (
        MailKind.FOLLOW_UP, JANE, T0 + 7 * D,
    )  # fmt: skip
    waiting = informed(assigned_to=None, information_sent_at=None, status=Status.CALL)
    assert upcoming(waiting, nobody) is None  # no overdue notice to nobody either
    assert plan(waiting, T0 + 10 * D, RULES).actions == (InformationOverdue(1, OWNER),)


def test_a_step_falling_due_at_this_very_moment_makes_the_earlier_one_stale() -> None:
    result = plan(informed(), T0 + 3 * D, RULES)  # the 48-hour note, the 72-hour reminder: now
    [task] = result.actions
    assert isinstance(task, ReviveReminder)
    assert result.reason == (
        "skipped the courtesy note (due 2026-12-03 10:00): late; revive_reminder now"
    )
    assert result.record is not None and result.next_at is None
    [skipped] = [e for e in result.record.timeline if e.kind == "followup_skipped"]
    assert skipped.direction == Direction.INTERNAL and skipped.at == T0 + 3 * D


def test_a_plan_that_sends_notes_nothing_on_the_record_and_says_what_goes() -> None:
    result = plan(informed(), T0 + 2 * D, RULES)
    assert len(result.actions) == 1
    assert result.record is None  # nothing skipped: the record needs no saving
    assert result.next_at is None and result.reason == "courtesy_note now"


def test_what_the_runner_logs_when_nothing_goes() -> None:
    assert plan(informed(), T0 + D, RULES).reason == "courtesy_note due 2026-12-03T10:00:00+00:00"
    assert plan(informed(status=Status.DONE), T0 + D, RULES).reason == "closed"
    blocked = plan(informed(), T0 + 3 * D, RULES, blocked=True)
    assert blocked.reason == "asked to stop, or their address bounced"
    assert plan(informed(opted_out_at=T0), T0 + 3 * D, RULES).reason == blocked.reason
    assert plan(informed(status=Status.CALL), T0 + 3 * D, RULES).reason == "nothing due"
    office = replace(RULES, calendar=JOBURG)
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    record = answered_at(saturday - 2 * D)
    closed = plan(record, saturday, office)
    assert closed.actions == () and closed.reason == (
        "courtesy_note due; the business opens 2026-12-07T08:00:00+02:00"
    )


def test_follow_ups_thread_on_the_conversation_never_on_our_notes_to_the_agent() -> None:
    record = mailed(informed(), MailKind.COURTESY_NOTE, T0 + 2 * D)
    record = mailed(record, MailKind.REVIVE_REMINDER, T0 + 3 * D)  # internal, has a Message-ID
    [follow_up] = plan(record, T0 + 7 * D, RULES).actions
    assert isinstance(follow_up, FollowUp)
    assert follow_up.in_reply_to == "courtesy_note.120310@example.com"
    assert follow_up.references == (
        "inq@example.org", "ack@example.com", "answer@example.com",
        "courtesy_note.120310@example.com",
    )  # fmt: skip


def test_a_record_without_message_ids_gets_an_unthreaded_follow_up() -> None:
    bare = informed(timeline=(Event(T0, Direction.OUT, "agent_reply"),))
    [note] = plan(bare, T0 + 2 * D, RULES).actions
    assert isinstance(note, CourtesyNote) and (note.in_reply_to, note.references) == ("", ())


def test_references_carry_the_last_ten_message_ids() -> None:
    talk = tuple(
        Event(T0 - (20 - i) * H, Direction.IN if i % 2 else Direction.OUT,
              "prospect_reply" if i % 2 else "agent_reply", f"m{i}@example.org")
        for i in range(12)
    )  # fmt: skip
    record = informed(timeline=(*talk, Event(T0, Direction.OUT, "agent_reply", "last@example.com")))
    [note] = plan(record, T0 + 2 * D, RULES).actions
    assert isinstance(note, CourtesyNote)
    assert note.references == (*(f"m{i}@example.org" for i in range(3, 12)), "last@example.com")


def test_the_drip_goes_to_the_person_threaded_on_the_conversation() -> None:
    record = replace(mailed(informed(), MailKind.COURTESY_NOTE, T0 + 2 * D), status=Status.DRIP)
    record = mailed(record, MailKind.REVIVE_REMINDER, T0 + 3 * D)
    record = mailed(record, MailKind.FOLLOW_UP, T0 + 7 * D)
    [drip] = plan(record, T0 + 37 * D, RULES).actions
    assert drip == Drip(
        1, JANE, 4, "drip", "follow_up.120810@example.com",
        ("inq@example.org", "ack@example.com", "answer@example.com",
         "courtesy_note.120310@example.com", "follow_up.120810@example.com"),
    )  # fmt: skip


# --- plan.followups: no template twice in a row ---------------------------------------------------


def _answered_again(record: Prospect, at: datetime) -> Prospect:
    """She replied an hour before ``at``; Alice answered her at ``at``: a new cadence."""
    return happened(
        record,
        Event(at - H, Direction.IN, "prospect_reply", f"reply.{at:%m%d}@example.org"),
        Event(at, Direction.OUT, "agent_reply", f"answer.{at:%m%d}@example.com"),
    )


def test_a_second_cadence_never_opens_with_the_note_the_first_ended_on() -> None:
    assert last_template(informed(timeline=informed().timeline[::2])) == ""  # no mail of ours
    first = mailed(informed(), MailKind.COURTESY_NOTE, T0 + 2 * D, "courtesy_note")
    assert last_template(first) == "courtesy_note"
    second = _answered_again(first, T0 + 3 * D)
    [note] = plan(second, T0 + 5 * D, RULES).actions
    assert isinstance(note, CourtesyNote) and note.template == "follow_up"


def test_a_repeated_template_is_replaced_by_the_next_one_of_the_stages_cadence() -> None:
    # a prospect's cadence ended on the 7-day follow-up; after Alice's new answer the daemon was
    # down past the new 7-day step: that step would repeat "follow_up", so the next template of
    # the cadence goes
    record = mailed(informed(stage=Stage.PROSPECT), MailKind.COURTESY_NOTE, T0 + 2 * D)
    record = mailed(record, MailKind.REVIVE_REMINDER, T0 + 3 * D)
    record = mailed(record, MailKind.FOLLOW_UP, T0 + 7 * D, "follow_up")
    assert last_template(record) == "follow_up"
    record = _answered_again(record, T0 + 8 * D)
    [mail] = plan(record, T0 + 16 * D, RULES).actions
    assert isinstance(mail, FollowUp) and mail.template == "follow_up_2"


def test_the_replacement_comes_from_the_records_own_stage() -> None:
    rules = replace(
        RULES, drip=(),
        lead=(Step(48, Channel.MAIL, "a"), Step(96, Channel.MAIL, "lead_b")),
        prospect=(Step(48, Channel.MAIL, "a"), Step(96, Channel.MAIL, "prospect_c")),
    )  # fmt: skip
    first = mailed(informed(), MailKind.COURTESY_NOTE, T0 + 2 * D, "a")
    [mail] = plan(_answered_again(first, T0 + 3 * D), T0 + 5 * D, rules).actions
    assert isinstance(mail, FollowUp) and mail.template == "lead_b"


def test_the_replacement_wraps_around_to_the_first_template_of_the_cadence() -> None:
    # the first cadence ended on "b"; in the second, "a" went stale during downtime and "b" is
    # due: "b" again would repeat, so "a" goes
    rules = replace(RULES, drip=(), lead_cap=5,
                    lead=(Step(48, Channel.MAIL, "a"), Step(96, Channel.MAIL, "b")))  # fmt: skip
    first = mailed(informed(), MailKind.COURTESY_NOTE, T0 + 2 * D, "a")
    first = mailed(first, MailKind.FOLLOW_UP, T0 + 4 * D, "b")
    [mail] = plan(_answered_again(first, T0 + 5 * D), T0 + 9 * D, rules).actions
    assert isinstance(mail, FollowUp) and mail.template == "a"


def test_with_no_other_template_the_same_one_goes_again() -> None:
    rules = replace(RULES, drip=(), lead=(Step(48, Channel.MAIL, "courtesy_note"),))
    first = mailed(informed(), MailKind.COURTESY_NOTE, T0 + 2 * D, "courtesy_note")
    [note] = plan(_answered_again(first, T0 + 3 * D), T0 + 5 * D, rules).actions
    assert isinstance(note, CourtesyNote) and note.template == "courtesy_note"


# --- plan.followups: `inbox-agent due` ----------------------------------------------------------

OFFICE = FollowUpRules(calendar=Calendar("UTC"), supervisors=(OWNER,))  # 08:00-17:00, Mon-Fri


def test_due_lists_each_records_next_step_soonest_first_as_it_would_go() -> None:
    late = answered_at(T0 - 50 * H, 3)  # its note was due at 08:00 today: it goes now
    evening = answered_at(T0 + 10 * H - 2 * D, 2)  # due at 20:00 today: goes at 08:00 tomorrow
    thursday_a = answered_at(T0, 5)  # due Thursday 10:00, in hours
    thursday_b = answered_at(T0, 4)
    bounced = answered_at(T0, 6)
    closed = replace(answered_at(T0, 7), status=Status.DONE)
    records = [(thursday_a, False), (bounced, True), (evening, False), (closed, False),
               (late, False), (thursday_b, False)]  # fmt: skip
    found = schedule(records, T0, OFFICE)
    assert [(s.record.id, s.due_at, s.goes) for s in found] == [
        (3, T0 - 2 * H, T0),
        (2, T0 + 10 * H, datetime(2026, 12, 2, 8, 0, tzinfo=UTC)),
        (4, T0 + 2 * D, T0 + 2 * D),
        (5, T0 + 2 * D, T0 + 2 * D),
    ]
    first = found[0]
    assert first.actions == (
        CourtesyNote(3, JANE, 1, "courtesy_note", "a3@x.com", ("a3@x.com",)),
    )  # fmt: skip
    assert first.reason == "courtesy_note now" and first.now == ("3:followup:1",)
    second = found[1]
    assert [a.key for a in second.actions] == ["2:followup:1"] and second.now == ()
    assert second.reason == "courtesy_note now"


def test_due_shows_the_step_that_will_actually_go_after_a_stale_one() -> None:
    # the note falls due on Saturday, the 72-hour reminder on Sunday: when the business opens on
    # Monday both are due, so `due` shows the reminder going and the note skipped
    record = answered_at(datetime(2026, 12, 3, 10, 0, tzinfo=UTC))  # Thursday
    [line] = schedule([(record, False)], datetime(2026, 12, 4, 9, 0, tzinfo=UTC), OFFICE)
    assert line.due_at == datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert line.goes == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert [type(a) for a in line.actions] == [ReviveReminder]
    assert line.reason.startswith("skipped the courtesy note (due 2026-12-05 10:00): late")
