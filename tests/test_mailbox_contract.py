"""The IMAP seam's contract, run against the fake the fast tests use and against a real Dovecot:
whatever the poller relies on, the fake must do the same way the real server does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from inbox_agent.config import MailboxSettings
from inbox_agent.imap import ImapMailbox, MailboxSession
from tests import mailgen
from tests.fakes import FakeMailbox


@dataclass
class Box:
    """A session on one mailbox, and how mail arrives in its folders (as a server's APPEND)."""

    session: MailboxSession
    deliver: Callable[[str, bytes], object]


@pytest.fixture(params=["fake", pytest.param("dovecot", marks=pytest.mark.dovecot)])
def box(request: pytest.FixtureRequest) -> Iterator[Box]:
    if request.param == "fake":
        fake = FakeMailbox()
        yield Box(fake, fake.deliver)
        return
    user = request.getfixturevalue("mailbox_user")
    dovecot = request.getfixturevalue("dovecot")
    settings = MailboxSettings(
        address=f"{user.user}@example.com", host=user.host, port=user.port, security="none",
        username=user.user, timeout_s=10,
    )  # fmt: skip
    with ImapMailbox(settings, user.password) as session:
        yield Box(session, lambda folder, raw: dovecot.append(user.user, folder, raw))


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class TestMailboxContract:
    def test_uids_grow_and_nothing_at_or_below_the_last_is_new(self, box: Box) -> None:
        first = box.session.select("INBOX")
        assert first.uidvalidity > 0 and box.session.uids_after(0) == []
        for i in range(3):
            box.deliver("INBOX", crlf(mailgen.inquiry(sender=f"p{i}@example.org")))
        state = box.session.select("INBOX")
        uids = box.session.uids_after(0)
        assert len(uids) == 3 and uids == sorted(uids) and state.uidvalidity == first.uidvalidity
        assert state.uidnext > uids[-1]
        assert box.session.uids_after(uids[-1]) == []  # RFC 3501 "n:*" still matches the last
        assert box.session.uids_after(uids[0]) == uids[1:]

    def test_fetch_gives_the_bytes_and_when_the_server_got_them(self, box: Box) -> None:
        raw = crlf(mailgen.inquiry(body="Hello from the contract\n"))
        before = datetime.now(UTC) - timedelta(seconds=2)
        box.deliver("INBOX", raw)
        box.session.select("INBOX")
        [uid] = box.session.uids_after(0)
        [fetched] = box.session.fetch([uid])
        assert fetched.uid == uid and fetched.raw == raw and fetched.size == len(raw)
        assert not fetched.truncated
        assert fetched.arrived is not None and fetched.arrived.utcoffset() == timedelta(0)
        assert before <= fetched.arrived <= datetime.now(UTC) + timedelta(seconds=2)
        assert box.session.fetch([]) == []
        assert box.session.fetch([uid + 100]) == []  # gone (expunged meanwhile): skipped

    def test_the_sent_folder_is_found_and_takes_copies(self, box: Box) -> None:
        sent = box.session.special_folder(b"\\Sent", "Sent")
        assert sent == "Sent"
        box.session.append(sent, crlf(mailgen.inquiry(subject="our copy")))
        box.session.select("INBOX")
        assert box.session.uids_after(0) == []  # the copy is not in the INBOX
        box.session.select(sent)
        [uid] = box.session.uids_after(0)
        [fetched] = box.session.fetch([uid])
        assert b"our copy" in fetched.raw
