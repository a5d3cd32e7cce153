"""How records and readings are shown to people and scripts: JSON lines, CSV, tables.

Pure formatting: takes data, returns strings. Column names are the stable interface in
INTERFACE.md (``prospects --json`` / ``--csv``, ``replay --json``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from inbox_agent.mail.reading import Reading
from inbox_agent.plan.followups import Scheduled
from inbox_agent.records.prospect import LoggedMessage, Prospect, QuarantineEntry
from inbox_agent.sending.outbox import OutboxEntry

PROSPECT_COLUMNS = (
    "id", "email", "name", "surname", "phone", "phone_raw", "company", "source", "sub_source",
    "interest", "stage",
    "status", "assigned_to", "created_at", "acknowledged_at", "first_response_at",
    "information_sent_at", "last_inbound_at", "follow_ups_sent", "quote", "sale",
)  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def prospect_row(p: Prospect) -> dict[str, Any]:
    return {
        "id": p.id,
        "email": p.email,
        "name": p.name,
        "surname": p.surname,
        "phone": p.phone,
        "phone_raw": p.phone_raw,
        "company": p.company,
        "source": p.source,
        "sub_source": p.sub_source,
        "interest": p.interest,
        "stage": p.stage,
        "status": p.status,
        "assigned_to": p.assigned_to,
        "created_at": _iso(p.created_at),
        "acknowledged_at": _iso(p.acknowledged_at),
        "first_response_at": _iso(p.first_response_at),
        "information_sent_at": _iso(p.information_sent_at),
        "last_inbound_at": _iso(p.last_inbound_at),
        "follow_ups_sent": p.follow_ups_sent,
        "quote": {"amount": p.quote.amount, "id": p.quote.id, "link": p.quote.link}
        if p.quote
        else None,
        "sale": {"value": p.sale.value, "invoice": p.sale.invoice, "link": p.sale.link}
        if p.sale
        else None,
    }


def prospects_json(prospects: Iterable[Prospect]) -> str:
    return json.dumps([prospect_row(p) for p in prospects], indent=2, ensure_ascii=False)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("quote", "sale"):
            subkeys = ("amount", "id", "link") if key == "quote" else ("value", "invoice", "link")
            for sub in subkeys:
                flat[f"{key}_{sub}"] = value[sub] if value else ""
        else:
            flat[key] = "" if value is None else value
    return flat


def _safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection in user-supplied text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def prospects_csv(prospects: Iterable[Prospect]) -> str:
    rows = [_flat(prospect_row(p)) for p in prospects]
    out = io.StringIO()
    columns = list(_flat(prospect_row(Prospect(email="", created_at=datetime.now()))))
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
    return out.getvalue()


def reading_row(file: str, reading: Reading) -> dict[str, Any]:
    contact = reading.contact
    return {
        "file": file,
        "kind": reading.kind,
        "source": reading.source.name if reading.kind == "inquiry" else None,
        "interest": reading.interest or None,
        "email": contact.email if contact else None,
        "name": " ".join(x for x in (contact.name, contact.surname) if x) if contact else None,
        "phone": contact.phone if contact else None,
        "phone_raw": contact.phone_raw if contact else None,
        "sub_source": contact.sub_source if contact else None,
        "email_origin": contact.origin if contact else None,
        "action": reading.action,
        "reason": f"{reading.verdict.reason}; {reading.action_reason}",
    }


def quarantine_row(file: str, reason: str) -> dict[str, Any]:
    return {
        "file": file, "kind": "quarantine", "source": None, "interest": None, "email": None,
        "name": None, "phone": None, "phone_raw": None, "sub_source": None, "email_origin": None,
        "action": "none", "reason": reason,
    }  # fmt: skip


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A plain fixed-width table."""
    cells = [list(headers), *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def prospects_table(prospects: Sequence[Prospect]) -> str:
    rows = [
        (
            str(p.id), p.email, f"{p.name} {p.surname}".strip(), p.phone or p.phone_raw,
            f"{p.source} / {p.sub_source}" if p.sub_source else p.source, p.interest,
            p.stage, p.status, p.created_at.strftime("%Y-%m-%d %H:%M"),
        )
        for p in prospects
    ]  # fmt: skip
    headers = ("id", "email", "name", "phone", "source", "interest", "stage", "status", "created")
    return table(rows, headers)


def quarantine_table(entries: Sequence[QuarantineEntry]) -> str:
    rows = [
        (e.at.strftime("%Y-%m-%d %H:%M"), e.folder, str(e.uidvalidity), str(e.uid), e.reason)
        for e in entries
    ]
    return table(rows, ("when", "folder", "uidvalidity", "uid", "reason"))


def undeliverable_table(entries: Sequence[OutboxEntry]) -> str:
    """Outgoing mail refused for good (``quarantine``): what, to whom, why."""
    rows = [
        (e.created_at.strftime("%Y-%m-%d %H:%M"),
         f"#{e.prospect_id}" if e.prospect_id is not None else "-",  # the digest: no record
         str(e.kind), e.recipient, e.last_error)
        for e in entries
    ]  # fmt: skip
    return table(rows, ("when", "record", "mail", "to", "reason"))


def due_row(s: Scheduled) -> dict[str, Any]:
    """One line of ``inbox-agent due``: what goes when, to whom; what would go now."""
    p = s.record
    first = s.actions[0] if s.actions else None
    return {
        "record": p.id, "email": p.email, "name": f"{p.name} {p.surname}".strip(),
        "what": str(first.kind) if first else "", "to": [a.recipient for a in s.actions],
        "template": str(getattr(first, "template", "")), "keys": [a.key for a in s.actions],
        "due_at": s.due_at.isoformat(), "sends_at": s.goes.isoformat(), "now": list(s.now),
        "reason": s.reason,
    }  # fmt: skip


def due_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "Nothing due."
    lines = [
        (str(r["sends_at"])[:16].replace("T", " "), f"#{r['record']}", r["name"] or r["email"],
         r["what"], ", ".join(r["to"]), "now" if r["now"] else "")
        for r in rows
    ]  # fmt: skip
    return table(lines, ("goes", "record", "who", "what", "to", ""))


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else "-"


def record_text(p: Prospect, history: Sequence[Prospect] = ()) -> str:
    """One record and its whole timeline, for ``inbox-agent show``."""
    name = f"{p.name} {p.surname}".strip() or "(no name)"
    lines = [
        f"Record #{p.id}: {name} <{p.email}>",
        f"  phone {p.phone or '-'}   as written {p.phone_raw or '-'}   company {p.company or '-'}",
        f"  source {p.source}{f' / {p.sub_source}' if p.sub_source else ''}   "
        f"interest {p.interest}   stage {p.stage}   status {p.status}",
        f"  assigned to {p.assigned_to or '-'}",
        f"  received {_when(p.created_at)}   acknowledged {_when(p.acknowledged_at)}",
        f"  first answered {_when(p.first_response_at)}   "
        f"information sent {_when(p.information_sent_at)}",
        f"  last heard from {_when(p.last_inbound_at)}   follow-ups sent {p.follow_ups_sent}",
    ]
    if p.quote:
        lines.append(f"  quote {p.quote.amount} {p.quote.id} {p.quote.link}".rstrip())
    if p.sale:
        lines.append(f"  sale {p.sale.value} {p.sale.invoice} {p.sale.link}".rstrip())
    if p.lost_reason:
        lines.append(f"  lost: {p.lost_reason}")
    if p.question:
        lines.append(f"  asked: {p.question}")
    if p.form:
        lines.append("  form: " + "; ".join(f"{label}: {value}" for label, value in p.form))
    earlier = [h for h in history if h.id != p.id]
    if earlier:
        lines.append("  earlier records: " + ", ".join(f"#{h.id} ({h.status})" for h in earlier))
    lines.append("")
    lines.append("Timeline:")
    arrows = {"in": "<-", "out": "->", "internal": "  "}
    for e in p.timeline:
        lines.append(f"  {_when(e.at)}  {arrows.get(e.direction, '  ')} {e.kind:<15} {e.summary}")
    return "\n".join(lines)


def spam_table(entries: Sequence[LoggedMessage]) -> str:
    """``inbox-agent spam``: what was taken for spam, newest last, with the reason."""
    rows = [
        (e.at.strftime("%Y-%m-%d %H:%M"), e.folder, str(e.uid), e.sender or "-",
         e.subject[:50] or "-", e.reason[:70])
        for e in entries
    ]  # fmt: skip
    return table(rows, ("when", "folder", "uid", "from", "subject", "why"))


class Erased(Protocol):
    """What ``store.forget`` reports (``store.forget.Forgotten``)."""

    @property
    def email(self) -> str: ...
    @property
    def records(self) -> int: ...
    @property
    def outbox(self) -> int: ...
    @property
    def messages(self) -> int: ...
    @property
    def suppression_kept(self) -> bool: ...
    @property
    def in_mailbox(self) -> tuple[tuple[str, int], ...]: ...


def forgotten_text(done: Erased) -> str:
    """``inbox-agent forget``: what was erased, and what remains in the mailbox itself."""
    lines = [
        f"Forgot {done.email}: {done.records} record(s), {done.outbox} outbox entr(ies), "
        f"{done.messages} processed-log entr(ies) erased."
    ]
    if done.suppression_kept:
        lines.append("Their do-not-mail entry is kept, as a hash of the address only.")
    if done.in_mailbox:
        lines.append("Still in the mailbox (inbox-agent never deletes mail; remove it there):")
        lines += [f"  {folder} uid {uid}" for folder, uid in done.in_mailbox]
    else:
        lines.append("No mail of theirs is known in the mailbox.")
    return "\n".join(lines)
