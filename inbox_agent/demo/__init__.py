"""``inbox-agent demo``: the product against a practice mailbox on this computer, no setup.

Vocabulary: the *practice mailbox* is pymap's in-memory IMAP server, run as a child process on a
free loopback port with one user (``sales@demo.test``) and an empty INBOX; the *samples* are the
hand-written ``.eml`` files in ``inbox_agent/samples/`` (see its README), APPENDed to that INBOX in
file-name order; the *practice outbox* is an aiosmtpd receiver on another loopback port that
keeps what it is sent. The demo then runs one full cycle, as ``inbox-agent poll`` does
(``runner.Runner.cycle``), with the shipped ``rules.toml``'s rules and templates: it prints what
happened to each message, the prospect list and the acknowledgments the receiver got, runs a
second cycle to show that nothing is processed or sent twice, and ends with the owner's daily
digest of the day so far: printed as text, and written as HTML to a file it names (in the
system's temporary folder; the one file the demo leaves). Nothing leaves this computer;
everything else lives in a temporary folder and the child process, and both are gone when it
returns, also on errors and Ctrl-C.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import Any

from inbox_agent.config import Settings, parse_settings
from inbox_agent.demo.practice import (
    HOST,
    PracticeMailbox,
    PracticeOutbox,
    Sample,
    load_samples,
    samples,
)
from inbox_agent.demo.show import (
    Echo,
    describe,
    plural,
    show_acknowledgments,
    show_digest,
    summary,
)
from inbox_agent.exceptions import InboxAgentError
from inbox_agent.runner import Runner
from inbox_agent.store import Store
from inbox_agent.views import prospects_table, table

ADDRESS = "sales@demo.test"
BUSINESS = "Demo Widgets"
PASSWORD_ENV = "INBOX_AGENT_DEMO_PASSWORD"
AGENTS = (
    {"name": "Thandi", "email": "thandi@demo.test"},
    {"name": "Pieter", "email": "pieter@demo.test"},
)
__all__ = ["PracticeMailbox", "Sample", "run_demo", "samples"]


def shipped_rules() -> dict[str, Any]:
    """The shipped rules.toml (the same file ``inbox-agent init`` writes)."""
    path = resources.files("inbox_agent") / "starter" / "rules.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def demo_settings(folder: Path, port: int, smtp_port: int) -> Settings:
    """Settings for the practice mailbox, with the shipped source, interest and classify rules."""
    shipped = shipped_rules()
    templates = Path(str(resources.files("inbox_agent") / "starter" / "templates"))
    raw: dict[str, Any] = {
        "business": {"name": BUSINESS, "timezone": "UTC", "website": "https://demo-widgets.example"},
        "mailbox": {
            "address": ADDRESS, "host": HOST, "port": port, "security": "none",
            "username": ADDRESS, "password_env": PASSWORD_ENV, "timeout_s": 15,
        },
        "smtp": {"host": HOST, "port": smtp_port, "security": "none", "timeout_s": 10},
        "store": {"path": "prospects.json"},
        "acknowledgment": {"display_name": f"{BUSINESS} Sales", "templates": str(templates)},
        "agents": [dict(a) for a in AGENTS],
        "classify": shipped.get("classify", {}),
        "labels": shipped.get("labels", {}),
        "sources": shipped.get("sources", []),
        "interests": shipped.get("interests", []),
    }  # fmt: skip
    return parse_settings(raw, folder / "rules.toml")


@contextlib.contextmanager
def environment(name: str, value: str) -> Iterator[None]:
    """Set one environment variable for the duration; restore what was there."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C does, so the mailbox child is stopped, not orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    before = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


@contextlib.contextmanager
def quiet_warnings() -> Iterator[None]:
    """The demo prints quarantine and the like itself: no duplicate log warnings, unless -v."""
    logger = logging.getLogger("inbox_agent")
    before = logger.level
    if logger.getEffectiveLevel() >= logging.WARNING:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(before)


def run_demo(echo: Echo) -> None:
    """Run the whole demo, printing through ``echo``; raises InboxAgentError on failure."""
    started = time.monotonic()
    mail = samples()
    if not mail:
        raise InboxAgentError("no sample mail found in the inbox_agent package")
    password = secrets.token_urlsafe(16)
    with (
        tempfile.TemporaryDirectory(prefix="inbox-agent-demo-") as tmp,
        environment(PASSWORD_ENV, password),
        stop_on_sigterm(),
        quiet_warnings(),
        PracticeMailbox(Path(tmp), ADDRESS, password) as server,
        PracticeOutbox() as outbox,
    ):
        folder = Path(tmp)
        echo(f"inbox-agent demo: {BUSINESS}, shared sales mailbox {ADDRESS}")
        echo(
            f"A practice mailbox ({HOST}:{server.port}) and mail server ({HOST}:{outbox.port}) "
            f"run on this computer only, loaded with {len(mail)} sample e-mails."
        )
        echo("Nothing leaves this computer, and everything is deleted when the demo ends.")
        echo("")
        by_uid = load_samples(server.port, ADDRESS, password, mail)
        settings = demo_settings(folder, server.port, outbox.port)
        with Store.open(settings.store.path) as store:
            with Runner(settings, store) as runner:
                first = runner.cycle()
            records = store.prospects()
            echo("Reading the inbox: what happened to each message")
            echo(
                table(describe(store, by_uid), ("sample", "kind", "who", "source", "what happened"))
            )
            echo("")
            echo("The prospect list (inbox-agent prospects):")
            echo(prospects_table(records) if records else "(no records)")
            echo("")
            echo(summary(first.poll, len(records)))
            if store.quarantined():
                echo("In real use, `inbox-agent quarantine` lists such mail for a person to check.")
            echo("")
            show_acknowledgments(echo, outbox.received, first.dispatch.sent)
            echo("")
            with Runner(settings, store) as runner:
                second = runner.cycle()
            after = len(store.prospects())
            echo("A second cycle, as the next poll would run:")
            if second.poll.fetched == 0 and after == len(records) and not second.dispatch.sent:
                echo(
                    f"nothing new found, nothing sent; still {plural(after, 'prospect record')}. "
                    "Every message is handled, and every acknowledgment sent, exactly once."
                )
            else:
                echo(
                    f"{plural(second.poll.fetched, 'message')} read again, "
                    f"{plural(len(set(second.poll.created)), 'new record')}, "
                    f"{plural(len(second.dispatch.sent), 'mail')} sent; "
                    f"now {plural(after, 'prospect record')}."
                )
            echo("")
            echo("The owner's daily digest, today so far (inbox-agent digest --date today):")
            echo("")
            page = show_digest(echo, store, settings, runner.now(), Path(tempfile.gettempdir()))
            echo("")
            echo(f"The same digest as HTML, as the owner's mail client shows it: {page}")
    echo("")
    echo(f"Demo finished in {time.monotonic() - started:.1f} s.")
    echo("To use your own mailbox: `inbox-agent init`, edit rules.toml, then `inbox-agent check`.")
