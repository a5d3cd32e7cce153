"""The daily digest on the real servers (Dovecot + aiosmtpd on loopback), with the process
clock moved by Debian's ``faketime``: the daemon wakes at ``[digest] at`` and sends the
digest of the day before; a restart sends nothing more; after days of downtime the latest
missed digest goes once, and older days are not stacked up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from inbox_agent.store import Store
from tests import mailgen
from tests.harness import Dovecot, MailboxUser, Received, SmtpReceiver
from tests.realconfig import env_for, faked_clock, libfaketime, write_config

pytestmark = pytest.mark.skipif(
    libfaketime() is None and not os.environ.get("CI"),
    reason="needs Debian's faketime (apt-get install faketime); CI installs it",
)
DIGEST = """
[digest]
to = ["owner@example.com"]
at = "07:30"
"""


def command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "inbox_agent", "--config", str(config), *args]


def faked(config: Path, user: MailboxUser, at: str, *args: str) -> str:
    """Run one command with its clock starting at ``at``."""
    done = subprocess.run(
        command(config, *args), capture_output=True, text=True, timeout=120,
        env=faked_clock(at, env_for(user)),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def digests(received: list[Received]) -> list[str]:
    """The dates of the digests the owner received, in order."""
    found = []
    for r in received:
        msg = r.message()
        if "owner@example.com" in r.rcpt_tos and str(msg["X-Inbox-Agent"]).startswith("digest"):
            found.append(str(msg["X-Inbox-Agent"]).split(":")[1])
    return found


def clock(day: date, hm: str) -> str:
    return f"{day:%Y-%m-%d} {hm}:00"


def label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def test_the_digest_goes_once_a_day_across_restarts_and_downtime(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path
) -> None:
    """The inquiry arrives now (Dovecot stamps it with the real time); the faked clocks are the
    mornings after it. Day 0 is today, the day the installation reads its first mail."""
    config = write_config(tmp_path, mailbox_user, smtp_server, extra=DIGEST)
    day0 = datetime.now(UTC).date()
    one, two, three, four = (day0 + timedelta(days=n) for n in (1, 2, 3, 4))
    dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(sender="Jane <jane@example.org>"))
    faked(config, mailbox_user, datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"), "poll")
    assert digests(smtp_server.received) == []  # yesterday ended before it read anything

    # the daemon, started just before the time: it wakes at 07:30 by itself
    daemon = subprocess.Popen(
        command(config, "run"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=faked_clock(f"{one:%Y-%m-%d} 07:29:50", env_for(mailbox_user)),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not digests(smtp_server.received) and time.monotonic() < deadline:
            assert daemon.poll() is None, daemon.communicate()[1]
            time.sleep(0.2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0 and "Traceback" not in err, err
    assert digests(smtp_server.received) == [day0.isoformat()]
    [mail] = [r.message() for r in smtp_server.received if "owner@example.com" in r.rcpt_tos]
    assert mail["Auto-Submitted"] == "auto-generated"
    assert f"{label(day0)}: 1 new" in str(mail["Subject"])
    text = mail.get_body(("plain",))
    assert text is not None and "New inquiries: 1" in text.get_content()

    faked(config, mailbox_user, clock(one, "07:40"), "poll")  # a restart: nothing more
    faked(config, mailbox_user, clock(two, "07:00"), "poll")  # before the time: nothing yet
    assert digests(smtp_server.received) == [day0.isoformat()]
    # down from day 2 07:00 to day 4 12:00: the digests of days 1, 2 and 3 were due meanwhile
    faked(config, mailbox_user, clock(four, "12:00"), "poll")
    faked(config, mailbox_user, clock(four, "12:05"), "poll")
    assert digests(smtp_server.received) == [day0.isoformat(), three.isoformat()]

    with dovecot.client(mailbox_user.user) as client:  # a copy of each in the Sent folder
        client.select_folder("Sent", readonly=True)
        sent = client.fetch(client.search(), ["BODY.PEEK[HEADER.FIELDS (X-INBOX-AGENT)]"])
    filed = [v[b"BODY[HEADER.FIELDS (X-INBOX-AGENT)]"] for v in sent.values()]
    assert sum(b"digest; digest:" in f for f in filed) == 2
    with Store.open(config.parent / "data" / "prospects.json", read_only=True) as store:
        assert len(store.prospects()) == 1  # our copies in Sent made no records
        digest_entries = [e for e in store.outbox() if e.kind == "digest"]
        assert [e.status for e in digest_entries] == ["sent", "sent"]
        assert all(e.filed and e.raw == b"" for e in digest_entries)  # its bytes are in Sent
    sent_id = "".join(str(mail["Message-ID"]).split()).strip("<>")  # a long id is folded
    assert digest_entries[0].message_id.strip("<>") == sent_id
