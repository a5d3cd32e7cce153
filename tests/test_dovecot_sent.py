"""Commands sent *as* the shared address, end to end on Dovecot: found in the Sent folder they are
applied (only someone holding the shared account can put mail there); the same lines in a From
header that anyone can write, arriving in the INBOX, change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from inbox_agent.config import Settings, load_settings
from inbox_agent.records.prospect import Prospect, Status
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from tests import mailgen
from tests.harness import Dovecot, MailboxUser, SmtpReceiver
from tests.realconfig import PASSWORD_ENV, write_config

ALICE = "alice@example.com"


@pytest.fixture
def settings(
    mailbox_user: MailboxUser, smtp_server: SmtpReceiver, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:  # fmt: skip
    monkeypatch.setenv(PASSWORD_ENV, mailbox_user.password)
    extra = '[commands]\nauthserv_ids = ["mx.example.com"]\n'
    return load_settings(write_config(tmp_path, mailbox_user, smtp_server, extra=extra))


@pytest.fixture
def runner(settings: Settings) -> Iterator[Runner]:
    with Store.open(settings.store.path) as store, Runner(settings, store) as runner:
        yield runner


def as_the_shared_address(settings: Settings, notification_id: str, lines: str) -> bytes:
    """What someone logged in as sales@ sends Alice about her prospect: commands only."""
    msg = EmailMessage()
    msg["From"] = f"Acme Sales <{settings.mailbox.address}>"
    msg["To"] = f"Alice <{ALICE}>"
    msg["Subject"] = "Re: [IA-1] New prospect: Jane Doe"
    msg["Date"] = "Fri, 20 Nov 2026 11:00:00 +0000"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg["In-Reply-To"] = notification_id
    msg["References"] = notification_id
    msg.set_content(f"{lines}\n\n-- \nAcme Widgets\n")
    return msg.as_bytes()


def jane(runner: Runner) -> Prospect:
    [record] = runner.store.prospects()
    return record


def test_commands_in_the_sent_folder_apply_and_a_spoof_in_the_inbox_does_not(
    dovecot: Dovecot, mailbox_user: MailboxUser, smtp_server: SmtpReceiver,
    settings: Settings, runner: Runner,
) -> None:  # fmt: skip
    dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(to=settings.mailbox.address))
    runner.cycle()
    before = jane(runner)
    assert before.status == Status.CALL and before.assigned_to == ALICE
    [note] = [r.message() for r in smtp_server.received if r.rcpt_tos == (ALICE,)]
    lines = "#note Jane phoned: wants 40 units by Friday\n#status email"

    spoof = as_the_shared_address(settings, str(note["Message-ID"]), lines)
    dovecot.append(mailbox_user.user, "INBOX", spoof)  # From sales@, but anyone can write that
    sent_before = len(smtp_server.received)
    runner.cycle()
    assert jane(runner) == before and len(smtp_server.received) == sent_before
    [refused] = [m for m in runner.store.messages() if m.folder == "INBOX" and m.uid == 2]
    assert refused.kind == "agent_reply"
    assert refused.reason.startswith("no Authentication-Results from mx.example.com")

    genuine = as_the_shared_address(settings, str(note["Message-ID"]), lines)
    dovecot.append(mailbox_user.user, "Sent", genuine)  # only the shared account writes here
    runner.cycle()
    after = jane(runner)
    assert after.status == Status.EMAIL
    steps = [e.summary for e in after.timeline if e.kind in ("note", "command")]
    assert steps == [
        f"{settings.mailbox.address}: #note Jane phoned: wants 40 units by Friday",
        f"{settings.mailbox.address}: #status email",
    ]
    assert len(smtp_server.received) == sent_before  # nothing mailed about our own mail
    runner.cycle()  # read once: the Sent folder has its own checkpoint
    assert jane(runner) == after
