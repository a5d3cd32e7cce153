"""A real SpamAssassin ``spamd`` on a loopback port, for tests (Debian's ``spamassassin``).

Started as a child with Debian's shipped rules, no network tests (``--local``), one child
process; ready when ``PING`` answers ``PONG`` (about 10 s on these machines). Stopped by its own
pid (SIGTERM, then wait). ``require_spamd`` skips locally when spamd is not installed and
fails under ``CI``, like the Dovecot tests.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import pytest

from .dovecot import HOST, in_ci

START_TIMEOUT = 90.0


def require_spamd() -> str:
    """The spamd program, or skip (fail under CI)."""
    found = shutil.which("spamd") or ("/usr/sbin/spamd" if Path("/usr/sbin/spamd").exists() else "")
    if found:
        return found
    message = "spamd is not installed (apt-get install spamassassin spamc)"
    if in_ci():
        pytest.fail(f"CI is set, so this is an error, not a skip: {message}", pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Spamd:
    """``with Spamd() as s:`` gives a running spamd at ``s.address`` ("127.0.0.1:PORT")."""

    def __init__(self, program: str = "spamd") -> None:
        self.program = program
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._root = Path(tempfile.mkdtemp(prefix="inbox-agent-spamd-"))

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> None:
        self.port = _free_port()
        self._log = (self._root / "spamd.log").open("wb")
        self._proc = subprocess.Popen(
            [self.program, f"--listen={HOST}:{self.port}", "--max-children=1", "--local",
             "--syslog=stderr", f"--pidfile={self._root / 'spamd.pid'}"],
            stdout=subprocess.DEVNULL, stderr=self._log,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                text = (self._root / "spamd.log").read_text(errors="replace")[-800:]
                self.stop()
                raise RuntimeError(f"spamd exited: {text}")
            if self._pong():
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"spamd did not answer within {START_TIMEOUT} s")

    def _pong(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as sock:
                sock.sendall(b"PING SPAMC/1.5\r\n\r\n")
                return b"PONG" in sock.recv(100)
        except OSError:
            return False

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> Spamd:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()
