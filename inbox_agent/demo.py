"""``inbox-agent demo``: the product against a practice mailbox on this computer, no setup.

Vocabulary: the *practice mailbox* is pymap's in-memory IMAP server, run as a child process on a
free loopback port with one user (``sales@demo.test``) and an empty INBOX; the *samples* are the
hand-written ``.eml`` files in ``inbox_agent/samples/`` (see its README), APPENDed to that INBOX in
file-name order; the *practice outbox* is an aiosmtpd receiver on another loopback port that
keeps what it is sent. The demo then runs one full cycle, as ``inbox-agent poll`` does
(``cycle.Agent.cycle``), with the shipped ``rules.toml``'s rules and templates: it prints what
happened to each message, the prospect list and the acknowledgments the receiver got, and runs a
second cycle to show that nothing is processed or sent twice. Nothing leaves this computer;
everything lives in a temporary folder and the child process, and both are gone when it
returns, also on errors and Ctrl-C.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import importlib.util
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from importlib import resources
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from imapclient import IMAPClient

from inbox_agent.config import Settings, parse_settings
from inbox_agent.cycle import Agent
from inbox_agent.exceptions import InboxAgentError
from inbox_agent.ingest import PollReport
from inbox_agent.mailbox import mapped_errors
from inbox_agent.prospect import LoggedMessage
from inbox_agent.report import prospects_table, table
from inbox_agent.store import Store

Echo = Callable[[str], None]

ADDRESS = "sales@demo.test"
BUSINESS = "Demo Widgets"
HOST = "127.0.0.1"
PASSWORD_ENV = "INBOX_AGENT_DEMO_PASSWORD"
AGENTS = (
    {"name": "Thandi", "email": "thandi@demo.test"},
    {"name": "Pieter", "email": "pieter@demo.test"},
)
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
START_ATTEMPTS = 3  # a new port each time: another program may take the free port first

KIND_LABELS = {
    "inquiry": "inquiry",
    "prospect_reply": "reply",
    "agent_reply": "agent's answer",
    "bounce": "bounce",
    "auto_reply": "auto-reply",
    "list": "mailing list",
    "spam": "spam",
    "own": "our own mail",
    "quarantine": "unreadable",
}
ROBOT_KINDS = ("bounce", "auto_reply", "list", "spam")
IGNORED = {  # why a kind gets no record, in plain words
    "bounce": "a delivery failure report",
    "auto_reply": "an automatic reply",
    "list": "a newsletter or mailing list",
    "spam": "the mail server marked it as spam",
    "own": "mail we sent ourselves",
}


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
        "dict", "--demo-user", user, "--demo-password", password,
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
    with mapped_errors(f"loading the sample mail into {HOST}:{port}"):
        client = IMAPClient(HOST, port=port, ssl=False, timeout=10)
        try:
            client.login(user, password)
            client.create_folder("Sent")  # pymap starts with INBOX only; copies go here
            messages = [crlf(sample.raw) for sample in mail]
            if b"MULTIAPPEND" in client.capabilities():  # one round trip instead of one each
                client.multiappend("INBOX", messages)
            else:
                for raw in messages:
                    client.append("INBOX", raw)
            client.select_folder("INBOX", readonly=True)
            uids = sorted(int(u) for u in client.search(["ALL"]))
        finally:
            with contextlib.suppress(Exception):
                client.logout()
    if len(uids) != len(mail):
        raise InboxAgentError(
            f"the practice mailbox holds {len(uids)} messages, expected {len(mail)}"
        )
    # UIDs grow in the order messages are appended, and the INBOX started empty.
    return dict(zip(uids, mail, strict=True))


def shipped_rules() -> dict[str, Any]:
    """The shipped rules.toml (the same file ``inbox-agent init`` writes)."""
    path = resources.files("inbox_agent") / "starter" / "rules.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def demo_settings(folder: Path, port: int, smtp_port: int) -> Settings:
    """Settings for the practice mailbox, with the shipped source, interest and classify rules."""
    shipped = shipped_rules()
    templates = Path(str(resources.files("inbox_agent") / "starter" / "templates"))
    raw: dict[str, Any] = {
        "business": {"name": BUSINESS, "timezone": "UTC"},
        "mailbox": {
            "address": ADDRESS, "host": HOST, "port": port, "security": "none",
            "username": ADDRESS, "password_env": PASSWORD_ENV, "timeout_s": 15,
        },
        "smtp": {"host": HOST, "port": smtp_port, "security": "none", "timeout_s": 10},
        "store": {"path": "prospects.json"},
        "acknowledgment": {"display_name": f"{BUSINESS} Sales", "templates": str(templates)},
        "agents": [dict(a) for a in AGENTS],
        "classify": shipped.get("classify", {}),
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


def sender(raw: bytes) -> str:
    """The From address of a raw message, for display only."""
    headers = BytesHeaderParser().parsebytes(raw)
    value = str(headers.get("From", "") or "")
    address = parseaddr(value)[1]
    return address or value.strip() or "(no sender)"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _decision(entry: LoggedMessage, seen: set[int], acknowledged: set[int]) -> str:
    if entry.kind == "quarantine":
        return f"set aside in quarantine: {entry.reason}"
    if entry.kind == "prospect_reply" and entry.prospect_id:
        return f"added to record #{entry.prospect_id} (same person; the agent is told)"
    if entry.kind == "agent_reply" and entry.prospect_id:
        return f"record #{entry.prospect_id}: an agent answered"
    if entry.kind != "inquiry":
        return f"ignored: {IGNORED.get(entry.kind, entry.kind)} ({entry.reason})"
    pid = entry.prospect_id
    if pid is None:
        return "no record: no address to answer"
    if pid in seen:
        return f"added to record #{pid} (same person; no second acknowledgment)"
    seen.add(pid)
    queued = "; acknowledgment queued" if pid in acknowledged else ""
    return f"new record #{pid}{queued}"


def describe(store: Store, by_uid: dict[int, Sample]) -> list[tuple[str, ...]]:
    """One row per message processed, in the order processed."""
    prospects = {p.id: p for p in store.prospects()}
    acknowledged = {e.prospect_id for e in store.outbox() if e.kind == "acknowledgment"}
    seen: set[int] = set()
    rows: list[tuple[str, ...]] = []
    for entry in store.messages():
        sample = by_uid.get(entry.uid)
        record = prospects.get(entry.prospect_id) if entry.prospect_id else None
        who = record.email if record else sender(sample.raw) if sample else "?"
        source = record.source if record else "-"
        rows.append(
            (
                sample.name.removesuffix(".eml") if sample else f"uid {entry.uid}",
                KIND_LABELS.get(entry.kind, entry.kind),
                who,
                source,
                _decision(entry, seen, acknowledged),
            )
        )
    return rows


def summary(report: PollReport, records: int) -> str:
    kinds = report.kinds
    inquiries, replies = kinds["inquiry"], kinds["prospect_reply"]
    robots = sum(kinds[k] for k in ROBOT_KINDS)
    people = f"{plural(inquiries, 'inquiry', 'inquiries')}"
    if replies:
        people += f" and {plural(replies, 'follow-up')}"
    parts = [
        f"{people} → {plural(records, 'prospect record')}",
        f"{plural(robots, 'robot message')} ignored (bounces, auto-replies, lists, spam)",
    ]
    if kinds["own"]:
        parts.append(f"{plural(kinds['own'], 'message')} of our own skipped")
    parts.append(f"{report.quarantined} quarantined")
    return f"{plural(report.fetched, 'message')}: " + "; ".join(parts)


def show_acknowledgments(echo: Echo, received: list[bytes], sent: list[str]) -> None:
    """The acknowledgments and agent notifications as the mail server got them."""
    mails = [email.message_from_bytes(raw, policy=email.policy.default) for raw in received]
    acks = [m for m in mails if m["Auto-Submitted"] == "auto-replied"]
    notes = [m for m in mails if m["Auto-Submitted"] == "auto-generated"]
    echo(f"Acknowledgments sent within the cycle ({len(acks)} received by the mail server):")
    rows = [(str(m["To"]), str(m["Subject"]), str(m["In-Reply-To"])) for m in acks]
    echo(table(rows, ("to", "subject", "in reply to")) if rows else "(none)")
    if acks and isinstance(acks[0], EmailMessage):
        echo("")
        echo(f"The first one, as {parseaddr(str(acks[0]['To']))[1]} reads it:")
        _indented(echo, acks[0])
    echo("")
    echo(f"Agents told, round-robin ({len(notes)} notifications):")
    told = [(str(m["To"]), str(m["Subject"])) for m in notes]
    echo(table(told, ("agent", "subject")) if told else "(none)")
    if notes and isinstance(notes[0], EmailMessage):
        echo("")
        echo(f"The first one, as {parseaddr(str(notes[0]['To']))[1]} reads it:")
        _indented(echo, notes[0])


def _indented(echo: Echo, msg: EmailMessage) -> None:
    body = msg.get_body(("plain",))
    content = body.get_content() if isinstance(body, EmailMessage) else ""
    for line in content.strip().splitlines():
        echo(f"    {line}")


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
            with Agent(settings, store) as agent:
                first = agent.cycle()
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
            with Agent(settings, store) as agent:
                second = agent.cycle()
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
    echo(f"Demo finished in {time.monotonic() - started:.1f} s.")
    echo("To use your own mailbox: `inbox-agent init`, edit rules.toml, then `inbox-agent check`.")
