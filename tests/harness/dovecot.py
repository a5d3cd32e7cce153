"""A private Dovecot 2.3 on a loopback port, started as a child process, for integration tests.

Vocabulary: the *scratch dir* (``root``) holds ``dovecot.conf``, the ``users/`` folder (one
passwd-file per user, ``users/NAME`` holding ``NAME:{PLAIN}password``), the maildirs under
``mail/``, Dovecot's own ``dovecot.log`` and the master's ``dovecot.stderr``. The master runs in
its own process group, whose id is written to ``dovecot.pgid`` while it runs, so that a CI
script can reap an instance a crashed test run left behind (see ``.ci/run`` and ``SCRATCH_ENV``).

The recipe is /work/shared/testing/README.md: the root must be world-traversable (mode 0755 and
every parent folder too), ``mail/`` belongs to ``nobody:nogroup``, Dovecot must run as root, and
an instance is stopped by its own pid (SIGTERM, then wait) before another with the same instance
name (which includes the port) may start. Three departures from it, each measured:

- One passwd-file per user instead of one ``users`` file: Dovecot 2.3's passwd-file re-checks a
  file at most once per second (``last_sync_time == ioloop_time``), so a user appended to a file
  read less than a second ago stays unknown for up to a second (every other fresh user failed to
  log in). A file Dovecot has never read is read at its first lookup, so a new user can log in
  at once. Changing an existing user's password waits for the next second (``add_user`` does).
- No auth penalty: every test logs in from 127.0.0.1, and one wrong password made the next
  test's login wait 4 s.
- ``stop()`` also ends the master's ``imap`` children, which otherwise outlive it by ~10 s and go
  on serving their clients; after a restart, old connections must be gone.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

import pytest
from imapclient import IMAPClient

HOST = "127.0.0.1"
#: When set, scratch dirs are made inside this folder (``.ci/run`` sets it and reaps it at exit).
SCRATCH_ENV = "INBOX_AGENT_TEST_TMP"
PGID_FILE = "dovecot.pgid"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")

# /work/shared/testing/dovecot.conf.template (tested there) with {root} and {port}, except that
# passwd-file reads one file per user (see the module docstring) and the auth penalty is off.
CONFIG_TEMPLATE = """\
# Minimal standalone Dovecot 2.3 config for integration tests (no systemd, no /etc/dovecot)
base_dir = {root}/run
state_dir = {root}/state
instance_name = inbox-agent-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {root}/dovecot.log
mail_location = maildir:{root}/mail/%n/Maildir
mail_uid = nobody
mail_gid = nogroup
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = static
  args = home={root}/mail/%n
}}
# Not in the recipe: no auth penalty. All tests log in from 127.0.0.1, so one test's wrong
# password would otherwise delay the next test's login by seconds (measured: 4 s). Dovecot
# disables the penalty when its auth process cannot reach this socket.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Processed {{
    auto = subscribe
  }}
}}
"""


class DovecotError(RuntimeError):
    """The test Dovecot could not be started, stopped or used as the harness expects."""


@dataclass(frozen=True)
class MailboxUser:
    """One Dovecot user's login, as the code under test would be configured with it."""

    host: str
    port: int
    user: str
    password: str

    @property
    def address(self) -> str:
        """Where mail for this user goes through ``SmtpReceiver.deliver_to(dovecot)``."""
        return f"{self.user}@example.test"


# ---------------------------------------------------------------------------------------------
# Is a usable Dovecot installed?


