"""Real servers on loopback for tests: a private Dovecot 2.3 (IMAP) and an aiosmtpd receiver (SMTP).

Vocabulary: a *scratch dir* is one private folder per Dovecot instance (config, users, maildirs,
logs); a *receiver* is the SMTP server that keeps every envelope it accepts.

Both are plain classes; only `require_dovecot` speaks pytest (skip locally, fail in CI).
`tests/conftest.py` turns them into fixtures.
"""

from .dovecot import Dovecot, DovecotError, MailboxUser, dovecot_version, require_dovecot
from .smtp import Received, SmtpReceiver

__all__ = [
    "Dovecot",
    "DovecotError",
    "MailboxUser",
    "Received",
    "SmtpReceiver",
    "dovecot_version",
    "require_dovecot",
]
