"""``inbox-agent store check`` and ``store restore``: look at a store's files, and rebuild a lost or
damaged snapshot from the backups that each compaction keeps.

A compaction keeps the previous snapshot (``.bak``, generation *b*) and the journal that was
folded into the current one (``.journal.bak``, continuing *b*); the live journal continues
*b + 1*. Those three rebuild today's records exactly, and ``restore`` does only that unless told
``accept_loss``: then it rebuilds what the backup holds, and every mail that was still waiting
to go out is marked as not sent (it may have gone out in the part that was lost; a person
checks), so that no one is ever mailed twice.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from inbox_agent.exceptions import StoreCorruptError, StoreError
from inbox_agent.sending import outbox
from inbox_agent.sending.outbox import Delivery
from inbox_agent.store.database import docs
from inbox_agent.store.files import META, StoreFiles, Tables, apply_changes, generation

LOST = (
    "not sent: the store was restored from its backup, and what happened to this mail after "
    "that backup is not known (it may have gone out); check, and write to them by hand"
)


@dataclass
class Checked:
    """What ``check`` found: facts for people, and problems (none when the store is sound)."""

    facts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _describe(files: StoreFiles, checked: Checked) -> None:
    for label, path in (("snapshot", files.path), ("backup", files.bak)):
        try:
            data = files.snapshot_at(path)
        except StoreCorruptError as exc:
            checked.facts.append(f"{label} {path.name}: unreadable ({exc})")
            continue
        if data is None:
            checked.facts.append(f"{label} {path.name}: {'empty' if path.exists() else 'none'}")
        else:
            records = sum(1 for _ in docs(data, "prospects"))
            checked.facts.append(
                f"{label} {path.name}: generation {generation(data)}, {records} records"
            )
    for label, path in (("journal", files.journal), ("journal backup", files.journal_bak)):
        try:
            journal = files.journal_at(path)
        except StoreCorruptError as exc:
            checked.facts.append(f"{label} {path.name}: unreadable ({exc})")
            continue
        torn = " (a torn last line, dropped)" if journal.good_bytes < journal.size else ""
        marker = f"continues generation {journal.marker}, " if journal.marker else ""
        checked.facts.append(f"{label} {path.name}: {marker}{len(journal.lines)} commits{torn}")


def check(path: Path) -> Checked:
    """Read the store as a reader does and say what is there; never changes a file."""
    files, checked = StoreFiles(path), Checked()
    _describe(files, checked)
    try:
        data = files.read_consistent()
    except StoreCorruptError as exc:
        checked.problems.append(str(exc))
        plan = _plan(files)
        checked.problems.append(plan.advice)
        return checked
    entries = [outbox.from_dict(d) for _, d in docs(data, "outbox")]
    checked.facts.append(
        f"reads as: {sum(1 for _ in docs(data, 'prospects'))} records, "
        f"{sum(1 for e in entries if e.is_open)} mails to send or file, "
        f"{sum(1 for e in entries if e.status == Delivery.FAILED)} undeliverable, "
        f"{sum(1 for _ in docs(data, 'messages'))} messages processed"
    )
    return checked


@dataclass(frozen=True)
class _Plan:
    data: Tables | None  # what a restore would write (None: nothing to restore from)
    exact: bool
    advice: str


def _plan(files: StoreFiles) -> _Plan:
    bak = files.snapshot_at(files.bak)
    if bak is None:
        return _Plan(None, False, f"There is no backup ({files.bak.name}) to restore from.")
    base = generation(bak)
    folded, live = files.journal_at(files.journal_bak), files.journal_at(files.journal)
    exact = (folded.marker or 1) == base and live.marker == base + 1
    if exact:
        for changes in (*folded.lines, *live.lines):
            apply_changes(bak, changes)
        return _Plan(bak, True, "`inbox-agent store restore` rebuilds it exactly from the backups.")
    if (folded.marker or 1) == base:
        for changes in folded.lines:
            apply_changes(bak, changes)
    return _Plan(
        bak, False,
        f"The backups do not reach today ({files.journal_bak.name} or the journal is missing or "
        "from another generation): `inbox-agent store restore --accept-loss` rebuilds what the "
        "backup holds and marks every mail still waiting as not sent, for a person to check.",
    )  # fmt: skip


def restore(path: Path, *, accept_loss: bool = False) -> str:
    """Rebuild the snapshot from the backups (the writer's lock is taken: the daemon must be
    stopped). Returns what was done; raises StoreError when it cannot or must not."""
    files = StoreFiles(path)
    with files.locked():
        try:
            files.read(repair=False)
        except StoreCorruptError:
            pass
        else:
            return f"{path} reads fine: nothing to restore."
        plan = _plan(files)
        if plan.data is None or not (plan.exact or accept_loss):
            raise StoreError(plan.advice)
        data = plan.data
        unsent = 0
        if not plan.exact:
            for name, found in data.items():
                if not name.startswith("outbox:"):
                    continue
                for doc_id, doc in found.items():
                    entry = outbox.from_dict(doc)
                    if entry.status == Delivery.PENDING:
                        found[doc_id] = outbox.to_dict(outbox.failed(entry, entry.created_at, LOST))
                        unsent += 1
        if files.path.exists():
            os.replace(files.path, files.path.with_name(f"{path.name}.broken-{int(time.time())}"))
        live = files.journal_at(files.journal).marker or 0
        data[META] = {"1": {"generation": max(generation(data), live)}}
        files.write_snapshot(data)
    records = sum(1 for _ in docs(data, "prospects"))
    how = "exactly" if plan.exact else f"from the backup; {unsent} waiting mails marked not sent"
    return f"{path}: restored {how}: {records} records."
