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
from inbox_agent.mail.optout import asks_to_stop
from inbox_agent.mail.reading import read_message
from inbox_agent.plan import optout
from inbox_agent.plan.calendar import Calendar, days_of
from inbox_agent.plan.context import Context
from inbox_agent.plan.followups import (
    FollowUpRules,
    plan,
    upcoming,
)
from inbox_agent.plan.guards import AckPolicy, CapScope, Recent, full_cap, plan_acknowledgment
from inbox_agent.plan.inbound import Decision, InboundRules, decide
from inbox_agent.records import status
from inbox_agent.records.prospect import Direction, Event, Prospect, Stage, Status
from inbox_agent.rules import inbound_rules
from inbox_agent.sending.actions import (
    MailKind,
    OptedOut,
)
from inbox_agent.sending.letters import unsubscribe_token
from tests import mailgen

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

NOW = datetime(2026, 11, 20, 9, 0, 5, tzinfo=UTC)
_EARLIER = NOW - 3 * D
JANE_RECORD = Prospect(
    id=1, email=JANE, created_at=_EARLIER, name="Jane", status=Status.FOLLOW_UP,
    assigned_to=ALICE, acknowledged_at=_EARLIER, information_sent_at=_EARLIER,
    message_ids=("inq-1@example.org", "note-1@example.com"),
    timeline=(Event(_EARLIER, Direction.IN, "inquiry", "inq-1@example.org"),),
)  # fmt: skip
BASE = Context(folder="INBOX", uid=7, arrived=NOW, now=NOW)


@pytest.fixture
def rules(settings: Settings) -> InboundRules:
    return inbound_rules(settings)


def _decide(raw: bytes, rules: InboundRules, **context: Any) -> Decision:
    return decide(read_message(raw, rules.reading), replace(BASE, **context), rules)


def test_the_agent_is_told_the_stop_came_by_the_unsubscribe_link(rules: InboundRules) -> None:
    raw = mailgen.inquiry(body="", subject=f"unsubscribe IA-1 {unsubscribe_token(JANE_RECORD)}")
    d = _decide(raw, rules, by_id={1: JANE_RECORD})
    assert d.outbox == (OptedOut(1, ALICE, "the unsubscribe link"),)
    [record] = d.records
    assert record.lost_reason == "opted out (the unsubscribe link)"
    [suppression] = d.suppress
    assert suppression.reason == "opt-out (the unsubscribe link)" and suppression.at == NOW


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
    assert suppression.reason == 'opt-out ("unsubscribe")'


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
