"""``inbox-agent check``: is everything in place? Config (already validated on load), templates,
IMAP login and folders and IDLE, SMTP login. Sends nothing and changes nothing; returns the
problems found, one line each.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from inbox_agent.config import Settings
from inbox_agent.exceptions import InboxAgentError
from inbox_agent.records.prospect import Prospect
from inbox_agent.rules import renderer
from inbox_agent.runner import SENT, connect
from inbox_agent.sending.actions import Acknowledge
from inbox_agent.smtp import SmtpCourier


def _templates(settings: Settings) -> None:
    sample = Prospect(
        id=1, email="jane@example.org", created_at=datetime.now(UTC), name="Jane",
        surname="Doe", subject="Question about your widgets", question="Do you ship to Cape Town?",
    )  # fmt: skip
    renderer(settings).render(Acknowledge(sample.id, sample.email), sample, datetime.now(UTC))


def run_checks(settings: Settings, echo: Callable[[str], None]) -> list[str]:
    problems: list[str] = []
    echo(f"config: {settings.file}: ok")
    try:
        _templates(settings)
        echo(f"templates: {settings.acknowledgment.templates}: ok")
    except InboxAgentError as exc:
        problems.append(f"templates: {exc}")
    try:
        with connect(settings) as mailbox:
            state = mailbox.select(settings.mailbox.inbox)
            sent = mailbox.special_folder(SENT, settings.mailbox.sent)
            idle = mailbox.has_idle()
            echo(
                f"imap: {settings.mailbox.host}:{settings.mailbox.port}: logged in; "
                f"{state.name} (UIDVALIDITY {state.uidvalidity}); Sent folder {sent!r}; "
                f"IDLE {'supported' if idle else 'not supported: will poll'}"
            )
    except InboxAgentError as exc:
        problems.append(f"imap: {exc}")
    try:
        SmtpCourier(settings.smtp).check()
        echo(f"smtp: {settings.smtp.host}:{settings.smtp.port}: ok")
    except InboxAgentError as exc:
        problems.append(f"smtp: {settings.smtp.host}:{settings.smtp.port}: {exc}")
    return problems
