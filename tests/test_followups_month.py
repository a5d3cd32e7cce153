"""A simulated month of 200 prospects on fakes, with the daemon down for two days in the middle:
every follow-up the rules call for is sent exactly once, none after a stop condition, none
outside business hours, every cap holds — and ``due`` said beforehand what would go, and when.

The prospects behave as people and robots do (seeded, so every run is the same month):

- ``uninformed``: no agent ever sends information → one "information overdue" notice to the
  agent and the supervisor, never a courtesy note (it would be false);
- ``silent``: the agent answers, they never do → the courtesy note at 48 h, the revive reminder
  at 72 h, the last follow-up at 7 days (the lead cap, 2 mails: → ``drip``), then the drip
  templates in rotation;
- ``answers``: they answer the agent within days → nothing after their answer;
- ``opts_out``: they answer the first follow-up "Please stop emailing me." → nothing more, the
  agent told once;
- ``bounces``: the first follow-up hard-bounces → nothing more;
- ``away``: their out-of-office answers every mail we send → it stops nothing;
- ``engaged``: they answer the first follow-up with a question and the agent answers again → a
  prospect now (cap 8), whose cadence starts anew from the agent's second answer.

Everything checked is read from what the fake SMTP server received and when, and from the
store; the expected times are computed here from the cadence and the business calendar.
"""

from __future__ import annotations

import email
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import policy
from itertools import pairwise
from pathlib import Path

import pytest

from inbox_agent.config import Settings, load_settings
from inbox_agent.plan.calendar import Calendar
from inbox_agent.plan.followups import SKIPPED, Scheduled, schedule
from inbox_agent.records.prospect import Stage, Status
from inbox_agent.rules import followup_rules
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from tests import mailgen
from tests.conftest import Clock
from tests.fakes import FakeCourier, FakeMailbox

START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # a Monday; 16 December is a holiday (ZA)
END = START + timedelta(days=30)
DOWN, UP = START + timedelta(days=15, hours=9), START + timedelta(days=17, hours=9)
LOOK = START + timedelta(days=10, hours=12)  # when `due` is asked what will go
STEP = timedelta(minutes=30)  # the daemon's cycle, in simulated time
ALICE, OWNER, SALES = "alice@example.com", "owner@example.com", "sales@example.com"
TRUSTED = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}
PERSONS_MAIL = {"inquiry", "prospect_reply", "agent_reply"}
TO_PERSON = {"courtesy_note", "follow_up", "drip"}
TIMED = TO_PERSON | {"revive_reminder", "information_overdue"}
BEHAVIOURS = (
    ("uninformed", 30), ("silent", 60), ("answers", 30), ("opts_out", 20), ("bounces", 20),
    ("away", 20), ("engaged", 20),
)  # fmt: skip
PROVIDERS = ("gmail.com", "outlook.com", "yahoo.com")  # most people write from one of these
CADENCE_HOURS = (("courtesy_note", 48), ("revive_reminder", 72), ("follow_up", 168))


@dataclass
class Person:
    n: int
    email: str
    behaviour: str
    asks_at: datetime
    engaged: bool = False  # asked a question after the courtesy note, and was answered
    answered_at: datetime | None = None  # when the agent's (last) answer arrived
    stopped_at: datetime | None = None  # when their stop (answer, opt-out, bounce) arrived
    inquiry_id: str = ""


@dataclass
class Sent:
    at: datetime
    kind: str
    key: str
    to: str
    message_id: str


