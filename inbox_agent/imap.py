"""The IMAP seam: one class that talks to the shared mailbox through imapclient.

It only ever *reads* the folders it watches: folders are opened read-only (EXAMINE) and bodies
fetched with ``BODY.PEEK[]``, so the ``\\Seen`` flags people rely on never change, and nothing is
deleted or expunged. Certificates are verified by default. Every imaplib, socket and TLS error
is translated here into ``MailboxConnectionError`` (temporary: reconnect) or ``MailboxAuthError``.
Only this module imports ``imapclient``.

No bodies in the log at any verbosity: imapclient sends imaplib's protocol trace (every line the
server sends, whole messages included) and its own command echo (literals included) to its
``imapclient`` loggers at DEBUG, so those loggers are held at INFO here, whatever ``-vv`` sets.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from inbox_agent.config import MailboxSettings
from inbox_agent.exceptions import MailboxAuthError, MailboxConnectionError, MailboxError
from inbox_agent.tls import tls_context

log = logging.getLogger(__name__)
T = TypeVar("T")
# imaplib's trace carries whole messages (FETCH BODY[] and APPEND literals): never logged.
logging.getLogger("imapclient").setLevel(logging.INFO)


@dataclass(frozen=True)
class FolderState:
    name: str
    uidvalidity: int
    uidnext: int


@dataclass(frozen=True)
class Fetched:
    """One message as fetched: the whole of it, or only its headers when over the size cap."""

    uid: int
    raw: bytes
    size: int
    truncated: bool = False
    arrived: datetime | None = None  # the server's INTERNALDATE


class MailboxSession(Protocol):
    """What the poller needs from a mailbox; the fake in tests implements the same."""

    def select(self, folder: str) -> FolderState: ...
    def uids_after(self, last_uid: int) -> list[int]: ...
    def fetch(self, uids: Sequence[int]) -> list[Fetched]: ...
    def special_folder(self, flag: bytes, fallback: str) -> str: ...
    def append(self, folder: str, raw: bytes, flags: Sequence[bytes] = ...) -> None: ...


@contextlib.contextmanager
def mapped_errors(what: str) -> Iterator[None]:
    """Translate imaplib/socket/TLS errors into the project's own."""
    try:
        yield
    except LoginError as exc:
        raise MailboxAuthError(f"{what}: login refused: {exc}") from exc
    except (imaplib.IMAP4.abort, OSError, EOFError) as exc:  # socket, timeout, TLS, BYE
        raise MailboxConnectionError(f"{what}: {type(exc).__name__}: {exc}") from exc
    except imaplib.IMAP4.error as exc:
        raise MailboxError(f"{what}: {exc}") from exc


def _arrived(item: dict[bytes, Any]) -> datetime | None:
    value = item.get(b"INTERNALDATE")
    if not isinstance(value, datetime) or value.utcoffset() is None:
        return None
    return value.astimezone(UTC)  # plain tzinfo, not imapclient's FixedOffset


