"""``inbox-agent digest`` and ``report``, run as commands: beside a daemon that holds the store
(they only read), with the process clock set by Debian's libfaketime to the morning after the
fixture business's day (``tests/reportdata.py``); and ``digest --send`` to a real SMTP server."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inbox_agent.config import load_settings
from inbox_agent.report.daily import digest, reach
from inbox_agent.reporting import report_facts
from inbox_agent.rules import renderer
from inbox_agent.store import Store
from tests import reportdata as rd
from tests.harness import SmtpReceiver
from tests.realconfig import RULES_TAIL, faked_clock, libfaketime

ROOT = Path(__file__).resolve().parent.parent
MORNING = "2026-12-04 05:30:00"  # UTC: 07:30 in Johannesburg, the fixture's NOW

pytestmark = pytest.mark.skipif(
    libfaketime() is None and not os.environ.get("CI"),
    reason="needs Debian's faketime (apt-get install faketime); CI installs it",
)


def write_config(folder: Path, smtp: SmtpReceiver | None = None) -> Path:
    host, port = (smtp.host, smtp.port) if smtp else ("127.0.0.1", 1)
    shipped = (ROOT / "rules.toml").read_text()
    labels = shipped[shipped.index("[labels.sources]") : shipped.index("[acknowledgment]")]
    (folder / "rules.toml").write_text(f"""
[business]
name = "Acme Widgets"
timezone = "Africa/Johannesburg"

[mailbox]
address = "sales@acme.example"
host = "127.0.0.1"
security = "none"

[smtp]
host = "{host}"
port = {port}
security = "none"
timeout_s = 5

[store]
path = "p.json"

[acknowledgment]
templates = "{ROOT / "templates"}"

[digest]
to = ["owner@acme.example"]
at = "07:30"

[[agents]]
name = "Alice"
email = "{rd.ALICE}"

[[agents]]
name = "Bob"
email = "{rd.BOB}"

{labels}
{RULES_TAIL}
""")
    return folder / "rules.toml"


def fill(path: Path) -> None:
    facts = rd.facts()
    with Store.open(path) as store, store.transaction():
        for p in facts.prospects:
            store.save_prospect(p)
        for m in facts.messages:
            store.log_message(m)
        for q in facts.quarantined:
            store.quarantine(q)
        for s in facts.suppressions:
            store.suppress(s)
        for e in facts.undeliverable:
            store.save_entry(e)


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inbox_agent", "--config", str(config), *args],
        capture_output=True, text=True, timeout=60, env=faked_clock(MORNING),
    )  # fmt: skip


def test_digest_and_report_read_beside_the_daemon(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    fill(tmp_path / "p.json")
    settings = load_settings(config)
    with Store.open(tmp_path / "p.json") as daemon:  # the writer holds the store meanwhile
        facts = report_facts(daemon, reach(rd.DAY, rd.RULES))
        expected, _ = renderer(settings).page("digest", digest(facts, rd.DAY, rd.NOW, rd.RULES))

        printed = run(config, "digest", "--date", "2026-12-03")
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout == expected  # the command prints the page the mail would carry
        assert "Acknowledged within 24 h          5 of 6 (83%)" in printed.stdout
        assert "#13 Pat13 Lee  +27821234567" in printed.stdout
        assert run(config, "digest").stdout == printed.stdout  # yesterday, by default

        html = run(config, "digest", "--date", "2026-12-03", "--format", "html")
        assert html.returncode == 0 and html.stdout.startswith("<!DOCTYPE html>")
        assert 'href="tel:+27821234567"' in html.stdout

        review = run(config, "report", "--month", "2026-12")
        assert review.returncode == 0, review.stderr
        for words in (
            "Performance review, December 2026",
            "CONVERSION BY SOURCE",
            "December 2026  Inquiries",
            "November 2026  Inquiries",
            "BY AGENT",
        ):
            assert words in review.stdout
        assert run(config, "report", "--month", "2026-12", "--html").stdout.startswith("<!DOC")

        table = run(config, "report", "--month", "2026-12", "--csv")
        rows = list(csv.DictReader(io.StringIO(table.stdout)))
        value = {(r["month"], r["scope"], r["key"], r["measure"]): r["value"] for r in rows}
        assert value[("2026-12", "all", "", "inquiries")] == "10"  # #1-#10
        assert value[("2026-11", "all", "", "inquiries")] == "7"  # #11-#16 and #18
        assert value[("2026-12", "all", "", "first_answer_median_s")] == "7200"  # 2 h
        assert value[("2026-12", "source", "referral", "customers")] == "1"
        assert value[("2026-12", "source", "google_ads", "sales_value_€")] == "1500.00"
        assert value[("2026-12", "agent", rd.BOB, "sales")] == "2"

        sending = run(config, "digest", "--send", "--date", "2026-12-03")
        assert sending.returncode == 1 and "stop the other one first" in sending.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("digest", "--date", "3 Dec"), "not a date YYYY-MM-DD"),
        (("report", "--month", "12-2026"), "not a month YYYY-MM"),
        (("report",), "Missing option '--month'"),
        (("digest", "--format", "pdf"), "Invalid value for '--format'"),
    ],
)
def test_wrong_dates_are_usage_errors(tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    config = write_config(tmp_path)
    fill(tmp_path / "p.json")
    done = run(config, *args)
    assert done.returncode == 2 and says in done.stderr


def test_digest_send_mails_the_owner_once(tmp_path: Path, smtp_server: SmtpReceiver) -> None:
    config = write_config(tmp_path, smtp_server)
    fill(tmp_path / "p.json")
    done = run(config, "digest", "--send", "--date", "2026-12-03")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("digest of 2026-12-03 to owner@acme.example: sent 2026-12-04")
    [mail] = [r for r in smtp_server.wait_for(1) if "owner@acme.example" in r.rcpt_tos]
    msg = mail.message()
    assert msg["Auto-Submitted"] == "auto-generated" and "6 new" in str(msg["Subject"])
    assert msg.get_content_type() == "multipart/alternative"
    again = run(config, "digest", "--send", "--date", "2026-12-03")
    assert again.returncode == 0 and again.stdout.rstrip().endswith("before")
    assert len([r for r in smtp_server.received if "owner@acme.example" in r.rcpt_tos]) == 1
    today = run(config, "digest", "--send", "--date", "2026-12-04")
    assert today.returncode == 2 and "not over yet" in today.stderr
