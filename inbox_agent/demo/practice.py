"""The demo's practice servers: pymap's in-memory IMAP server as a child process on a free
loopback port, an aiosmtpd receiver that keeps what it is sent, and the sample mail loaded into
the practice INBOX (through the IMAP seam, ``inbox_agent.imap``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

from inbox_agent.config import MailboxSettings
from inbox_agent.exceptions import InboxAgentError
from inbox_agent.imap import ImapMailbox

HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
START_ATTEMPTS = 3  # a new port each time: another program may take the free port first


@dataclass(frozen=True)
class Sample:
    name: str
    raw: bytes


def samples() -> list[Sample]:
    """The shipped sample mail, in file-name order."""
    folder = resources.files("inbox_agent") / "samples"
    found = [f for f in folder.iterdir() if f.name.endswith(".eml") and f.is_file()]
    return [Sample(f.name, f.read_bytes()) for f in sorted(found, key=lambda f: f.name)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def pymap_command(port: int, user: str, password: str, pid_file: Path) -> list[str]:
    """pymap's in-memory backend on loopback, IMAP only, with one user and an empty INBOX."""
    return [
        sys.executable, "-c", "from pymap.main import main; main()",
        "--host", HOST, "--port", str(port), "--no-tls",
        # Only IMAP: the optional admin (gRPC), ManageSieve and cluster services would bind
        # more ports; a pid file goes to our own folder in case python-pid is installed.
        "--no-service", "admin", "--no-service", "managesieve", "--no-service", "swim",
        "--pid-file", str(pid_file),
        # "=" form: a password that starts with "-" is not taken for an option
        "dict", f"--demo-user={user}", f"--demo-password={password}",
    ]  # fmt: skip


class PracticeMailbox:
    """pymap as a child process; ``with`` starts it and always stops it."""

    def __init__(self, folder: Path, user: str, password: str) -> None:
        self.folder = folder
        self.user = user
        self.password = password
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "pymap.log"

    def __enter__(self) -> PracticeMailbox:
        if importlib.util.find_spec("pymap") is None:
            raise InboxAgentError("the demo needs pymap (pip install 'pymap>=0.36,<0.37')")
        try:
            for _ in range(START_ATTEMPTS):
                if self._start():
                    return self
        except BaseException:
            self.stop()
            raise
        raise InboxAgentError(
            f"the practice mailbox (pymap) found no free loopback port in {START_ATTEMPTS} tries"
        )

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _start(self) -> bool:
        """Start pymap; True once it listens, False when its port was taken (try another)."""
        self.port = free_port()
        command = pymap_command(self.port, self.user, self.password, self.folder / "pymap.pid")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.folder
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                why = self._last_log_line()
                self.process = None
                if "address already in use" in why.lower():
                    return False
                raise InboxAgentError(f"the practice mailbox (pymap) did not start: {why}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.5):
                return True
            time.sleep(0.05)
        self.stop()
        raise InboxAgentError(
            f"the practice mailbox (pymap) did not open port {self.port} within "
            f"{START_TIMEOUT_S:.0f} s"
        )

    def _last_log_line(self) -> str:
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return lines[-1].strip() if lines else "it stopped without a message"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)


def crlf(raw: bytes) -> bytes:
    """IMAP wants CRLF line ends; the sample files are kept with plain LF."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


class PracticeOutbox:
    """An aiosmtpd receiver on a free loopback port that keeps every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[bytes] = []
        self.port = free_port()
        self._controller = Controller(
            self, hostname=HOST, port=self.port, server_hostname="demo.test", ready_timeout=10.0
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(bytes(envelope.original_content or envelope.content))
        return "250 OK"

    def __enter__(self) -> PracticeOutbox:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def load_samples(port: int, user: str, password: str, mail: Sequence[Sample]) -> dict[int, Sample]:
    """APPEND the samples to the empty INBOX; returns them by the UID each got."""
    settings = MailboxSettings(
        address=user, host=HOST, port=port, security="none", username=user, timeout_s=10
    )
    with ImapMailbox(settings, password) as mailbox:
        mailbox.create_folder("Sent")  # pymap starts with INBOX only; copies go here
        mailbox.append_many("INBOX", [crlf(sample.raw) for sample in mail])
        mailbox.select("INBOX")
        uids = mailbox.uids_after(0)
    if len(uids) != len(mail):
        raise InboxAgentError(
            f"the practice mailbox holds {len(uids)} messages, expected {len(mail)}"
        )
    # UIDs grow in the order messages are appended, and the INBOX started empty.
    return dict(zip(uids, mail, strict=True))
