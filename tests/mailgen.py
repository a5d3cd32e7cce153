"""Hand-written realistic test mail, made in code so each test says what it sends."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid


def inquiry(
    sender: str = "Jane Doe <jane@example.org>",
    subject: str = "Question about your widgets",
    body: str = (
        "Hi,\n\nDo you ship the blue widget to Cape Town?\n\nThanks,\nJane\n+27 82 555 0123\n"
    ),
    *,
    to: str = "sales@example.com",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    when: datetime | None = None,
) -> bytes:
    """A person's mail; a non-ASCII address (``josé@…``) is written as an SMTPUTF8 client does."""
    utf8 = not f"{sender}{to}".isascii()
    msg = EmailMessage(policy=SMTPUTF8 if utf8 else default_policy)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="example.org")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def form_notification(
    visitor: str = "sam@example.net", name: str = "Sam Smith", site: str = "example.com"
) -> bytes:
    """A WordPress (Contact Form 7) notification from the business's own site, ``site``: the
    shipped rules.toml's ``[business] website`` and mailbox domain, so its sender is known."""
    body = (
        f"From: {name} <{visitor}>\nSubject: Pricing\n\nMessage Body:\n"
        "Could you send me a quote for 40 units?\n\n--\n"
        f"This e-mail was sent from a contact form on Acme Widgets (https://{site})\n"
    )
    return inquiry(
        sender=f"WordPress <wordpress@{site}>",
        subject="[Acme Widgets] Pricing",
        body=f"Your Name: {name}\nYour Email: {visitor}\nPhone: 082 555 0199\n\n{body}",
        headers={"Reply-To": f"{name} <{visitor}>", "Auto-Submitted": "auto-generated"},
    )


def bounce(failed: str = "x@example.net", returned_id: str | None = None) -> bytes:
    """A DSN reporting ``failed``; with ``returned_id``, it returns the headers of that message
    (a text/rfc822-headers part, as Postfix and Exchange send)."""
    returned = (
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: sales@example.com\r\n"
        f"To: {failed}\r\nMessage-ID: {returned_id}\r\nSubject: Re: your inquiry\r\n\r\n"
        if returned_id
        else ""
    )
    return (
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
        "To: sales@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example.org>\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; {failed}\r\n"
        f"Action: failed\r\nStatus: 5.1.1\r\n{returned}--b--\r\n"
    ).encode()


def out_of_office() -> bytes:
    return inquiry(
        sender="Bob <bob@example.org>",
        subject="Automatic reply: Your quote",
        body="I am out of the office until Monday.",
        headers={"Auto-Submitted": "auto-replied"},
    )


def mailing_list() -> bytes:
    return inquiry(
        sender="News <news@lists.example.org>",
        subject="Weekly digest",
        body="This week in widgets.",
        headers={"List-Id": "<widgets.lists.example.org>", "Precedence": "list"},
    )


def no_headers() -> bytes:
    return b"This is not a mail message at all.\r\nJust text.\r\n"


def plain_text(msg: EmailMessage) -> str:
    """The decoded text/plain body of ``msg`` (as a reader would see it); asserts there is one."""
    part = msg.get_body(("plain",))
    assert part is not None, "no text/plain part"
    text: str = part.get_content()
    return text.replace("\r\n", "\n")  # the wire's line ends, as a mail client shows them
