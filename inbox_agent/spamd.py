"""The spamd seam: ask SpamAssassin's daemon what it thinks of one message (SPAMD protocol).

``SpamdClient(host, port).check(raw)`` sends ``SYMBOLS SPAMC/1.5`` with the message over one TCP
connection and reads ``SPAMD/1.x 0 EX_OK``, the ``Spam: True ; 1003.3 / 5.0`` header and the
comma-separated names of the rules that hit, into a ``mail.spam.SpamScore`` (pure data, which
the decisions use like the receiving server's own verdict). Every socket, timeout and protocol
error becomes ``SpamdError``. Messages over ``MAX_BYTES`` (spamc's own default limit) are not
sent: ``check`` returns None for them. ``spam_check`` wraps a client for the poller and
``replay``: an unreachable spamd is logged and the mail goes on without its verdict, so a
stopped spamd never stops the mailbox.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable

from inbox_agent.exceptions import SpamdError
from inbox_agent.mail.spam import SpamScore

log = logging.getLogger(__name__)
MAX_BYTES = 500 * 1024
_STATUS = re.compile(rb"^SPAMD/(\d+\.\d+) (\d+) (.*)$")
_SPAM = re.compile(rb"^Spam:\s*(True|False|Yes|No)\s*;\s*(-?[\d.]+)\s*/\s*(-?[\d.]+)", re.I)

SpamCheck = Callable[[bytes], SpamScore | None]


class SpamdClient:
    """One spamd at ``host:port``."""

    def __init__(self, host: str, port: int, *, timeout: float = 10.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    @classmethod
    def at(cls, address: str, *, timeout: float = 10.0) -> SpamdClient:
        """From ``[classify] spamd`` ("host:port")."""
        host, _, port = address.rpartition(":")
        return cls(host, int(port), timeout=timeout)

    def check(self, raw: bytes) -> SpamScore | None:
        """spamd's verdict on ``raw``; None for a message too big to ask about."""
        if len(raw) > MAX_BYTES:
            return None
        request = b"SYMBOLS SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(raw) + raw
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                sock.sendall(request)
                sock.shutdown(socket.SHUT_WR)
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError as exc:
            raise SpamdError(f"spamd at {self.host}:{self.port}: {exc}") from exc
        return parse_reply(b"".join(chunks), f"{self.host}:{self.port}")


def parse_reply(data: bytes, where: str = "spamd") -> SpamScore:
    """A ``SYMBOLS`` reply as a ``SpamScore``; ``SpamdError`` for anything else."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = _STATUS.match(lines[0]) if lines else None
    if status is None:
        raise SpamdError(f"{where}: not a spamd reply: {data[:60]!r}")
    if status.group(2) != b"0":
        raise SpamdError(f"{where}: {status.group(3).decode(errors='replace')}")
    found = next((m for line in lines[1:] if (m := _SPAM.match(line))), None)
    if found is None:
        raise SpamdError(f"{where}: the reply has no Spam: header")
    rules = tuple(r for r in body.decode("ascii", "replace").strip().split(",") if r)
    return SpamScore(
        spam=found.group(1).lower() in (b"true", b"yes"),
        score=float(found.group(2)),
        threshold=float(found.group(3)),
        rules=rules,
    )


def spam_check(client: SpamdClient) -> SpamCheck:
    """``client.check`` that logs and returns None when spamd cannot be asked."""

    def check(raw: bytes) -> SpamScore | None:
        try:
            return client.check(raw)
        except SpamdError as exc:
            log.warning("not checked for spam: %s", exc)
            return None

    return check
