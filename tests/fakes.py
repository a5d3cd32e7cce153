"""Fast in-memory twins of the outside systems, for unit tests only (integration tests use
Dovecot and aiosmtpd on loopback)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from inbox_agent.imap import Fetched, FolderState


@dataclass
class FakeMailbox:
    """A folder of (uid, raw) with a UIDVALIDITY; implements ``MailboxSession``."""

    messages: dict[int, bytes] = field(default_factory=dict)
    uidvalidity: int = 1
    fail_fetch_after: int | None = None  # raise after this many fetch calls (a dropped link)
    fetch_calls: int = 0

    def add(self, raw: bytes) -> int:
        uid = max(self.messages, default=0) + 1
        self.messages[uid] = raw
        return uid

    sent: dict[int, bytes] = field(default_factory=dict)  # the Sent folder
    selected: str = "INBOX"

    def _folder(self) -> dict[int, bytes]:
        return self.messages if self.selected == "INBOX" else self.sent

    def select(self, folder: str) -> FolderState:
        self.selected = folder
        return FolderState(folder, self.uidvalidity, max(self._folder(), default=0) + 1)

    def uids_after(self, last_uid: int) -> list[int]:
        return sorted(u for u in self._folder() if u > last_uid)

    def fetch(self, uids: Sequence[int]) -> list[Fetched]:
        self.fetch_calls += 1
        if self.fail_fetch_after is not None and self.fetch_calls > self.fail_fetch_after:
            from inbox_agent.exceptions import MailboxConnectionError

            raise MailboxConnectionError("connection dropped")
        box = self._folder()
        return [Fetched(u, box[u], len(box[u])) for u in uids]

    filed: list[tuple[str, bytes]] = field(default_factory=list)

    def special_folder(self, flag: bytes, fallback: str) -> str:
        return "Sent"

    def append(self, folder: str, raw: bytes, flags: Sequence[bytes] = ()) -> None:
        self.filed.append((folder, raw))
        self.sent[max(self.sent, default=0) + 1] = raw

    def renumber(self) -> None:
        """What a server does on UIDVALIDITY change: new UIDs for the same mail."""
        self.messages = {i + 100: raw for i, raw in enumerate(self.messages.values(), 1)}
        self.uidvalidity += 1


@dataclass
class FakeCourier:
    """Records what would be sent; can be told to fail with a given error a number of times."""

    sent: list[tuple[str, tuple[str, ...], bytes]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def send(self, sender: str, recipients: Sequence[str], raw: bytes) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((sender, tuple(recipients), raw))
