"""Every error inbox-agent raises on purpose, in one tree.

Library errors (imaplib, smtplib, OSError, tinydb, jinja2) are translated into these at the seam
that calls the library, so the rest of the program never catches a foreign exception::

    InboxAgentError
    ├── ConfigError             the config file is missing or wrong (exit 2); lists every problem
    ├── UsageError              a command was called wrongly (exit 2)
    ├── StoreError              the prospect store cannot be read or written
    │   ├── StoreLockedError    another process holds the store
    │   └── StoreCorruptError   the store file is not what we wrote
    ├── MailboxError            the IMAP side failed
    │   ├── MailboxAuthError        login refused: permanent until the config changes
    │   └── MailboxConnectionError  network, timeout, BYE: temporary, reconnect
    ├── ParseError              one message cannot be read (it goes to quarantine)
    ├── SpamdError              spamd could not be asked (the mail goes on without its verdict)
    ├── TemplateError           a mail template is missing or broken
    ├── LetterError             one letter cannot be built (its address, its encoding)
    └── SendError               the SMTP side failed
        ├── TemporarySendError  4xx: retry with backoff
        │   └── SmtpUnavailableError  the server cannot be reached: nothing more this round
        ├── AmbiguousSendError  the server may have accepted it (timeout after DATA)
        └── PermanentSendError  5xx: recorded, never retried

``cli.main`` is the one place that maps these to messages and exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class InboxAgentError(Exception):
    """Base of every inbox-agent error."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the config: where and what."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class ConfigError(InboxAgentError):
    """The configuration is invalid; ``problems`` lists every problem found."""

    exit_code = 2

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(InboxAgentError):
    """A command was called with arguments that make no sense."""

    exit_code = 2


class StoreError(InboxAgentError):
    """The prospect store cannot be read or written."""


class StoreLockedError(StoreError):
    """Another process already has the store open for writing."""


class StoreCorruptError(StoreError):
    """The store file is unreadable."""


class MailboxError(InboxAgentError):
    """The IMAP server or the connection to it failed."""


class MailboxAuthError(MailboxError):
    """The IMAP server refused our login."""


class MailboxConnectionError(MailboxError):
    """The connection failed or dropped; trying again later may work."""


class ParseError(InboxAgentError):
    """A message could not be parsed."""


class SpamdError(InboxAgentError):
    """SpamAssassin's spamd could not be reached or answered something we cannot read."""


class TemplateError(InboxAgentError):
    """A mail template is missing or cannot be rendered."""


class LetterError(InboxAgentError):
    """One letter cannot be built for its recipient: that entry fails alone, for good."""


class SendError(InboxAgentError):
    """Sending mail failed."""


class TemporarySendError(SendError):
    """The SMTP server refused for now (4xx, connection refused): retry later."""


class SmtpUnavailableError(TemporarySendError):
    """The SMTP server cannot be reached at all; no point trying the next message now."""


class AmbiguousSendError(SendError):
    """The server may or may not have accepted the message: resend with the same Message-ID."""


class PermanentSendError(SendError):
    """The SMTP server refused for good (5xx)."""
