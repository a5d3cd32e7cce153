"""Fast in-memory twins of the outside systems, for unit tests only (integration tests use
Dovecot and aiosmtpd on loopback)."""

from __future__ import annotations

import email
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

from inbox_agent.exceptions import MailboxConnectionError, PermanentSendError
from inbox_agent.imap import Fetched, FolderState


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class FakeMailbox:
    """Folders of (uid, raw) with a UIDVALIDITY; implements ``MailboxSession`` the way Dovecot
    does (``tests/test_mailbox_contract.py`` runs both through the same tests): UIDs grow per
    folder, each message keeps the time it arrived (INTERNALDATE, from ``clock``), a UID that is
    gone is skipped, ``\\Sent`` is the folder ``Sent``."""

    clock: Callable[[], datetime] = _utcnow
    uidvalidity: int = 1
    fail_fetch_after: int | None = None  # raise after this many fetch calls (a dropped link)
    fetch_calls: int = 0
    folders: dict[str, dict[int, bytes]] = field(default_factory=lambda: {"INBOX": {}, "Sent": {}})
    arrived: dict[tuple[str, int], datetime] = field(default_factory=dict)
    selected: str = "INBOX"
    filed: list[tuple[str, bytes]] = field(default_factory=list)  # our copies, appended to Sent

    @property
    def messages(self) -> dict[int, bytes]:
        return self.folders["INBOX"]

    @property
    def sent(self) -> dict[int, bytes]:
        return self.folders["Sent"]

    def deliver(self, folder: str, raw: bytes) -> int:
        """Mail arriving in ``folder``, as a server's APPEND; returns its UID."""
        box = self.folders.setdefault(folder, {})
        uid = max(box, default=0) + 1
        box[uid] = raw
        self.arrived[(folder, uid)] = self.clock().astimezone(UTC)
        return uid

    def add(self, raw: bytes) -> int:
        return self.deliver("INBOX", raw)

    def select(self, folder: str) -> FolderState:
        self.selected = folder
        box = self.folders.setdefault(folder, {})
        return FolderState(folder, self.uidvalidity, max(box, default=0) + 1)

    def uids_after(self, last_uid: int) -> list[int]:
        return sorted(u for u in self.folders[self.selected] if u > last_uid)

    def fetch(self, uids: Sequence[int]) -> list[Fetched]:
        self.fetch_calls += 1
        if self.fail_fetch_after is not None and self.fetch_calls > self.fail_fetch_after:
            raise MailboxConnectionError("connection dropped")
        box = self.folders[self.selected]
        return [
            Fetched(u, box[u], len(box[u]), arrived=self.arrived.get((self.selected, u)))
            for u in uids
            if u in box
        ]

    def special_folder(self, flag: bytes, fallback: str) -> str:
        return "Sent" if flag == b"\\Sent" else fallback

    def append(self, folder: str, raw: bytes, flags: Sequence[bytes] = ()) -> None:
        self.filed.append((folder, raw))
        self.deliver(folder, raw)

    def renumber(self) -> None:
        """What a server does on UIDVALIDITY change: new UIDs for the same mail."""
        inbox = self.folders["INBOX"]
        times = [self.arrived.get(("INBOX", u)) for u in inbox]
        self.folders["INBOX"] = {i + 100: raw for i, raw in enumerate(inbox.values(), 1)}
        self.arrived.update(
            {("INBOX", i + 100): t for i, t in enumerate(times, 1) if t is not None}
        )
        self.uidvalidity += 1


@dataclass
class FakeCourier:
    """Records what would be sent; can be told to fail with a given error a number of times."""

    sent: list[tuple[str, tuple[str, ...], bytes]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    smtputf8: bool = True  # the server offers SMTPUTF8 (RFC 6531)
    utf8_sent: list[bool] = field(default_factory=list)  # per message sent: SMTPUTF8 asked

    def send(
        self, sender: str, recipients: Sequence[str], raw: bytes, *, smtputf8: bool = False
    ) -> None:
        if self.failures:
            raise self.failures.pop(0)
        if smtputf8 and not self.smtputf8:
            raise PermanentSendError("the server does not offer SMTPUTF8 (RFC 6531)")
        if not smtputf8 and not all(r.isascii() for r in recipients):
            raise PermanentSendError(f"{recipients}: not ASCII, and SMTPUTF8 not asked for")
        self.sent.append((sender, tuple(recipients), raw))
        self.utf8_sent.append(smtputf8)

    def mail_to(self, who: str) -> list[EmailMessage]:
        """What was sent to ``who``, parsed, in order."""
        found = []
        for _, (rcpt,), raw in self.sent:
            if rcpt == who:
                msg = email.message_from_bytes(raw, policy=policy.default)
                assert isinstance(msg, EmailMessage)
                found.append(msg)
        return found