@dataclass
class Month:
    settings: Settings
    path: Path
    clock: Clock = field(default_factory=lambda: Clock(START))
    box: FakeMailbox = field(init=False)
    courier: FakeCourier = field(default_factory=FakeCourier)
    sent: list[Sent] = field(default_factory=list)
    events: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)
    store: Store = field(init=False)
    runner: Runner | None = field(init=False)

    def __post_init__(self) -> None:
        self.box = FakeMailbox(clock=self.clock)
        self.store = Store.open(self.path)
        self.runner = Runner(self.settings, self.store, courier=self.courier, now=self.clock)

    def later(self, when: datetime, do: Callable[[], None]) -> None:
        self.events.append((when, len(self.events), do))

    def cycle(self) -> list[Sent]:
        assert self.runner is not None
        before = len(self.courier.sent)
        self.runner.cycle(self.box)
        new = []
        header = self.settings.classify.loop_header
        for _, (rcpt,), raw in self.courier.sent[before:]:
            msg = email.message_from_bytes(raw, policy=policy.default)
            kind, key = (part.strip() for part in str(msg[header]).split(";", 1))
            new.append(Sent(self.clock.t, kind, key, rcpt, str(msg["Message-ID"]).strip("<>")))
        self.sent.extend(new)
        return new

    def stop_daemon(self) -> None:
        assert self.runner is not None
        self.runner.close()
        self.store.close()
        self.runner = None

    def start_daemon(self) -> None:
        self.store = Store.open(self.path)
        self.runner = Runner(self.settings, self.store, courier=self.courier, now=self.clock)


def _people(rng: random.Random) -> list[Person]:
    kinds = [b for b, count in BEHAVIOURS for _ in range(count)]
    rng.shuffle(kinds)
    people = []
    for n, behaviour in enumerate(kinds, 1):
        asks = START + timedelta(minutes=rng.randrange(0, 20 * 24 * 60))  # any hour, any day
        domain = PROVIDERS[n % len(PROVIDERS)] if n % 4 else f"firm{n % 20}.example.net"
        people.append(Person(n, f"p{n}@{domain}", behaviour, asks, inquiry_id=f"inq-{n}@x"))
    return people