def dovecot_version(binary: str = "dovecot") -> str | None:
    """What ``dovecot --version`` prints (e.g. ``2.3.19.1 (9b53102964)``), or None if absent."""
    path = shutil.which(binary)
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def version_problem(version: str | None) -> str | None:
    """Why this ``dovecot --version`` output is unusable by the harness, or None when it is fine."""
    if version is None:
        return (
            "Dovecot is not installed (no `dovecot` on PATH); "
            "install Debian 12's dovecot-imapd (Dovecot 2.3) to run the IMAP integration tests"
        )
    if not version.startswith("2.3."):
        return (
            f"Dovecot {version} is installed but the test harness needs 2.3.x "
            "(Debian 12's dovecot-imapd); its config does not work with other versions"
        )
    if os.geteuid() != 0:
        return "the Dovecot test harness must run as root (Dovecot switches to its own users)"
    return None


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """True when the CI variable is set (to anything but an explicit false)."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def require_dovecot(
    probe: Callable[[], str | None] = dovecot_version,
    *,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Return the Dovecot version, or skip the test -- but fail loudly under CI, never skip.

    ``probe`` answers like ``dovecot_version()``; ``environ`` defaults to ``os.environ``.
    """
    version = probe()
    problem = version_problem(version)
    if problem is None:
        assert version is not None
        return version
    if in_ci(environ):
        pytest.fail(f"CI is set, so this is an error, not a skip: {problem}", pytrace=False)
    pytest.skip(problem)


