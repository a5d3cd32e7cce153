"""What the demo prints: one row per message processed, a summary, the mail sent, and the
owner's daily digest of the day so far (its HTML written to a file that outlives the demo)."""

from __future__ import annotations

import email
import email.policy
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

from inbox_agent.config import Settings
from inbox_agent.demo.practice import Sample
from inbox_agent.mail.classify import ROBOT_KINDS, Kind
from inbox_agent.poller import PollReport
from inbox_agent.records.prospect import LoggedMessage
from inbox_agent.sending.actions import MailKind
from inbox_agent.store import Store
from inbox_agent.views import table

Echo = Callable[[str], None]
KIND_LABELS = {
    Kind.INQUIRY: "inquiry",
    Kind.PROSPECT_REPLY: "reply",
    Kind.AGENT_REPLY: "agent's answer",
    Kind.BOUNCE: "bounce",
    Kind.AUTO_REPLY: "auto-reply",
    Kind.LIST: "mailing list",
    Kind.SPAM: "spam",
    Kind.OWN: "our own mail",
    Kind.QUARANTINE: "unreadable",
}
IGNORED = {  # why a kind gets no record, in plain words
    Kind.BOUNCE: "a delivery failure report",
    Kind.AUTO_REPLY: "an automatic reply",
    Kind.LIST: "a newsletter or mailing list",
    Kind.SPAM: "the mail server marked it as spam",
    Kind.OWN: "mail we sent ourselves",
}


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
    acknowledged = {
        e.prospect_id
        for e in store.outbox()
        if e.kind == MailKind.ACKNOWLEDGMENT and e.prospect_id is not None
    }
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


def show_digest(echo: Echo, store: Store, settings: Settings, now: datetime, folder: Path) -> Path:
    """Print today's digest so far (text) and write its HTML to a new file in ``folder``."""
    from inbox_agent.reporting import digest_content
    from inbox_agent.rules import renderer, report_rules

    today = now.astimezone(report_rules(settings).tz).date()
    text, html = renderer(settings).page("digest", digest_content(store, settings, today, now))
    handle, name = tempfile.mkstemp(prefix="inbox-agent-demo-digest-", suffix=".html", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(html or "")
    for line in text.rstrip().splitlines():
        echo(f"    {line}" if line else "")
    return Path(name)
