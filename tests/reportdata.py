"""A fixture business for the report tests: 19 hand-made records of Acme Widgets (Africa/
Johannesburg, UTC+2, no daylight saving), with the timelines the code writes (stage moves,
commands, mails sent), a message log, quarantine, an undeliverable mail and a suppression.

The digest under test is that of Thursday 3 December 2026 (``DAY``), made on Friday 4 December
at 07:30 local (``NOW``): day = 3 Dec, previous day = 2 Dec, month to date = 1-3 Dec. Every
figure the tests assert was worked out by hand from the table in ``test_report_figures.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from inbox_agent.mail.classify import Kind
from inbox_agent.records.prospect import (
    Direction,
    Event,
    LoggedMessage,
    Moved,
    Prospect,
    QuarantineEntry,
    Quote,
    Sale,
    Stage,
    Status,
    Suppression,
)
from inbox_agent.report.facts import Facts, ReportRules
from inbox_agent.sending import outbox
from inbox_agent.sending.actions import Acknowledge
from inbox_agent.sending.outbox import OutboxEntry
from inbox_agent.sending.render import Business

TZ = ZoneInfo("Africa/Johannesburg")
DAY = date(2026, 12, 3)
ALICE, BOB = "alice@acme.example", "bob@acme.example"
S, M, H = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)


def at(day: int, hm: str, month: int = 12) -> datetime:
    hour, minute = (int(x) for x in hm.split(":"))
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


NOW = at(4, "07:30")
BUSINESS = Business(
    "Acme Widgets", "We will call you.", 24.0, "", {},
    {"website": "Website form", "email": "Direct email", "facebook": "Facebook",
     "linkedin": "LinkedIn", "referral": "Referral", "google_ads": "Google Ads"},
    {"product_information": "Product information", "quote": "Quote"},
)  # fmt: skip
RULES = ReportRules(BUSINESS, TZ, agents=((ALICE, "Alice"), (BOB, "Bob")))


def moved(when: datetime, field: str, old: str, new: str, cause: str) -> Event:
    """An event as ``records.conversation`` writes a status or stage move."""
    return Event(when, Direction.INTERNAL, field, summary=f"{field} {old} → {new} ({cause})",
                 moved=Moved(old, new, cause))  # fmt: skip


def sent(when: datetime, kind: str, to: str = "") -> Event:
    """One of our mails, as ``records.conversation.mail_sent`` records it."""
    direction = Direction.INTERNAL if to else Direction.OUT
    return Event(when, direction, kind, f"ia.{kind}@acme.example",
                 f"{kind} sent" + (f" to {to}" if to else ""))  # fmt: skip


def command(when: datetime, author: str, line: str) -> Event:
    name = line.split()[0].lstrip("#")
    return Event(when, Direction.INTERNAL, "command", summary=f"{author}: {line}", command=name)


def record(
    pid: int, created: datetime, source: str, *, agent: str | None = None,
    ack: timedelta | None = None, answer: timedelta | None = None,
    info: timedelta | None = None, events: tuple[Event, ...] = (), **fields: object,
) -> Prospect:  # fmt: skip
    """Record ``pid``: acknowledged ``ack`` after ``created``, first answered by a person
    ``answer`` after, information sent ``info`` after (the same as ``answer`` unless given)."""
    info = info if info is not None else answer
    timeline = [Event(created, Direction.IN, "inquiry", f"<m{pid}@example.org>", "Hello")]
    if ack is not None:
        timeline.append(sent(created + ack, "acknowledgment"))
    if answer is not None:
        timeline.append(Event(created + answer, Direction.OUT, "agent_reply", f"<a{pid}@x>"))
    timeline.extend(events)
    values: dict[str, object] = {
        "email": f"p{pid}@example.org", "created_at": created, "id": pid, "name": f"Pat{pid}",
        "surname": "Lee", "source": source, "assigned_to": agent,
        "acknowledged_at": created + ack if ack is not None else None,
        "first_response_at": created + answer if answer is not None else None,
        "information_sent_at": created + info if info is not None else None,
        "status": Status.EMAIL if info is not None else Status.CALL,
        "timeline": tuple(sorted(timeline, key=lambda e: e.at)),
    }  # fmt: skip
    values.update(fields)
    return Prospect(**values)  # type: ignore[arg-type]  # the fields are Prospect's own


def prospects() -> tuple[Prospect, ...]:
    def d3(hm: str) -> datetime:
        return at(3, hm)

    def d2(hm: str) -> datetime:
        return at(2, hm)

    def d1(hm: str) -> datetime:
        return at(1, hm)

    return (
        # -- the day's inquiries (3 Dec) -------------------------------------------------------
        record(1, d3("08:00"), "website", agent=ALICE, ack=5 * S, answer=20 * M,
               sub_source="spring campaign", interest="quote"),
        record(2, d3("09:00"), "website", agent=BOB, ack=3 * S, answer=2 * H),
        record(3, d3("10:00"), "facebook", ack=10 * S, answer=50 * M),
        record(4, d3("11:00"), "email", agent=ALICE, ack=4 * S, email="pat@example.net"),
        record(5, d3("13:00"), "email"),  # not acknowledged (a cap held it), nobody assigned
        record(6, d3("15:00"), "facebook", agent=BOB, ack=6 * S, answer=9 * H, interest="quote"),
        # -- the previous day's (2 Dec) --------------------------------------------------------
        record(7, d2("09:00"), "linkedin", agent=ALICE, ack=2 * S, answer=26 * H),
        record(8, d2("10:00"), "website", agent=BOB, ack=8 * S, answer=40 * M,
               stage=Stage.PROSPECT, quote=Quote("R 12,500", "Q-8"), events=(
                   moved(d3("12:00"), "stage", "lead", "prospect", "prospect_replied"),
                   command(d3("14:00"), BOB, "#quote R 12,500 Q-8"))),
        record(9, d2("16:00"), "email", agent=ALICE, ack=1 * S, opted_out_at=d3("17:00")),
        # -- 1 Dec ----------------------------------------------------------------------------
        record(10, d1("10:00"), "referral", agent=BOB, ack=3 * S, answer=5 * H,
               stage=Stage.CUSTOMER, status=Status.DONE, closed_at=d3("16:00"),
               sale=Sale("R8000", "INV-10"), events=(
                   moved(d2("10:00"), "stage", "lead", "prospect", "prospect_replied"),
                   moved(d3("16:00"), "status", "email", "done", "won"),
                   moved(d3("16:00"), "stage", "prospect", "customer", "won"),
                   command(d3("16:00"), BOB, "#sale R8000 INV-10"))),
        # -- older records whose information fell due, follow-ups, revive calls, waiting -----
        record(11, at(30, "09:00", 11), "website", agent=ALICE, ack=2 * S, answer=24 * H,
               events=(sent(d3("09:00"), "courtesy_note"),), follow_ups_sent=1),
        record(12, at(30, "14:00", 11), "email", agent=BOB, ack=2 * S,
               attention="the phone number cannot be read"),
        record(13, at(25, "10:00", 11), "facebook", agent=ALICE, ack=2 * S, answer=1 * H,
               status=Status.REVIVE, phone="+27821234567", events=(
                   sent(at(27, "11:00", 11), "courtesy_note"),
                   sent(d3("08:30"), "revive_reminder", ALICE))),
        record(14, at(29, "20:00", 11), "website", agent=ALICE, ack=2 * S, answer=74 * H),
        record(15, at(30, "18:00", 11), "email", agent=BOB, ack=2 * S, status=Status.DONE,
               closed_at=d1("12:00"), lost_reason="bought elsewhere"),
        record(16, at(2, "10:00", 11), "linkedin", agent=ALICE, ack=2 * S, answer=1 * H,
               status=Status.DRIP, events=(sent(d2("09:00"), "drip"),)),
        record(17, at(20, "10:00", 10), "google_ads", agent=BOB, ack=2 * S, answer=1 * H,
               stage=Stage.CUSTOMER, status=Status.DONE, closed_at=d1("11:00"),
               quote=Quote("€ 1.500,00"), sale=Sale("€ 1.500,00"), events=(
                   command(at(10, "12:00", 11), BOB, "#quote € 1.500,00"),
                   command(d1("11:00"), BOB, "#sale € 1.500,00"))),
        record(18, at(20, "09:00", 11), "email", phone_raw="082 555 0199"),  # a backlog record
        record(19, at(1, "09:00", 10), "email", agent=ALICE, ack=2 * S, answer=1 * H,
               status=Status.DONE, closed_at=at(5, "09:00", 10), lost_reason="no budget"),
    )  # fmt: skip


def facts() -> Facts:
    bounced = OutboxEntry(Acknowledge(4, "pat@example.net"), at(3, "12:00"))
    failed = outbox.failed(bounced, at(3, "12:01"), "550 5.1.1 no such user")
    return Facts(
        prospects=prospects(),
        messages=(
            LoggedMessage("k1", "<spam1@x>", "INBOX", 41, Kind.SPAM, "X-Spam-Flag: YES",
                          at(3, "09:15")),
            LoggedMessage("k2", "<spam0@x>", "INBOX", 40, Kind.SPAM, "X-Spam-Flag: YES",
                          at(2, "09:15")),  # the day before: not the day's
            LoggedMessage("k3", "<b1@x>", "INBOX", 42, Kind.BOUNCE, "delivery status report",
                          at(3, "12:30")),
        ),
        quarantined=(
            QuarantineEntry("INBOX", 7, 43, "an inquiry with no address to answer",
                            at(3, "10:20"), "<q1@x>", "Price?"),
        ),
        undeliverable=(failed,),
        suppressions=(Suppression("pat@example.net", "bounce <b1@x>", at(3, "12:30")),),
    )  # fmt: skip