class ImapMailbox:
    """A logged-in connection to the shared mailbox."""

    def __init__(self, settings: MailboxSettings, password: str) -> None:
        self.settings = settings
        with mapped_errors(f"connecting to {settings.host}:{settings.port}"):
            self.client = self._connect(settings)
            try:
                self.client.login(settings.username or settings.address, password)
            except BaseException:
                self.close()
                raise
        self.client.normalise_times = False  # keep INTERNALDATE's own offset
        self.folder: FolderState | None = None

    @staticmethod
    def _connect(s: MailboxSettings) -> IMAPClient:
        if s.security == "ssl":
            return IMAPClient(
                s.host,
                port=s.port,
                ssl=True,
                ssl_context=tls_context(s.ca_file),
                timeout=s.timeout_s,
            )
        client = IMAPClient(s.host, port=s.port, ssl=False, timeout=s.timeout_s)
        if s.security == "starttls":
            client.starttls(tls_context(s.ca_file))
        return client

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        with mapped_errors(what):
            return fn()

    def select(self, folder: str) -> FolderState:
        info: dict[bytes, Any] = self._call(
            f"opening {folder}", lambda: self.client.select_folder(folder, readonly=True)
        )
        state = FolderState(
            name=folder,
            uidvalidity=int(info.get(b"UIDVALIDITY", 0)),
            uidnext=int(info.get(b"UIDNEXT", 0)),
        )
        self.folder = state
        return state

    def uids_after(self, last_uid: int) -> list[int]:
        # "n:*" always matches the last message, even when nothing is newer (RFC 3501).
        found = self._call("searching", lambda: self.client.search(["UID", f"{last_uid + 1}:*"]))
        return sorted(int(u) for u in found if int(u) > last_uid)

    def fetch(self, uids: Sequence[int]) -> list[Fetched]:
        if not uids:
            return []
        cap = self.settings.max_message_bytes
        sizes = self._call(
            "fetching sizes", lambda: self.client.fetch(list(uids), ["RFC822.SIZE", "INTERNALDATE"])
        )
        small = [u for u in uids if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)) <= cap]
        large = [u for u in uids if u in sizes and u not in set(small)]
        found: dict[int, Fetched] = {}
        if small:
            data = self._call("fetching", lambda: self.client.fetch(small, ["BODY.PEEK[]"]))
            for uid, item in data.items():
                raw = item.get(b"BODY[]") or b""
                size = int(sizes[uid].get(b"RFC822.SIZE", len(raw)))
                found[uid] = Fetched(uid, raw, size, arrived=_arrived(sizes[uid]))
        if large:
            data = self._call(
                "fetching headers", lambda: self.client.fetch(large, ["BODY.PEEK[HEADER]"])
            )
            for uid, item in data.items():
                raw = item.get(b"BODY[HEADER]") or b""
                size = int(sizes[uid].get(b"RFC822.SIZE", 0))
                found[uid] = Fetched(uid, raw, size, truncated=True, arrived=_arrived(sizes[uid]))
        return [found[u] for u in uids if u in found]

    def special_folder(self, flag: bytes, fallback: str) -> str:
        """The folder with a SPECIAL-USE flag (e.g. ``\\Sent``), else the configured name."""
        with contextlib.suppress(MailboxError):
            found = self._call("listing folders", lambda: self.client.find_special_folder(flag))
            if found:
                return str(found)
        return fallback

    def append(self, folder: str, raw: bytes, flags: Sequence[bytes] = (b"\\Seen",)) -> None:
        self._call(f"saving to {folder}", lambda: self.client.append(folder, raw, flags=flags))

    def create_folder(self, folder: str) -> None:
        """Make a folder (the demo's practice mailbox starts with INBOX only)."""
        self._call(f"creating {folder}", lambda: self.client.create_folder(folder))

    def append_many(self, folder: str, messages: Sequence[bytes]) -> None:
        """APPEND several messages, in one round trip where the server offers MULTIAPPEND."""
        if b"MULTIAPPEND" in self._call("capabilities", self.client.capabilities):
            self._call(f"saving to {folder}", lambda: self.client.multiappend(folder, messages))
            return
        for raw in messages:
            self.append(folder, raw, flags=())

    def idle_start(self) -> None:
        self._call("starting IDLE", self.client.idle)

    def idle_check(self, timeout: float) -> list[Any]:
        """Untagged responses that arrived within ``timeout`` seconds (may be empty)."""
        return list(self._call("waiting in IDLE", lambda: self.client.idle_check(timeout=timeout)))

    def idle_done(self) -> None:
        self._call("ending IDLE", self.client.idle_done)

    def has_idle(self) -> bool:
        return bool(self._call("capabilities", lambda: self.client.has_capability("IDLE")))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.logout()
        with contextlib.suppress(Exception):
            self.client.shutdown()

    def __enter__(self) -> ImapMailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