# ---------------------------------------------------------------------------------------------
# Helpers


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (the OS picks it; we hand the number to the server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _check_traversable(path: Path) -> None:
    """Dovecot's mail user (nobody) must be able to walk down to the maildirs."""
    for folder in (path, *path.parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            raise DovecotError(
                f"{folder} is not world-traversable (mode {stat.filemode(folder.stat().st_mode)}); "
                f"Dovecot's mail user cannot reach {path}/mail. Use a scratch dir under /tmp."
            )


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, from /proc.

    Zombies are skipped: the master's children become init's once the master exits, and init
    may take its time to reap them, but a zombie holds no port, file or lock.
    """
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
        fields = stat_line[stat_line.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


_running: set[Dovecot] = set()


@atexit.register
def _stop_all() -> None:  # last resort when a test run dies before its fixtures' teardown
    for server in list(_running):
        with contextlib.suppress(Exception):
            server.stop()


# ---------------------------------------------------------------------------------------------


class Dovecot:
    """One private Dovecot: ``start()``, ``add_user()``, ``client()``, ``append()``, ``stop()``.

    Use as a context manager to start it and, at the end, stop it and delete its scratch dir
    (unless the dir was given by the caller).
    """

    def __init__(
        self, root: Path | None = None, *, port: int | None = None, binary: str = "dovecot"
    ) -> None:
        self._owns_root = root is None
        if root is None:
            parent = os.environ.get(SCRATCH_ENV) or None
            root = Path(tempfile.mkdtemp(prefix="dovecot-", dir=parent))
        self._root = root
        self._port = port or free_port()
        self._binary = binary
        self._users: dict[str, str] = {}
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    # -- properties

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        return self._port

    @property
    def root(self) -> Path:
        return self._root

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_text(self) -> str:
        """Dovecot's log plus whatever the master printed, for failure messages."""
        parts = []
        for name in ("dovecot.stderr", "dovecot.log"):
            path = self._root / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    # -- lifecycle

    def start(self) -> None:
        if self._proc is not None:
            raise DovecotError("this Dovecot is already running")
        binary = shutil.which(self._binary)
        if binary is None:
            raise DovecotError(f"`{self._binary}` is not on PATH")
        self._prepare_root()
        with (self._root / "dovecot.stderr").open("ab") as err:
            self._proc = subprocess.Popen(
                [binary, "-F", "-c", str(self._root / "dovecot.conf")],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,  # own process group: stop() can reap every child
            )
        (self._root / PGID_FILE).write_text(f"{self._proc.pid}\n")
        _running.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM the master by its pid and wait for it; then end the rest of its process group.

        The master takes about a second to exit. Its ``imap`` processes would otherwise outlive
        it by about ten seconds and keep serving the clients connected to them; a test of
        reconnecting needs those connections gone, as after a real server restart.
        """
        proc, self._proc = self._proc, None
        _running.discard(self)
        if proc is None:
            return
        pgid = proc.pid  # start_new_session: the group id is the master's pid
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _signal_group(pgid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while group_members(pgid):
            if time.monotonic() > deadline:
                _signal_group(pgid, signal.SIGKILL)
                break
            time.sleep(0.02)
        (self._root / PGID_FILE).unlink(missing_ok=True)

    def restart(self) -> None:
        """Stop, then start again on the same port and scratch dir (mail and users survive)."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop and delete the scratch dir if this object made it."""
        self.stop()
        if self._owns_root:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        try:
            self.start()
        except BaseException:
            self.close()  # __exit__ will not run: do not leave the scratch dir behind
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _prepare_root(self) -> None:
        root = self._root
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)  # mkdtemp and pytest's tmp_path are 0700
        _check_traversable(root)
        for name in ("run", "state", "mail", "users"):
            (root / name).mkdir(exist_ok=True)
        shutil.chown(root / "mail", user="nobody", group="nogroup")
        (root / "dovecot.conf").write_text(CONFIG_TEMPLATE.format(root=root, port=self._port))

    def _wait_ready(self) -> None:
        """Until the port answers with an IMAP greeting (or the master died)."""
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise DovecotError(
                    f"dovecot exited with status {self._proc.returncode} while starting on "
                    f"port {self._port}\n{self.log_text()}"
                )
            try:
                with socket.create_connection((HOST, self._port), timeout=2) as sock:
                    greeting = sock.recv(1024)
                if greeting.startswith(b"* OK"):
                    return
                last_error = DovecotError(f"unexpected greeting {greeting!r}")
            except OSError as exc:
                last_error = exc
            time.sleep(0.05)
        raise DovecotError(
            f"dovecot did not answer on {HOST}:{self._port} within {START_TIMEOUT}s "
            f"({last_error!r})\n{self.log_text()}"
        )

    # -- users

    def add_user(self, name: str, password: str) -> None:
        """Add a user (can log in at once) or change its password (effective within a second)."""
        if not _USER_NAME.match(name):
            raise ValueError(f"unsuitable test user name {name!r}")
        if not password or any(c in password for c in ":\r\n"):
            raise ValueError("password must be non-empty, without ':' or line breaks")
        path = self._root / "users" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            old_mtime = int(path.stat().st_mtime) if path.exists() else None
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_text(f"{name}:{{PLAIN}}{password}\n")
            tmp.chmod(0o644)  # read by Dovecot's auth process, which does not run as root
            if old_mtime is not None:  # Dovecot reloads on a new mtime or size: force the former
                stamp = max(int(time.time()), old_mtime + 1)
                os.utime(tmp, (stamp, stamp))
            os.replace(tmp, path)
            self._users[name] = password
        if old_mtime is not None:  # the old file may have been read this second: wait for the next
            time.sleep(1.05 - time.time() % 1)

    def password(self, user: str) -> str:
        try:
            return self._users[user]
        except KeyError:
            raise DovecotError(f"no user {user!r} in this Dovecot (add_user first)") from None

    def has_user(self, user: str) -> bool:
        return user in self._users

    # -- IMAP

    def client(self, user: str, *, timeout: float = 10.0) -> IMAPClient:
        """A logged-in IMAPClient (plain, no TLS). Log out or use it as a context manager."""
        password = self.password(user)
        client = IMAPClient(HOST, port=self._port, ssl=False, timeout=timeout)
        try:
            client.login(user, password)
        except BaseException:
            client.shutdown()
            raise
        return client

    def append(
        self,
        user: str,
        folder: str,
        raw: bytes,
        flags: Iterable[str | bytes] = (),
        msg_time: datetime | None = None,
    ) -> int:
        """APPEND ``raw`` to ``folder`` (created if missing) and return the new message's UID."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags), msg_time=msg_time)
        found = _APPENDUID.search(response if isinstance(response, bytes) else b"")
        if found is None:
            raise DovecotError(f"APPEND to {folder!r} answered without APPENDUID: {response!r}")
        return int(found.group(1))
