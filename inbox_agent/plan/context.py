"""What the store knows that one incoming message's decision may need: a frozen snapshot. Pure.

Vocabulary: ``wanted(reading)`` names the keys a decision about this reading can look at — the
Message-IDs it refers to, the record numbers quoted in it (our ``IA-<n>`` reference, a
``#record n`` command), and the addresses it involves (sender, recipients, the person a form
names, addresses a bounce reports). The poller reads exactly those from the store into a
``Context``: the records found under each key, when automatic mail last went to each address,
to each of their domains and from the whole mailbox (the caps), which of them are suppressed
(and which only because they asked us to stop),
which of the Message-IDs are mail we sent (and of what kind), whether the same message was
already seen through another address or folder (``content_key``), what a spam filter said
(``spam``), who was assigned last, and the number the next new record gets.
``plan.inbound.decide`` then needs nothing else, so every rule about a message is data in, data
out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from inbox_agent.mail.message import Message
from inbox_agent.mail.reading import Reading, failed_recipients
from inbox_agent.mail.spam import SpamScore
from inbox_agent.mail.unsubscribe import unsubscribe_link
from inbox_agent.records.commands import parse_commands
from inbox_agent.records.prospect import Prospect
from inbox_agent.records.threads import MARKER
from inbox_agent.sending.actions import MailKind


def _none() -> Mapping[str, Prospect]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Wanted:
    """The store keys a decision about one reading may look at."""

    message_ids: tuple[str, ...]
    record_ids: tuple[int, ...]
    addresses: tuple[str, ...]

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.rpartition("@")[2] for a in self.addresses))


def content_key(msg: Message) -> str:
    """The same message however it reached us: one inquiry delivered to sales@ and to an alias,
    or found in two folders, differs in its trace headers (Delivered-To, Received) and so in its
    content hash, not in Message-ID, From, Date, Subject or text."""
    if msg.message_id.endswith("@no-message-id"):
        return ""  # no Message-ID: the raw hash (``dedupe_key``) is all there is
    parts = (msg.message_id, msg.header("from"), msg.header("date"), msg.subject, msg.text,
             msg.report, " ".join(msg.part_types), " ".join(msg.returned_ids))  # fmt: skip
    return "content|" + hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()


def wanted(reading: Reading) -> Wanted:
    msg = reading.message
    ids = [int(m.group(1)) for m in MARKER.finditer(msg.text)]
    link = unsubscribe_link(msg.subject)
    if link is not None:  # our List-Unsubscribe mailto names the record in its subject
        ids.append(link[0])
    addresses = [reading.sender, *(a.email for a in (*msg.to, *msg.cc))]
    if reading.contact is not None:
        addresses.append(reading.contact.email)
    for command in parse_commands(reading.fresh).commands if reading.fresh else ():
        if command.name == "record" and command.args[0].isdigit():
            ids.append(int(command.args[0]))
        elif command.name == "record":
            addresses.append(command.args[0])
    addresses.extend(failed_recipients(msg))
    return Wanted(
        message_ids=tuple(dict.fromkeys((*msg.references, *msg.in_reply_to))),
        record_ids=tuple(dict.fromkeys(ids)),
        addresses=tuple(dict.fromkeys(a for a in addresses if a)),
    )


@dataclass(frozen=True)
class Context:
    """A frozen snapshot of what the store knows about one message's keys (see ``wanted``)."""

    folder: str
    uid: int
    arrived: datetime  # when the server received it (INTERNALDATE)
    now: datetime
    in_sent_folder: bool = False  # it sits in the shared Sent folder: sent as the shared address
    seen: bool = False  # this very message was processed before (Message-ID + content hash)
    by_message_id: Mapping[str, Prospect] = field(default_factory=_none)
    by_id: Mapping[int, Prospect] = field(default_factory=lambda: MappingProxyType({}))
    open_by_email: Mapping[str, Prospect] = field(default_factory=_none)
    latest_by_email: Mapping[str, Prospect] = field(default_factory=_none)
    mail_times: Mapping[str, tuple[datetime, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    suppressed: frozenset[str] = frozenset()
    opted_out: frozenset[str] = frozenset()  # suppressed only because they asked us to stop
    our_mail: Mapping[str, MailKind] = field(default_factory=lambda: MappingProxyType({}))
    last_assigned: str | None = None
    next_id: int = 1  # the number a new record gets
    uidvalidity: int = 0  # of the folder, for a quarantine entry
    same_content: bool = False  # the same message came before through another address/folder
    domain_times: Mapping[str, tuple[datetime, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )  # when acknowledgments went to each domain (the domain cap)
    mailbox_times: tuple[datetime, ...] = ()  # when acknowledgments went out lately (all)
    spam: SpamScore | None = None  # the spam filter's verdict (``[classify] spamd``), if asked
