"""An SMTP receiver on loopback for tests: aiosmtpd's threaded ``Controller`` and a handler that
keeps every accepted envelope.

Vocabulary:
- *received*: the envelopes accepted so far (``Received``: sender, recipients, raw bytes, the
  SMTP login if any, and where it was delivered), in arrival order; ``wait_for(n)`` blocks for them.
- *refusal*: answer 451 (temporary) or 550 (permanent) to MAIL / RCPT / DATA, until ``accept()``
  or for the next ``times`` transactions.
- *ambiguous failure*: the whole message is received and kept (and delivered), then the server
  gives no reply to the final ``.`` -- it closes the connection (``how="close"``) or says nothing
  until the client gives up (``how="hang"``). The sender cannot tell whether its mail went out.
- *login*: ``SmtpReceiver(credentials={user: password})`` offers AUTH PLAIN/LOGIN without TLS
  and refuses other credentials with 535.
- *hook*: ``on_receive(fn)`` calls ``fn(received)`` for each accepted message before the
  ``250`` (a scripted autoresponder answering into a mailbox).
- *delivery*: with ``deliver_to(dovecot)``, each accepted message is APPENDed to the INBOX of
  the Dovecot user named by the recipient's local part (``bob@example.test`` -> ``bob``) before
  the ``250`` is sent, so once ``sendmail`` returns the message is in the mailbox. Recipients
  without such a user are still accepted and kept, just not delivered.

The handler's coroutines run in the controller's event-loop thread; everything they share with
the test thread goes through one lock.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .dovecot import HOST, Dovecot

Stage = Literal["MAIL", "RCPT", "DATA"]
ALL_STAGES: tuple[Stage, ...] = ("MAIL", "RCPT", "DATA")
TEMPORARY = "451 4.3.0 Temporarily refused by the test receiver, try again later"
PERMANENT = "550 5.7.1 Permanently refused by the test receiver"
SERVER_NAME = "mx.example.test"  # passed explicitly: aiosmtpd's default is a slow getfqdn()


@dataclass(frozen=True)
class Received:
    """One accepted envelope."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # exactly as received (CRLF line ends, dot-unstuffed)
    login: str | None = None  # the SMTP AUTH user, when the client logged in
    delivered: tuple[tuple[str, int], ...] = ()  # (Dovecot user, UID in INBOX)
    at: float = field(default_factory=time.monotonic)  # when it was accepted (monotonic clock)

    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def local_part_user(address: str) -> str:
    """``Bob@Example.test`` -> ``bob``: the default mapping from recipient to Dovecot user."""
    return address.rpartition("@")[0].lower() if "@" in address else address.lower()


@dataclass
class _Refusal:
    status: str
    stages: frozenset[str]
    times: int | None  # None: until accept()


@dataclass
class _Drop:
    how: Literal["close", "hang"]
    times: int


@dataclass
class _State:
    received: list[Received] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)  # (stage, status)
    refusal: _Refusal | None = None
    refused_envelope: Envelope | None = None  # the transaction the last refusal counted for
    drop: _Drop | None = None
    dovecot: Dovecot | None = None
    user_for: Callable[[str], str] = local_part_user
    on_receive: Callable[[Received], None] | None = None


class _Handler:
    """aiosmtpd handler hooks; all state lives in the receiver's ``_State`` under its lock."""

    def __init__(self, state: _State, cond: threading.Condition) -> None:
        self._state = state
        self._cond = cond

    def _refuse(self, stage: str, envelope: Envelope) -> str | None:
        with self._cond:
            refusal = self._state.refusal
            if refusal is None or stage not in refusal.stages:
                return None
            if refusal.times is not None and self._state.refused_envelope is not envelope:
                if refusal.times == 0:  # the last refused transaction is over
                    self._state.refusal = None
                    return None
                refusal.times -= 1
                self._state.refused_envelope = envelope
            self._state.refusals.append((stage, refusal.status))
            return refusal.status

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        status = self._refuse("MAIL", envelope)
        if status is not None:
            return status
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        status = self._refuse("RCPT", envelope)
        if status is not None:
            return status
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        status = self._refuse("DATA", envelope)
        if status is not None:
            return status
        data = envelope.original_content or b""
        with self._cond:
            dovecot, user_for = self._state.dovecot, self._state.user_for
        delivered: list[tuple[str, int]] = []
        if dovecot is not None:
            for rcpt in envelope.rcpt_tos:
                user = user_for(rcpt)
                if dovecot.has_user(user):
                    try:  # blocking on purpose: the 250 goes out only once it is in the mailbox
                        delivered.append((user, dovecot.append(user, "INBOX", data)))
                    except Exception as exc:
                        return f"451 4.3.0 Delivery to {user} failed: {type(exc).__name__}"
        auth = session.auth_data
        login = auth.login.decode(errors="replace") if isinstance(auth, LoginPassword) else None
        with self._cond:
            self._state.received.append(
                Received(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=bytes(data),
                    login=login,
                    delivered=tuple(delivered),
                )
            )
            drop = self._state.drop
            if drop is not None:
                drop.times -= 1
                if drop.times <= 0:
                    self._state.drop = None
            self._cond.notify_all()
            hook, got = self._state.on_receive, self._state.received[-1]
        if hook is not None:  # e.g. a scripted autoresponder (blocking, like delivery)
            hook(got)
        if drop is not None:
            if drop.how == "close" and server.transport is not None:
                server.transport.close()
            # Wait to be cancelled: by connection_lost() after the close above, or, for "hang",
            # by eof_received() once the client gives up (or by the controller's stop()).
            await asyncio.Event().wait()
        return "250 OK"


