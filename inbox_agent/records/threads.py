"""Which record a message belongs to, and who wrote it: pure threading decisions.

Robust systems match on several keys because providers rewrite Message-IDs (Amazon SES) and
Outlook drops References when a subject is edited. In order:

1. ``references``: In-Reply-To / References name a Message-ID the record has seen or sent.
2. ``marker``: our reference ``IA-<record>`` appears in the text (every mail we send ends with
   it, and replies quote it). Honoured only from the record's own prospect or an agent, so a
   stranger cannot attach themselves to someone's record by quoting it.
3. ``sender``: the sender's open record.
4. ``recipient``: for an agent's mail, the open record of a prospect it was sent to.

Vocabulary: a ``Lookups`` bundle gives read access to the records (the store's methods, or
dicts in tests); ``Thread`` is the answer: the record (or None), how it was found, and whether
the author is the ``prospect``, an ``agent`` or someone ``else``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from inbox_agent.mail.message import Message
from inbox_agent.records.prospect import Prospect

MARKER = re.compile(r"\bIA-(\d{1,9})\b")


def marker_for(prospect_id: int) -> str:
    return f"IA-{prospect_id}"


class Author(StrEnum):
    PROSPECT = "prospect"  # the record's own person
    AGENT = "agent"  # an agent or owner, or a person sending as the shared address
    ELSE = "else"  # anyone else


@dataclass(frozen=True)
class Lookups:
    by_message_id: Callable[[str], Prospect | None]
    by_id: Callable[[int], Prospect | None]
    open_for: Callable[[str], Prospect | None]


@dataclass(frozen=True)
class Thread:
    record: Prospect | None
    how: str  # "references" | "marker" | "sender" | "recipient" | "none"
    author: Author


def _author(sender: str, record: Prospect | None, agents: frozenset[str], as_us: bool) -> Author:
    if sender in agents or as_us:
        return Author.AGENT
    if record is not None and sender == record.email:
        return Author.PROSPECT
    return Author.ELSE


def find_thread(
    msg: Message,
    lookups: Lookups,
    *,
    agents: frozenset[str],
    own: frozenset[str],
    sent_as_us: bool = False,
) -> Thread:
    """The record ``msg`` continues. ``sent_as_us``: a person sent it from the shared address
    (found in the Sent folder, or From our address without our robot's marks)."""
    sender = msg.from_.email if msg.from_ else ""
    for mid in (*reversed(msg.references), *msg.in_reply_to):
        record = lookups.by_message_id(mid)
        if record is not None:
            return Thread(record, "references", _author(sender, record, agents, sent_as_us))
    for found in MARKER.finditer(msg.text):
        record = lookups.by_id(int(found.group(1)))
        author = _author(sender, record, agents, sent_as_us)
        if record is not None and author != Author.ELSE:
            return Thread(record, "marker", author)
    if sender and sender not in agents and not sent_as_us:
        record = lookups.open_for(sender)
        if record is not None:
            return Thread(record, "sender", Author.PROSPECT)
    if sender in agents or sent_as_us:
        for rcpt in (*msg.to, *msg.cc):
            if rcpt.email in own or rcpt.email in agents:
                continue
            record = lookups.open_for(rcpt.email)
            if record is not None:
                return Thread(record, "recipient", Author.AGENT)
        return Thread(None, "none", Author.AGENT)
    return Thread(None, "none", Author.ELSE)
