"""``inbox-agent check``: is everything in place? Config (already validated on load), every
template rendered as the mail it is for, IMAP login and folders and IDLE, SMTP login. Sends
nothing and changes nothing; returns the problems found, one line each.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from inbox_agent.config import Settings
from inbox_agent.exceptions import InboxAgentError
from inbox_agent.reporting import digest_content, review_content
from inbox_agent.rules import followup_rules, renderer, shipped_templates
from inbox_agent.runner import SENT, connect
from inbox_agent.sending import trial
from inbox_agent.smtp import SmtpCourier
from inbox_agent.store import Store


def _templates(settings: Settings) -> tuple[list[str], tuple[str, ...], list[str]]:
    """Render every template file as the mail it is for (``sending.trial``), the mails the
    folder has no template for from the shipped ones, and the digest and the review of two
    sample records: (what was tried, the mails written from shipped ones, problems)."""
    folder, now = settings.acknowledgment.templates, datetime.now(UTC)
    rules = followup_rules(settings)
    agent = settings.agents[0].email if settings.agents else settings.mailbox.address
    found = trial.plan(
        _names(folder), agent=agent, cadence_mail=rules.mail_templates,
        languages=settings.business.languages, sources=(s.name for s in settings.sources),
        interests=(i.name for i in settings.interests), now=now,
        shipped_files=_names(shipped_templates()),
    )  # fmt: skip
    render, problems = renderer(settings), []
    for t in found.trials:
        try:
            render.render(t.action, t.prospect, now)
        except InboxAgentError as exc:
            problems.append(_named(t.file, exc))
    sample = Store.memory()
    with sample.transaction():
        for record in trial.sample_records(now, agent):
            sample.save_prospect(record)
    day = (now - timedelta(days=3)).astimezone(ZoneInfo(settings.business.timezone)).date()
    pages = {
        "digest": lambda: digest_content(sample, settings, day, now),
        "report": lambda: review_content(sample, settings, day.replace(day=1), now),
    }
    for name in found.pages:
        try:
            render.page(name, pages[name]())
        except InboxAgentError as exc:
            problems.append(_named(f"{name}.txt.j2", exc))
    problems += [f"{f}: no mail of ours uses this file (a misspelt name?)" for f in found.unused]
    problems += [f"{n}.txt.j2: no such template here, and none ships ([followups] names it?)"
                 for n in found.missing]  # fmt: skip
    if not folder.is_dir():
        problems.append(f"{folder}: no such folder: every mail would be written from the shipped "
                        "templates (`inbox-agent init` writes a copy to edit)")  # fmt: skip
    tried = [t.file for t in found.trials] + [f"{p} page" for p in found.pages]
    return tried, found.shipped, problems


def _names(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []


def _named(file: str, exc: Exception) -> str:
    """The problem, naming the file once (a template error names the file it is in)."""
    return str(exc) if ".j2" in str(exc) else f"{file}: {exc}"


def run_checks(settings: Settings, echo: Callable[[str], None]) -> list[str]:
    problems: list[str] = []
    echo(f"config: {settings.file}: ok")
    tried, shipped, wrong = _templates(settings)
    problems += [f"templates: {w}" for w in wrong]
    if not wrong:
        echo(f"templates: {settings.acknowledgment.templates}: {len(tried)} rendered: ok")
    if shipped:
        echo(f"templates: no template of yours, the shipped one is used: {', '.join(shipped)}")
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
