"""A rules.toml for tests against the real loopback servers: the shipped rules, our hosts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

from tests.harness import MailboxUser, SmtpReceiver

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = (ROOT / "rules.toml").read_text()
RULES_TAIL = SHIPPED[SHIPPED.index("[[sources]]") :]
PASSWORD_ENV = "INBOX_AGENT_TEST_IMAP_PASSWORD"


def write_config(
    folder: Path,
    user: MailboxUser,
    smtp: SmtpReceiver | None = None,
    *,
    batch_size: int = 100,
    templates: Path = ROOT / "templates",
    extra: str = "",
    acknowledgment: str = "",
    store: str = "",
) -> Path:
    """Write ``folder/rules.toml`` for this Dovecot user and SMTP receiver. ``extra`` is more
    sections; ``acknowledgment`` and ``store`` are more lines for those sections."""
    smtp_host, smtp_port = (smtp.host, smtp.port) if smtp else ("127.0.0.1", 1)
    text = f"""
[business]
name = "Acme Widgets"
timezone = "UTC"

[mailbox]
address = "{user.user}@example.com"
host = "{user.host}"
port = {user.port}
security = "none"
username = "{user.user}"
password_env = "{PASSWORD_ENV}"
batch_size = {batch_size}
timeout_s = 10

[smtp]
host = "{smtp_host}"
port = {smtp_port}
security = "none"
timeout_s = 5

[store]
path = "data/prospects.json"
{store}

[acknowledgment]
templates = "{templates}"
{acknowledgment}

[classify]
default_region = "ZA"

[[agents]]
name = "Alice"
email = "alice@example.com"

{extra}

{RULES_TAIL}
"""
    path = folder / "rules.toml"
    path.write_text(text)
    return path


def env_for(user: MailboxUser) -> dict[str, str]:
    return {**os.environ, PASSWORD_ENV: user.password}


def cli(
    config: Path, user: MailboxUser, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inbox_agent", "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, env=env_for(user),
    )  # fmt: skip


def popen(
    config: Path, user: MailboxUser, *args: str, log: IO[str] | None = None
) -> subprocess.Popen[str]:
    """The command in the background. Its output goes to pipes the caller must read
    (``communicate``), or, for a long run (the daemon logs every message), to ``log``: a pipe
    nobody reads fills up and then blocks the process."""
    out: IO[str] | int = log if log is not None else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "inbox_agent", "--config", str(config), *args],
        stdout=out,
        stderr=out,
        text=True,
        env=env_for(user),
    )


LIBFAKETIME = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
)


def libfaketime() -> str | None:
    """Debian's libfaketime (package ``faketime``), if installed."""
    return next((p for p in LIBFAKETIME if Path(p).is_file()), None)


def faked_clock(at: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment that starts a process's clock at ``at`` (UTC, ``2026-12-03 07:29:50``)
    and lets it run on. libfaketime is preloaded into the process itself (the ``faketime``
    wrapper would run it as a child and not pass signals on), and the monotonic clock is left
    alone: timed waits (``threading.Event.wait``) hang when it is faked."""
    lib = libfaketime()
    if lib is None:
        raise RuntimeError("libfaketime is not installed (apt-get install faketime)")
    return {**(env or dict(os.environ)), "LD_PRELOAD": lib, "FAKETIME": f"@{at}",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "TZ": "UTC"}  # fmt: skip
