"""Shared fixtures: a real Dovecot (session-wide), a fresh mailbox user per test, an SMTP receiver
per test, and the sample-mail corpus.

Tests that use ``dovecot`` or ``mailbox_user`` are marked ``dovecot`` automatically, so
``pytest -m "not dovecot"`` runs the fast rest. Without a usable Dovecot 2.3 those tests skip,
except when the ``CI`` variable is set: then they fail, because CI must never skip them.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inbox_agent.config import Settings, load_settings
from inbox_agent.store import Store
from tests.harness import Dovecot, MailboxUser, SmtpReceiver, require_dovecot
from tests.harness.dovecot import in_ci
from tests.harness.spamd import Spamd, require_spamd

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).parent / "data" / "corpus"
_DOVECOT_FIXTURES = frozenset({"dovecot", "mailbox_user"})
_user_numbers = itertools.count(1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _DOVECOT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.dovecot)


class Clock:
    """A clock the test moves: pass it where ``now`` is injected."""

    def __init__(self, t: datetime | None = None) -> None:
        self.t = t or datetime(2026, 11, 20, 9, 0, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **delta: float) -> datetime:
        self.t += timedelta(**delta)
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings() -> Settings:
    """The shipped rules.toml (the same file ``inbox-agent init`` writes)."""
    return load_settings(ROOT / "rules.toml")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A journal store in a fresh folder."""
    with Store.open(tmp_path / "prospects.json") as opened:
        yield opened


@pytest.fixture(params=["memory", "journal"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each test runs twice: on the in-memory twin and on the journal store."""
    opened = Store.memory() if request.param == "memory" else Store.open(tmp_path / "p.json")
    with opened:
        yield opened


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One private Dovecot 2.3 for the whole run (skipped locally without it, failed in CI)."""
    require_dovecot()
    with Dovecot() as server:
        yield server


@pytest.fixture
def mailbox_user(dovecot: Dovecot) -> MailboxUser:
    """A fresh Dovecot user with an empty mailbox (INBOX, Sent, Processed)."""
    if not dovecot.running:  # an earlier test stopped the shared server and did not restart it
        dovecot.start()
    user = f"u{next(_user_numbers)}-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    dovecot.add_user(user, password)
    return MailboxUser(host=dovecot.host, port=dovecot.port, user=user, password=password)


@pytest.fixture
def smtp_server() -> Iterator[SmtpReceiver]:
    """An SMTP receiver on 127.0.0.1 that keeps every envelope; see ``harness.smtp``."""
    with SmtpReceiver() as receiver:
        yield receiver


def corpus_dir() -> Path:
    """``tests/data/corpus`` (it may not exist yet)."""
    return CORPUS


@pytest.fixture
def corpus() -> Path:
    """The sample-mail corpus folder; skipped when missing, but a failure under CI."""
    if not CORPUS.is_dir():
        message = f"sample-mail corpus {CORPUS} is missing"
        if in_ci():
            pytest.fail(f"CI is set, so this is an error, not a skip: {message}", pytrace=False)
        pytest.skip(message)
    return CORPUS


@pytest.fixture(scope="session")
def spamd() -> Iterator[Spamd]:
    """One real SpamAssassin spamd on loopback for the whole run (skipped locally without it)."""
    with Spamd(require_spamd()) as server:
        yield server