class _BoundController(Controller):
    """A ``Controller`` whose listening socket is bound before its thread starts.

    It gets a concrete port (``Controller`` needs one: it connects to ``self.port`` to check the
    server is up) from the OS, without the race of probing for a free port and binding later.
    """

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        super().__init__(handler, hostname=HOST, port=self._sock.getsockname()[1], **kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        self.close_socket()

    def close_socket(self) -> None:
        self._sock.close()  # the server closes it too when it ran; closing twice is harmless
        if not self.loop.is_closed() and not self.loop.is_running():
            self.loop.close()  # left open when the server thread failed early


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1 and a concrete port; start/stop, or use as a context manager."""

    def __init__(
        self, *, credentials: Mapping[str, str] | None = None, smtputf8: bool = False
    ) -> None:
        """``credentials`` (user -> password) turns on AUTH PLAIN/LOGIN without TLS;
        ``smtputf8`` offers SMTPUTF8 (RFC 6531), as most big providers do (aiosmtpd's default
        is not to, like many small servers)."""
        self._cond = threading.Condition()
        self._state = _State()
        self._credentials = dict(credentials) if credentials is not None else None
        self._smtputf8 = smtputf8
        self._controller: Controller | None = None
        self._port = 0

    # -- lifecycle

    def start(self) -> None:
        if self._controller is not None:
            raise RuntimeError("this SMTP receiver is already running")
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": self._smtputf8}
        if self._credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        controller = _BoundController(
            _Handler(self._state, self._cond),
            server_hostname=SERVER_NAME,
            ready_timeout=10.0,
            **kwargs,
        )
        try:
            controller.start()
        except BaseException:
            controller.stop(no_assert=True)
            controller.close_socket()
            raise
        self._controller, self._port = controller, controller.port

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpReceiver:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        return self._port

    # -- what arrived

    @property
    def received(self) -> list[Received]:
        with self._cond:
            return list(self._state.received)

    @property
    def refusals(self) -> list[tuple[str, str]]:
        """``(stage, status)`` of every refused command, in order."""
        with self._cond:
            return list(self._state.refusals)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until at least ``count`` envelopes were accepted; return them all."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._state.received) >= count, timeout):
                raise AssertionError(
                    f"SMTP receiver got {len(self._state.received)} of {count} message(s) "
                    f"within {timeout}s"
                )
            return list(self._state.received)

    def clear(self) -> None:
        with self._cond:
            self._state.received.clear()
            self._state.refusals.clear()

    # -- behaviour

    def refuse(
        self,
        kind: Literal["temporary", "permanent"] = "temporary",
        *,
        at: Iterable[Stage] = ALL_STAGES,
        times: int | None = None,
    ) -> None:
        """Answer 451 (temporary) or 550 (permanent) at the given stages.

        Until ``accept()``, or for the next ``times`` transactions (one transaction counts once,
        however many of its commands are refused).
        """
        status = {"temporary": TEMPORARY, "permanent": PERMANENT}[kind]
        stages = frozenset(at)
        if not stages or not stages <= set(ALL_STAGES):
            raise ValueError(f"stages must be among {ALL_STAGES}, got {sorted(stages)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        with self._cond:
            self._state.refusal = _Refusal(status, stages, times)
            self._state.refused_envelope = None

    def accept(self) -> None:
        """Stop refusing and stop dropping."""
        with self._cond:
            self._state.refusal = None
            self._state.drop = None

    def ambiguous(self, times: int = 1, *, how: Literal["close", "hang"] = "close") -> None:
        """Keep the next ``times`` messages but never answer their final ``.``.

        ``close``: close the connection right away; smtplib raises
        ``SMTPServerDisconnected("Connection unexpectedly closed")``.
        ``hang``: stay silent until the client's socket timeout; smtplib raises
        ``SMTPServerDisconnected("Connection unexpectedly closed: timed out")`` (it wraps the
        ``TimeoutError``), after the timeout given to ``smtplib.SMTP(..., timeout=)``.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._cond:
            self._state.drop = _Drop(how, times)

    def deliver_to(
        self, dovecot: Dovecot | None, user_for: Callable[[str], str] = local_part_user
    ) -> None:
        """APPEND accepted mail to the recipients' Dovecot INBOXes (None turns it off)."""
        with self._cond:
            self._state.dovecot = dovecot
            self._state.user_for = user_for

    def on_receive(self, hook: Callable[[Received], None] | None) -> None:
        """Call ``hook`` with each accepted message, before the ``250``: a scripted
        correspondent (an autoresponder that answers into a Dovecot INBOX). None turns it off."""
        with self._cond:
            self._state.on_receive = hook

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self._credentials is not None
            and self._credentials.get(auth_data.login.decode(errors="replace"))
            == auth_data.password.decode(errors="replace")
        )
        # handled=False: let aiosmtpd answer "535 5.7.8 Authentication credentials invalid"
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