def _run(month: Month, people: list[Person], rng: random.Random) -> list[Scheduled]:
    """The whole month; returns what ``due`` said at LOOK."""
    by_email = {p.email: p for p in people}
    reacted: set[tuple[str, str]] = set()  # (email, message id) already answered by them
    followed: set[str] = set()  # who got a follow-up already

    def arrive(raw: bytes) -> Callable[[], None]:
        def deliver() -> None:
            month.box.add(raw)

        return deliver

    def agent_answers(p: Person, at: datetime, in_reply_to: str, n: int) -> None:
        raw = mailgen.inquiry(
            sender=f"Alice <{ALICE}>", to=p.email, subject="Re: Widgets",
            body="Here is the price list you asked for.", message_id=f"<ans-{n}-{p.n}@x>",
            headers={**TRUSTED, "Cc": SALES, "In-Reply-To": f"<{in_reply_to}>"},
        )  # fmt: skip

        def deliver() -> None:
            month.box.add(raw)
            p.answered_at = month.clock.t

        month.later(at, deliver)

    for p in people:
        raw = mailgen.inquiry(sender=f"P{p.n} <{p.email}>", subject="Widgets",
                              body="Hello, could you send me your price list?",
                              message_id=f"<{p.inquiry_id}>")  # fmt: skip
        month.later(p.asks_at, arrive(raw))
        if p.behaviour != "uninformed":
            answer_at = p.asks_at + timedelta(minutes=rng.randrange(30, 30 * 60))
            agent_answers(p, answer_at, p.inquiry_id, 1)
        if p.behaviour == "answers":
            at = p.asks_at + timedelta(hours=31 + rng.randrange(1, 100))
            reply = mailgen.inquiry(sender=p.email, subject="Re: Widgets",
                                    body="Thank you, we will think about it and call you.",
                                    message_id=f"<reply-{p.n}@x>")  # fmt: skip

            def replies(p: Person = p, reply: bytes = reply) -> None:
                month.box.add(reply)
                p.stopped_at = month.clock.t

            month.later(at, replies)

    def react(s: Sent) -> None:
        p = by_email.get(s.to)
        if p is None or s.kind not in TO_PERSON or (p.email, s.message_id) in reacted:
            return
        reacted.add((p.email, s.message_id))
        first_note = s.kind != "drip" and p.email not in followed  # the first of the cadence
        followed.add(p.email)
        if p.behaviour == "opts_out" and first_note:
            raw = mailgen.inquiry(sender=p.email, subject="Re: Widgets",
                                  body="Please stop emailing me.\n\nP.",
                                  headers={"In-Reply-To": f"<{s.message_id}>"})  # fmt: skip

            def opts_out(p: Person = p, raw: bytes = raw) -> None:
                month.box.add(raw)
                p.stopped_at = month.clock.t

            month.later(s.at + timedelta(hours=2), opts_out)
        elif p.behaviour == "bounces" and first_note:
            dsn = mailgen.bounce(failed=p.email, returned_id=f"<{s.message_id}>")

            def bounces(p: Person = p, dsn: bytes = dsn) -> None:
                month.box.add(dsn)
                p.stopped_at = month.clock.t

            month.later(s.at + timedelta(minutes=10), bounces)
        elif p.behaviour == "away":
            ooo = mailgen.inquiry(sender=p.email, subject="Automatic reply: Re: Widgets",
                                  body="I am out of the office until further notice.",
                                  headers={"Auto-Submitted": "auto-replied",
                                           "In-Reply-To": f"<{s.message_id}>"})  # fmt: skip
            month.later(s.at + timedelta(minutes=1), arrive(ooo))
        elif p.behaviour == "engaged" and first_note:
            question = mailgen.inquiry(
                sender=p.email, subject="Re: Widgets", message_id=f"<q-{p.n}@x>",
                body="Thanks. Do you deliver on Saturdays?",
                headers={"In-Reply-To": f"<{s.message_id}>"},
            )  # fmt: skip
            month.later(s.at + timedelta(hours=3), arrive(question))
            p.engaged = True
            agent_answers(p, s.at + timedelta(hours=5), f"q-{p.n}@x", 2)

    said: list[Scheduled] = []
    t = START
    while t <= END:
        due_now = sorted(e for e in month.events if e[0] <= t)
        month.events = [e for e in month.events if e[0] > t]
        month.clock.t = t
        for _, _, do in due_now:
            do()
        if t == DOWN:
            month.stop_daemon()
        if t == UP:
            month.start_daemon()
        if month.runner is not None:
            for s in month.cycle():
                react(s)
        if t == LOOK:
            records = ((r, month.store.is_suppressed(r.email)) for r in month.store.prospects())
            said = list(schedule(records, t, followup_rules(month.settings)))
        t += STEP
    return said


@pytest.fixture(scope="module")
def month(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Month, list[Person], list[Scheduled]]]:
    base = load_settings(Path(__file__).resolve().parent.parent / "rules.toml")
    settings = replace(
        base,
        business=replace(base.business, holidays="ZA", phone="+27 21 555 0100"),
        followups=replace(base.followups, drip_days=7),  # so that the drip shows in a month
    )
    rng = random.Random(2026)
    people = _people(rng)
    m = Month(settings, tmp_path_factory.mktemp("month") / "prospects.json")
    said = _run(m, people, rng)
    yield m, people, said
    m.stop_daemon()


