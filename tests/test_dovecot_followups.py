"""Follow-ups on the real servers with the process clock moved by Debian's ``faketime``: the
48-hour note arrives threaded and in Spanish, the 72-hour reminder reaches the agent, each once;
nothing goes out at 3 a.m. on a Sunday or on a public holiday.

The dates are in June 2026, in the past: the mail's arrival time (INTERNALDATE) comes from
Dovecot's own clock, which ``faketime`` does not move, and Dovecot puts a future one back to now.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import pytest

from inbox_agent.config import load_settings
from inbox_agent.store import Store
from tests import mailgen
from tests.harness import Dovecot, MailboxUser, SmtpReceiver
from tests.harness.dovecot import in_ci
from tests.realconfig import env_for, write_config

ALICE = "alice@example.com"
TRUSTED = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def config(mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path) -> Path:
    if shutil.which("faketime") is None:
        message = "faketime is not installed (apt-get install -y faketime)"
        if in_ci():
            pytest.fail(f"CI is set, so this is an error, not a skip: {message}", pytrace=False)
        pytest.skip(message)
    path = write_config(tmp_path, mailbox_user, smtp_server,
                        extra='[commands]\nauthserv_ids = ["mx.example.com"]\n')  # fmt: skip
    text = path.read_text().replace(
        'timezone = "UTC"',
        'timezone = "Africa/Johannesburg"\nholidays = "ZA"\nphone = "+27 21 555 0100"',
    )
    path.write_text(text)
    return path


def poll_at(config: Path, user: MailboxUser, when: datetime) -> None:
    """``inbox-agent poll`` with its clock at ``when`` (the mailbox's own clock is not moved)."""
    done = subprocess.run(
        ["faketime", when.strftime("%Y-%m-%d %H:%M:%S"), sys.executable, "-m", "inbox_agent",
         "--config", str(config), "poll"],
        capture_output=True, text=True, timeout=120, env={**env_for(user), "TZ": "UTC"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def to(smtp: SmtpReceiver, who: str) -> list[EmailMessage]:
    return [r.message() for r in smtp.received if r.rcpt_tos == (who,)]


def arrive(dovecot: Dovecot, user: MailboxUser, raw: bytes, when: datetime) -> None:
    dovecot.append(user.user, "INBOX", raw, msg_time=when)


def answered(
    dovecot: Dovecot, user: MailboxUser, config: Path, who: str, when: datetime, *,
    inquiry_id: str, body: str = "Hello, I would like the price list, please.",
) -> None:  # fmt: skip
    """``who`` asked at ``when``; the acknowledgment goes; Alice answers an hour later."""
    sales = f"{user.user}@example.com"
    arrive(dovecot, user, mailgen.inquiry(sender=who, to=sales, message_id=inquiry_id, body=body),
           when)  # fmt: skip
    poll_at(config, user, when.replace(minute=5))
    address = who.split("<")[-1].rstrip(">")
    answer = mailgen.inquiry(
        sender=f"Alice <{ALICE}>",
        to=address,
        subject="Re: your question",
        body="Here it is.",
        message_id=f"<answer-{inquiry_id.strip('<>')}>",
        headers={**TRUSTED, "Cc": sales, "In-Reply-To": inquiry_id},
    )
    later = when.replace(hour=when.hour + 1, minute=0)
    arrive(dovecot, user, answer, later)
    poll_at(config, user, later.replace(minute=5))


def test_the_48_hour_note_in_spanish_then_the_72_hour_reminder_once_each(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, config: Path
) -> None:
    ana = "ana@example.org"
    tuesday_9am = utc(2026, 6, 2, 7, 0)  # 09:00 in Johannesburg
    answered(dovecot, mailbox_user, config, f"Ana López <{ana}>", tuesday_9am,
             inquiry_id="<inq-ana@example.org>",
             body="Hola, quisiera una cotización de 40 widgets azules para mi tienda.")  # fmt: skip
    [ack] = to(smtp_server, ana)
    assert mailgen.plain_text(ack).startswith("Hola, Ana:")
    poll_at(config, mailbox_user, utc(2026, 6, 4, 7, 55))  # 47 h 55 min after the answer
    assert len(to(smtp_server, ana)) == 1
    poll_at(config, mailbox_user, utc(2026, 6, 4, 8, 5))  # 48 h
    [_, note] = to(smtp_server, ana)
    assert mailgen.plain_text(note).startswith("Hola, Ana:\n\nLe escribo para asegurarme")
    assert note["In-Reply-To"] == "<answer-inq-ana@example.org>"
    assert "+27 21 555 0100" in mailgen.plain_text(note)
    poll_at(config, mailbox_user, utc(2026, 6, 5, 8, 5))  # 72 h: Alice should phone
    reminders = [m for m in to(smtp_server, ALICE) if "Phone Ana" in str(m["Subject"])]
    assert len(reminders) == 1
    poll_at(config, mailbox_user, utc(2026, 6, 5, 8, 30))
    assert len(to(smtp_server, ana)) == 2  # nothing twice
    assert len([m for m in to(smtp_server, ALICE) if "Phone Ana" in str(m["Subject"])]) == 1


def test_nothing_goes_at_3am_on_a_sunday(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, config: Path
) -> None:
    """Alice answered Bob at 03:00 on a Friday: the note falls due at 03:00 on Sunday, and goes
    no earlier than Monday's opening, when the revive reminder is due as well: only that one
    goes (to Alice), the note is noted as skipped — never both at once."""
    bob = "bob@example.org"
    friday_2am = utc(2026, 6, 5, 0, 0)  # 02:00 in Johannesburg: the answer at 03:00
    answered(dovecot, mailbox_user, config, f"Bob <{bob}>", friday_2am,
             inquiry_id="<inq-bob@example.org>")  # fmt: skip
    assert len(to(smtp_server, bob)) == 1  # the acknowledgment goes at any hour
    poll_at(config, mailbox_user, utc(2026, 6, 7, 1, 5))  # Sunday 03:05: due, but closed
    assert len(to(smtp_server, bob)) == 1
    assert not [m for m in to(smtp_server, ALICE) if "Phone Bob" in str(m["Subject"])]
    poll_at(config, mailbox_user, utc(2026, 6, 8, 6, 5))  # Monday 08:05
    assert len(to(smtp_server, bob)) == 1
    assert len([m for m in to(smtp_server, ALICE) if "Phone Bob" in str(m["Subject"])]) == 1
    with Store.open(load_settings(config).store.path, read_only=True) as store:
        record = store.open_prospect_for(bob)
        assert record is not None
        assert [e.summary[:27] for e in record.timeline if e.kind == "followup_skipped"] == [
            "skipped the courtesy note ("
        ]


def test_nothing_goes_on_a_public_holiday(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, config: Path
) -> None:
    cy = "cy@example.org"
    sunday_9am = utc(2026, 6, 14, 7, 0)  # the answer at 10:00: the note due on Youth Day
    answered(dovecot, mailbox_user, config, f"Cy <{cy}>", sunday_9am,
             inquiry_id="<inq-cy@example.org>")  # fmt: skip
    poll_at(config, mailbox_user, utc(2026, 6, 16, 8, 5))  # 16 June, Youth Day: closed
    assert len(to(smtp_server, cy)) == 1
    poll_at(config, mailbox_user, utc(2026, 6, 17, 6, 5))  # Wednesday 08:05
    assert len(to(smtp_server, cy)) == 2


def test_an_opt_out_by_the_unsubscribe_button_holds(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, config: Path
) -> None:
    """Dee presses her mail client's Unsubscribe on the courtesy note: the mailto of its
    List-Unsubscribe header reaches sales@. Alice is told once; nothing more goes to Dee — no
    revive, no further follow-up — until Dee herself writes in again a week later."""
    dee = "dee@example.org"
    sales = f"{mailbox_user.user}@example.com"
    tuesday_9am = utc(2026, 6, 2, 7, 0)
    answered(dovecot, mailbox_user, config, f"Dee <{dee}>", tuesday_9am,
             inquiry_id="<inq-dee@example.org>")  # fmt: skip
    poll_at(config, mailbox_user, utc(2026, 6, 4, 8, 5))  # 48 h: the courtesy note
    [_, note] = to(smtp_server, dee)
    link = str(note["List-Unsubscribe"]).strip().strip("<>")
    assert link.startswith(f"mailto:{sales}?subject=")
    subject = unquote(link.split("?subject=", 1)[1])
    gmail = "This message was automatically generated by Gmail.\n"  # what its button writes
    button = mailgen.inquiry(sender=f"Dee <{dee}>", to=sales, subject=subject, body=gmail)
    arrive(dovecot, mailbox_user, button, utc(2026, 6, 4, 9, 0))
    poll_at(config, mailbox_user, utc(2026, 6, 4, 9, 5))
    told = [m for m in to(smtp_server, ALICE) if "asked us to stop" in str(m["Subject"])]
    assert len(told) == 1 and "the unsubscribe link" in mailgen.plain_text(told[0])
    for when in (utc(2026, 6, 5, 8, 5), utc(2026, 6, 8, 8, 5), utc(2026, 6, 9, 8, 5)):
        poll_at(config, mailbox_user, when)  # the 72-hour mark, then days later
    assert len(to(smtp_server, dee)) == 2  # the acknowledgment and the note: nothing since
    assert not [m for m in to(smtp_server, ALICE) if "Phone Dee" in str(m["Subject"])]
    assert len([m for m in to(smtp_server, ALICE) if "asked us to stop" in str(m["Subject"])]) == 1
    with Store.open(load_settings(config).store.path, read_only=True) as store:
        [record] = store.prospects_for(dee)
        assert record.status == "done" and record.opted_out_at is not None
        assert store.is_suppressed(dee)
    again = mailgen.inquiry(sender=f"Dee <{dee}>", to=sales, subject="Back again",
                            message_id="<again-dee@example.org>",
                            body="Hello again, do you still have the blue widgets?")  # fmt: skip
    arrive(dovecot, mailbox_user, again, utc(2026, 6, 11, 7, 0))
    poll_at(config, mailbox_user, utc(2026, 6, 11, 7, 5))
    assert len(to(smtp_server, dee)) == 3  # she wrote in herself: acknowledged again
    with Store.open(load_settings(config).store.path, read_only=True) as store:
        assert not store.is_suppressed(dee)
        latest = store.open_prospect_for(dee)
        assert latest is not None and any(e.kind == "opt_out_lifted" for e in latest.timeline)


def test_a_silent_lead_gets_two_follow_ups_then_only_the_drip(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, config: Path
) -> None:
    """The lead cap (2): the courtesy note at 48 h, the follow-up at 7 days, then nothing until
    the drip 30 days after that — however often the daemon looks."""
    eve = "eve@example.org"
    monday_9am = utc(2026, 6, 1, 7, 0)
    answered(dovecot, mailbox_user, config, f"Eve <{eve}>", monday_9am,
             inquiry_id="<inq-eve@example.org>")  # fmt: skip
    for when in (
        utc(2026, 6, 3, 8, 5),
        utc(2026, 6, 4, 8, 5),
        utc(2026, 6, 8, 8, 5),
        utc(2026, 6, 9, 8, 5),
        utc(2026, 6, 15, 8, 5),
        utc(2026, 6, 29, 8, 5),
    ):
        poll_at(config, mailbox_user, when)  # fmt: skip
    subjects = [m["X-Inbox-Agent"].split(";")[0] for m in to(smtp_server, eve)]
    assert subjects == ["acknowledgment", "courtesy_note", "follow_up"]
    with Store.open(load_settings(config).store.path, read_only=True) as store:
        record = store.open_prospect_for(eve)
        assert record is not None and record.status == "drip" and record.follow_ups_sent == 2
    poll_at(config, mailbox_user, utc(2026, 7, 8, 8, 30))  # 30 days after the follow-up
    assert [m["X-Inbox-Agent"].split(";")[0] for m in to(smtp_server, eve)][-1] == "drip"
