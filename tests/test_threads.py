"""Threading and what replies and commands do to a record (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from inbox_agent.mail.classify import Kind
from inbox_agent.mail.message import parse_message
from inbox_agent.records import conversation
from inbox_agent.records.assignment import Agent
from inbox_agent.records.commands import parse_commands
from inbox_agent.records.prospect import Direction, Event, Prospect, Status
from inbox_agent.records.threads import Author, Lookups, Thread, find_thread

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
JANE = Prospect(id=7, email="jane@example.org", created_at=NOW, message_ids=("inq-1@x", "ia.7@s"))
AGENTS = frozenset({"alice@example.com"})
OWN = frozenset({"sales@example.com"})
LOOKUPS = Lookups(
    by_message_id={"inq-1@x": JANE, "ia.7@s": JANE}.get,
    by_id={7: JANE}.get,
    open_for={"jane@example.org": JANE}.get,
)


def mail(sender: str, *, refs: str = "", to: str = "sales@example.com", body: str = "Hi") -> bytes:
    head = f"From: {sender}\r\nTo: {to}\r\nSubject: Re: widgets\r\nMessage-ID: <n@x>\r\n"
    if refs:
        head += f"References: {refs}\r\nIn-Reply-To: {refs.split()[-1]}\r\n"
    return f"{head}\r\n{body}\r\n".encode()


def thread(raw: bytes, **kw: bool) -> Thread:
    return find_thread(parse_message(raw), LOOKUPS, agents=AGENTS, own=OWN, **kw)


def test_references_win_and_name_the_author() -> None:
    t = thread(mail("jane@example.org", refs="<ia.7@s>"))
    assert (t.record, t.how, t.author) == (JANE, "references", "prospect")
    assert thread(mail("alice@example.com", refs="<inq-1@x>")).author == "agent"
    assert thread(mail("bob@example.org", refs="<inq-1@x>")).author == "else"


def test_marker_only_from_the_prospect_or_an_agent() -> None:
    quoted = "Thanks\n> Reference: IA-7"
    assert thread(mail("jane@example.org", body=quoted)).how == "marker"
    stranger = thread(mail("eve@example.net", body=quoted))
    assert stranger.record is None and stranger.author == "else"


def test_sender_and_recipient_fallbacks() -> None:
    assert thread(mail("jane@example.org")).how == "sender"
    agent = thread(mail("alice@example.com", to="jane@example.org"))
    assert (agent.record, agent.how) == (JANE, "recipient")
    assert (
        thread(mail("sales@example.com", to="jane@example.org"), sent_as_us=True).author == "agent"
    )


def test_kinds() -> None:
    with_record = Thread(JANE, "references", Author.PROSPECT)
    assert conversation.kind_of(Kind.INQUIRY, with_record, human_from_us=False) == "prospect_reply"
    assert conversation.kind_of(Kind.AUTO_REPLY, with_record, human_from_us=False) == "auto_reply"
    assert (
        conversation.kind_of(Kind.OWN, Thread(None, "none", Author.AGENT), human_from_us=False)
        == "own"
    )
    assert (
        conversation.kind_of(Kind.OWN, Thread(JANE, "x", Author.AGENT), human_from_us=True)
        == "agent_reply"
    )
    assert (
        conversation.kind_of(Kind.INQUIRY, Thread(JANE, "x", Author.ELSE), human_from_us=False)
        == "inquiry"
    )


def test_agent_reply_then_prospect_reply_makes_a_prospect() -> None:
    event = Event(NOW, Direction.OUT, "agent_reply", "a@x", "prices attached")
    called = replace(JANE, status=Status.CALL)
    answered = conversation.agent_replied(called, event, NOW, "alice@example.com")
    assert answered.status == "email" and answered.first_response_at == NOW
    assert answered.assigned_to == "alice@example.com"
    assert any(e.kind == "status" and "call → email" in e.summary for e in answered.timeline)
    replied = conversation.prospect_replied(
        answered, Event(NOW, Direction.IN, "prospect_reply"), NOW
    )
    assert replied.stage == "prospect" and replied.last_inbound_at == NOW


def test_commands_change_the_record_and_say_who() -> None:
    parsed = parse_commands(
        "#quote 1500 Q-1042 https://example.com/q.pdf\n#status follow_up\n#note called twice\n"
        "#assign Bob\n#stage customer"
    )
    agents = (Agent("Alice", "alice@example.com"), Agent("Bob", "bob@example.com"))
    record, applied, errors = conversation.apply_commands(
        JANE, parsed.commands, NOW, agents, "alice@example.com"
    )
    assert record.quote is not None and record.quote.id == "Q-1042"
    assert record.status == "follow_up" and record.assigned_to == "bob@example.com"
    assert record.stage == "customer" and errors == [] and len(applied) == 5
    assert any(e.summary == "alice@example.com: #note called twice" for e in record.timeline)
    lost, _, _ = conversation.apply_commands(
        JANE, parse_commands("#lost too expensive").commands, NOW, agents, "alice@example.com"
    )
    assert lost.status == "done" and lost.lost_reason == "too expensive"
    _, _, errors = conversation.apply_commands(
        JANE, parse_commands("#assign Nobody").commands, NOW, agents, "alice@example.com"
    )
    assert errors and "no agent" in errors[0]


def test_accepting_a_meeting_makes_a_lead_a_prospect() -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED;CN=Jane:mailto:jane@example.org\r\n"
        "SUMMARY:Call about widgets\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    raw = (
        "From: jane@example.org\r\nTo: sales@example.com\r\n"
        "Subject: Accepted: Call about widgets\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nJane has accepted this invitation.\r\n"
        f"--b\r\nContent-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n{ics}--b--\r\n"
    ).encode()
    msg = parse_message(raw)
    assert conversation.accepted_meeting(msg)
    declined = parse_message(raw.replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED"))
    assert not conversation.accepted_meeting(declined)
    event = Event(NOW, Direction.IN, "prospect_reply", "m@x", "accepted")
    record = conversation.prospect_replied(JANE, event, NOW, accepted=True)
    assert (record.stage, record.status) == ("prospect", "call")
    assert conversation.prospect_replied(JANE, event, NOW).stage == "lead"  # no agent answer yet
