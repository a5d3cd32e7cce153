"""An agent answers from a real mail client: Mutt in tmux presses Reply on the notification in
the agent's own Dovecot mailbox, and the prospect gets the answer from the shared address."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from inbox_agent.config import load_settings
from inbox_agent.records.prospect import Status
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from tests import mailgen
from tests.harness import Dovecot, MailboxUser, Received, SmtpReceiver
from tests.harness.mutt import Mutt, require_mutt
from tests.realconfig import PASSWORD_ENV, write_config

JANE = "jane@example.org"


def to(received: list[Received], who: str) -> list[Received]:
    return [r for r in received if r.rcpt_tos == (who,)]


@pytest.mark.parametrize("group", [False, True], ids=["reply", "reply-all"])
def test_an_agent_presses_reply_in_mutt_and_the_prospect_gets_it(
    dovecot: Dovecot,
    mailbox_user: MailboxUser,
    smtp_server: SmtpReceiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    group: bool,
) -> None:
    require_mutt()
    agent = f"{mailbox_user.user}-agent"
    password = secrets.token_urlsafe(12)
    dovecot.add_user(agent, password)
    address = f"{agent}@example.test"  # the receiver delivers it to that Dovecot user
    extra = (  # the test's SMTP server signs nothing: trust the From line, explicitly
        f'[commands]\ntrust = "from-header"\n\n[[agents]]\nname = "Mia"\nemail = "{address}"\n\n'
        f'[[assignment]]\nagent = "{address}"\n'
    )
    config = write_config(tmp_path, mailbox_user, smtp_server, extra=extra)
    monkeypatch.setenv(PASSWORD_ENV, mailbox_user.password)
    settings = load_settings(config)
    shared = settings.mailbox.address
    smtp_server.deliver_to(dovecot)  # the notification lands in Mia's own mailbox
    dovecot.append(mailbox_user.user, "INBOX", mailgen.inquiry(to=shared))
    with Store.open(settings.store.path) as store, Runner(settings, store) as runner:
        runner.cycle()
        assert len(to(smtp_server.received, address)) == 1  # "New prospect: Jane Doe"
        folder = tmp_path / "mutt"
        folder.mkdir()
        with Mutt(
            folder,
            user=agent,
            password=password,
            imap_port=dovecot.port,
            smtp_port=smtp_server.port,
            address=address,
            name="Mia Agent",
        ) as mutt:
            mutt.reply(
                "Hi Jane,\n\nyes, we deliver to Cape Town: 3 days, R450.\n\nMia\n\n",
                shows="New prospect: Jane Doe",
                group=group,
            )
        deadline = time.monotonic() + 10
        while not to(smtp_server.received, shared) and time.monotonic() < deadline:
            time.sleep(0.05)
        [pressed] = to(smtp_server.received, shared)  # Reply went to the shared mailbox only
        assert pressed.mail_from == address
        runner.cycle()
        [answer] = to(smtp_server.received, JANE)[1:]  # after her acknowledgment
        body = answer.message().get_body(("plain",))
        assert body is not None
        text = body.get_content().replace("\r\n", "\n")
        assert text.startswith("Hi Jane,\n\nyes, we deliver to Cape Town: 3 days, R450.")
        assert "New prospect" not in text and "lines starting with #" not in text
        assert "Mia\nAcme Widgets" in text
        assert (
            str(answer.message()["From"]) == f'"Mia (Acme Widgets)" <{shared}>'
        )  # configured name
        receipts = [r for r in to(smtp_server.received, address) if "Sent to" in r.data.decode()]
        assert len(receipts) == 1
        [record] = store.prospects()
        assert record.status == Status.EMAIL and record.information_sent_at is not None
