"""The SMTP seam: hands one finished message to the SMTP server, and says how it went.

Outcomes map to the project's errors: 4xx replies and connections that fail before the message
was handed over are ``TemporarySendError`` (retry with backoff); 5xx replies are
``PermanentSendError`` (recorded, never retried); a timeout or dropped connection *after* the
message body went out is ``AmbiguousSendError`` — the server may have accepted it, so it is
resent with the same Message-ID. TLS is verified by default. Only this module imports smtplib.
"""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Iterator, Sequence
from typing import Protocol

from inbox_agent.config import SmtpSettings, secret
from inbox_agent.exceptions import (
    AmbiguousSendError,
    PermanentSendError,
    SmtpUnavailableError,
    TemporarySendError,
)
from inbox_agent.tls import tls_context


class Courier(Protocol):
    def send(
        self, sender: str, recipients: Sequence[str], raw: bytes, *, smtputf8: bool = False
    ) -> None: ...


def _coded(code: int, text: str) -> TemporarySendError | PermanentSendError:
    return PermanentSendError(text) if 500 <= code < 600 else TemporarySendError(text)


class SmtpCourier:
    """One SMTP connection per send: simple, and no stale connection between quiet hours."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = tls_context(s.ca_file)
        if s.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout_s, context=context
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
            if s.security == "starttls":
                client.starttls(context=context)
        if s.username:
            client.login(s.username, secret(s.password_env))
        return client

    @property
    def where(self) -> str:
        return f"SMTP {self.settings.host}:{self.settings.port}"

    @contextlib.contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        """A connected, logged-in client, always closed afterwards."""
        try:
            client = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentSendError(f"{self.where}: login refused ({exc.smtp_code})") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpUnavailableError(f"{self.where}: cannot connect: {exc}") from exc
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.quit()
            with contextlib.suppress(Exception):
                client.close()

    def check(self) -> None:
        """Connect, log in and greet, sending nothing (``inbox-agent check``)."""
        with self._session() as client:
            try:
                client.ehlo_or_helo_if_needed()
            except (OSError, smtplib.SMTPException) as exc:
                raise SmtpUnavailableError(f"{self.where}: no greeting: {exc}") from exc

    def send(
        self, sender: str, recipients: Sequence[str], raw: bytes, *, smtputf8: bool = False
    ) -> None:
        """Hand one message over. ``smtputf8``: an address needs RFC 6531; a server that does
        not offer it refuses this message for good (other mail is not affected)."""
        with self._session() as client:
            self._transact(client, sender, recipients, raw, self.where, smtputf8)

    @staticmethod
    def _transact(
        client: smtplib.SMTP, sender: str, recipients: Sequence[str], raw: bytes, where: str,
        smtputf8: bool,
    ) -> None:  # fmt: skip
        try:
            client.ehlo_or_helo_if_needed()
            if smtputf8 and not client.has_extn("smtputf8"):
                raise PermanentSendError(
                    f"{where}: the server does not offer SMTPUTF8 (RFC 6531), which "
                    f"{', '.join(recipients)} needs"
                )
            code, reply = client.mail(sender, ["SMTPUTF8"] if smtputf8 else [])
            if code != 250:
                raise _coded(code, f"{where}: sender refused: {code} {reply!r}")
            for rcpt in recipients:
                code, reply = client.rcpt(rcpt)
                if code not in (250, 251):
                    raise _coded(code, f"{where}: recipient {rcpt} refused: {code} {reply!r}")
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise TemporarySendError(f"{where}: connection lost before sending: {exc}") from exc
        except UnicodeEncodeError as exc:  # an address smtplib cannot put on the wire
            raise PermanentSendError(f"{where}: an address cannot be sent: {exc}") from exc
        try:
            code, reply = client.data(raw)
        except smtplib.SMTPDataError as exc:
            raise _coded(exc.smtp_code, f"{where}: message refused: {exc.smtp_code}") from exc
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise AmbiguousSendError(
                f"{where}: no answer after the message was sent: {exc}"
            ) from exc
        if code != 250:
            raise _coded(code, f"{where}: message refused: {code} {reply!r}")