def cycle_at(t: datetime) -> datetime:
    """The first cycle of the daemon at or after ``t`` (none while it is down)."""
    runs = START + -((START - t) // STEP) * STEP
    return UP if DOWN <= runs < UP else runs


def goes_at(calendar: Calendar, due: datetime) -> datetime:
    """When a step due at ``due`` goes: the first cycle at which the business is open."""
    runs = cycle_at(due)
    while not calendar.is_open(runs):
        runs = cycle_at(calendar.next_open(runs))
    return runs


def _calendar(m: Month) -> Calendar:
    return followup_rules(m.settings).calendar


def _to(m: Month, p: Person, kinds: set[str]) -> list[Sent]:
    return [s for s in m.sent if s.to == p.email and s.kind in kinds]


def _record_id(s: Sent) -> int:
    return int(s.key.split(":", 1)[0])


def test_the_month_had_every_kind_of_mail(
    month: tuple[Month, list[Person], list[Scheduled]],
) -> None:
    m, people, said = month
    kinds = Counter(s.kind for s in m.sent)
    for kind in ("acknowledgment", "notification", "courtesy_note", "revive_reminder",
                 "follow_up", "drip", "information_overdue", "opted_out"):  # fmt: skip
        assert kinds[kind] > 0, kinds
    assert len(people) == 200 and said


def test_nothing_is_sent_twice(month: tuple[Month, list[Person], list[Scheduled]]) -> None:
    m, _, _ = month
    assert len({s.message_id for s in m.sent}) == len(m.sent)
    assert len({s.key for s in m.sent if s.kind != "information_overdue"}) == len(
        [s for s in m.sent if s.kind != "information_overdue"]
    )
    told = Counter((s.key, s.to) for s in m.sent if s.kind == "information_overdue")
    assert set(told.values()) == {1}


def test_nothing_timed_goes_while_the_business_is_closed(
    month: tuple[Month, list[Person], list[Scheduled]],
) -> None:
    m, _, _ = month
    calendar = _calendar(m)
    timed = [s for s in m.sent if s.kind in TIMED]
    closed = [(s.at.astimezone(calendar.zone), s.kind) for s in timed if not calendar.is_open(s.at)]
    assert not closed
    assert not [s for s in timed if s.at.date() == datetime(2026, 12, 16).date()]  # a holiday
    acks = [s for s in m.sent if s.kind == "acknowledgment"]
    assert any(not calendar.is_open(s.at) for s in acks)  # the acknowledgment goes at any hour


def test_nothing_goes_to_a_person_after_they_stopped(
    month: tuple[Month, list[Person], list[Scheduled]],
) -> None:
    m, people, _ = month
    for p in people:
        if p.stopped_at is None:
            continue
        after = [s for s in _to(m, p, TO_PERSON) if s.at >= p.stopped_at]
        assert not after, (p.behaviour, p.stopped_at, after)
    for p in (p for p in people if p.behaviour in ("opts_out", "bounces")):
        first = _to(m, p, {"courtesy_note", "follow_up"})[:1]
        assert (p.stopped_at is not None) == bool(first and first[0].at < END - STEP * 4), p


def test_an_opt_out_tells_the_agent_once_and_closes_the_record(
    month: tuple[Month, list[Person], list[Scheduled]],
) -> None:
    m, people, _ = month
    for p in (p for p in people if p.behaviour == "opts_out" and p.stopped_at is not None):
        [record] = m.store.prospects_for(p.email)
        assert record.status == Status.DONE and record.opted_out_at is not None
        told = [s for s in m.sent if s.kind == "opted_out" and _record_id(s) == record.id]
        assert [s.to for s in told] == [ALICE]
        assert m.store.is_suppressed(p.email)


def test_caps_hold_and_the_drip_rotates(month: tuple[Month, list[Person], list[Scheduled]]) -> None:
    m, people, _ = month
    templates = {e.key: getattr(e.action, "template", "") for e in m.store.outbox()}
    for p in people:
        [record] = m.store.prospects_for(p.email)
        follow_ups = _to(m, p, {"courtesy_note", "follow_up"})
        assert len(follow_ups) <= (2 if record.stage == Stage.LEAD else 8)
        if len(follow_ups) == 2 and record.stage == Stage.LEAD:
            assert record.status in (Status.DRIP, Status.DONE)
        sent = [templates[s.key] for s in _to(m, p, TO_PERSON)]
        assert all(a != b for a, b in pairwise(sent)), sent  # never twice
    drips = [s for s in m.sent if s.kind == "drip"]
    assert {templates[s.key] for s in drips} == {"drip", "drip_2"}


def test_no_courtesy_note_without_information_one_overdue_notice_instead(
    month: tuple[Month, list[Person], list[Scheduled]],
) -> None:
    m, people, _ = month
    calendar = _calendar(m)
    for p in (p for p in people if p.behaviour == "uninformed"):
        assert not _to(m, p, TO_PERSON)
        [record] = m.store.prospects_for(p.email)
        notices = [
            s for s in m.sent if s.kind == "information_overdue" and _record_id(s) == record.id
        ]
        runs = goes_at(calendar, p.asks_at + timedelta(hours=72))
        if runs > END:
            continue
        assert sorted(s.to for s in notices) == [ALICE, OWNER]
        assert all(s.at == runs for s in notices), (runs, notices)


def test_every_step_the_rules_call_for_goes_once_at_its_time(
    month: tuple[Month, list[Person], list[Scheduled]],
) -> None:
    """For the people who stay silent (and those whose out-of-office answers): each cadence
    step goes at the first open cycle after it falls due, or — when the next step is due by
    then too (a weekend, the daemon down) — is skipped, and the record says so."""
    m, people, _ = month
    calendar = _calendar(m)
    checked = skipped_seen = 0
    for p in (p for p in people if p.behaviour in ("silent", "away", "engaged")):
        assert p.answered_at is not None
        [record] = m.store.prospects_for(p.email)
        sent: dict[str, Sent] = {}
        for s in m.sent:  # the first of each kind since the agent's last answer
            if s.kind in TIMED and _record_id(s) == record.id and s.at >= p.answered_at:
                sent.setdefault(s.kind, s)
        skipped = [
            e.summary for e in record.timeline if e.kind == SKIPPED and e.at >= p.answered_at
        ]
        steps = [(kind, p.answered_at + timedelta(hours=h)) for kind, h in CADENCE_HOURS]
        if p.engaged:  # a prospect now: the same first three steps, then more
            assert record.stage == Stage.PROSPECT
        for i, (kind, due) in enumerate(steps):
            runs = goes_at(calendar, due)
            if runs > END:
                continue
            following = steps[i + 1][1] if i + 1 < len(steps) else None
            template = kind.replace("_", " ")
            if following is not None and following <= runs:  # stale by the time it could go
                assert kind not in sent and any(template in s for s in skipped), (p, kind)
                skipped_seen += 1
                continue
            assert kind in sent, (p.behaviour, kind, due, runs)
            assert sent[kind].at == runs, (kind, due, runs, sent[kind].at)
            checked += 1
    assert checked > 150 and skipped_seen > 0, (checked, skipped_seen)


def test_at_most_one_step_per_person_per_run(
    month: tuple[Month, list[Person], list[Scheduled]],
) -> None:
    m, _, _ = month
    per_run: dict[tuple[datetime, int], set[str]] = defaultdict(set)
    for s in m.sent:
        if s.kind in TIMED:
            per_run[(s.at, _record_id(s))].add(
                "overdue" if s.kind == "information_overdue" else s.key
            )
    assert all(len(keys) == 1 for keys in per_run.values())
    first_run = [s for s in m.sent if s.kind in TIMED and UP <= s.at < UP + STEP]
    assert first_run  # the backlog of two days went in one run, one step each


def test_due_said_beforehand_what_would_go_and_when(
    month: tuple[Month, list[Person], list[Scheduled]],
) -> None:
    m, people, said = month
    quiet = {p.email for p in people if p.behaviour in ("silent", "uninformed")}
    sent = {(s.key, s.to): s.at for s in m.sent}
    checked = 0
    for line in said:
        if line.record.email not in quiet or line.goes >= DOWN:
            continue
        [record] = m.store.prospects_for(line.record.email)
        if any(LOOK < e.at <= line.goes for e in record.timeline if e.kind in PERSONS_MAIL):
            continue  # mail came meanwhile (the agent answered): `due` could not know
        for action in line.actions:
            at = sent.get((action.key, action.recipient))
            assert at == cycle_at(line.goes), (action, line.goes, at)
            checked += 1
    assert checked > 20
