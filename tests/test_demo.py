"""``inbox-agent demo``: runs with no setup, records what it should, leaves nothing running."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from inbox_agent import demo
from inbox_agent.demo import practice
from inbox_agent.exceptions import InboxAgentError

ROOT = Path(__file__).resolve().parent.parent
RECORDS = {  # person -> source, one per inquiry sample (the follow-up joins James's record)
    "lindiwe.mokoena@example.com": "website",  # Contact Form 7: the visitor, not wordpress@
    "graham@peters-joinery.example": "website",  # WPForms, HTML only
    "camille.laurent@example.org": "website",  # Wix
    "bongani.zulu@example.net": "facebook",
    "priya.naidoo@naidoo-consulting.example": "linkedin",
    "james@whitfield-builders.example": "email",
    "maria.fernandez@example.org": "email",
    "j.becker@becker-technik.example": "email",
}
NOT_RECORDS = (  # senders of the bounce, out-of-office, list, spam and our own mail
    "MAILER-DAEMON@mx1.demo-hosting.example",
    "peter.olsen@example.net",
    "news@widgettrade.example",
    "promo@rank-first-seo.example",
    "sales@demo.test",
    "wordpress@demo-widgets.example",
)


def _pymap_children(parent: psutil.Process) -> dict[int, float]:
    """pid -> create time of the pymap processes under ``parent``."""
    found: dict[int, float] = {}
    try:
        for child in parent.children(recursive=True):
            try:
                if "pymap.main" in " ".join(child.cmdline()):
                    found[child.pid] = child.create_time()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
    except psutil.NoSuchProcess:
        pass
    return found


def _still_running(pid: int, created: float) -> bool:
    try:
        process = psutil.Process(pid)
        return process.create_time() == created and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _section(out: str, start: str, end: str) -> str:
    return out.split(start, 1)[1].split(end, 1)[0]


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_AGENT_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inbox_agent", "demo"],
        cwd=tmp_path,  # no rules.toml here: the demo needs none
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    parent = psutil.Process(proc.pid)
    seen: dict[int, float] = {}
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            seen.update(_pymap_children(parent))
            time.sleep(0.02)
        stdout, stderr = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out, err = stdout.decode("utf-8"), stderr.decode("utf-8")

    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
    assert "Traceback" not in out + err
    assert seen, "never saw the pymap child process"
    assert not [pid for pid, created in seen.items() if _still_running(pid, created)]

    per_message = _section(out, "what happened to each message", "The prospect list")
    records = _section(out, "The prospect list", "messages:")
    for email, source in RECORDS.items():
        row = next((line for line in records.splitlines() if email in line), None)
        assert row is not None, f"no record for {email}\n{records}"
        assert f" {source} " in row
    for sender in NOT_RECORDS:
        assert sender not in records
    assert "added to record #6 (same person; the agent is told)" in per_message
    assert "quarantine" in per_message
    assert "15 messages: 8 inquiries and 1 follow-up → 8 prospect records" in out
    assert "4 robot messages ignored" in out
    assert "1 quarantined" in out
    assert "nothing new found, nothing sent; still 8 prospect records" in out
    acks = out.split("Acknowledgments sent within the cycle (8 received by the mail server):")[1]
    for email in (
        "lindiwe.mokoena@example.com",
        "bongani.zulu@example.net",
        "j.becker@becker-technik.example",
    ):
        assert email in acks.split("The first one")[0]
    for robot in ("MAILER-DAEMON", "peter.olsen@example.net", "news@widgettrade.example"):
        assert robot not in acks
    assert "Hello Lindiwe," in acks and "coffee shop" in acks

    digest = out.split("The owner's daily digest, today so far", 1)[1]
    assert "Daily digest for" in digest and "New inquiries: 8" in digest
    assert "Acknowledged within 24 h: 100%" in digest
    for section in ("NEW INQUIRIES", "SPEED TO LEAD", "WAITING FOR SOMEONE", "NEEDS A PERSON"):
        assert section in digest
    assert "Incoming mail in quarantine (1)" in digest and "Mail held as spam (1)" in digest
    named = digest.split("The same digest as HTML, as the owner's mail client shows it: ")[1]
    page = Path(named.splitlines()[0])
    try:
        html = page.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and "Speed to lead" in html
    finally:
        page.unlink()


def test_every_sample_ships_as_package_data() -> None:
    names = [s.name for s in demo.samples()]
    assert len(names) == 15
    assert names == sorted(names)
    readme = (ROOT / "inbox_agent" / "samples" / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in names)


def test_a_mailbox_that_fails_to_start_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit('pymap: cannot start here')"]

    monkeypatch.setattr(practice, "pymap_command", broken)
    with (
        pytest.raises(InboxAgentError, match="did not start: pymap: cannot start here"),
        practice.PracticeMailbox(tmp_path, "sales@demo.test", "pw"),
    ):
        pass


def test_a_mailbox_that_never_listens_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def silent(*args: object) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    monkeypatch.setattr(practice, "pymap_command", silent)
    monkeypatch.setattr(practice, "START_TIMEOUT_S", 0.5)
    before = {p.pid for p in psutil.Process().children()}
    with (
        pytest.raises(InboxAgentError, match="did not open port"),
        practice.PracticeMailbox(tmp_path, "sales@demo.test", "pw"),
    ):
        pass
    left = [p for p in psutil.Process().children() if p.pid not in before]
    assert not [p for p in left if p.status() != psutil.STATUS_ZOMBIE]
