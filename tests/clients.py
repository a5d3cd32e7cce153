"""Replies built the way real mail clients build them, for tests of what agents do.

Each function answers ``original`` (a message the client received) as its Reply button does: the
recipient is the original's Reply-To (else From), the subject gets the client's prefix, the
threading headers follow the client's habit, and the original is quoted in the client's style.
The shapes follow real replies of each client (the c-replies corpus in tests/data/corpus/ holds
real bodies from them): Gmail quotes with ``>`` under "On <date> <name> <addr> wrote:" and sends
an HTML part with a ``gmail_quote`` block; Outlook puts the original unquoted under a rule and a
From/Sent/To/Subject block, and adds Thread-Topic/Thread-Index; Apple Mail quotes with ``>`` under
"On <date>, at <time>, <name> <addr> wrote:" and sends format=flowed text.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from tests.mailgen import plain_text

DATE = "Tue, 01 Dec 2026 10:15:00 +0000"


def _base(original: EmailMessage, sender: str, domain: str, prefix: str = "Re: ") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = str(original.get("Reply-To") or original["From"])
    subject = str(original["Subject"])
    msg["Subject"] = subject if subject.lower().startswith(prefix.lower()) else prefix + subject
    msg["Date"] = DATE
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["In-Reply-To"] = str(original["Message-ID"])
    refs = str(original.get("References", "")).split()
    msg["References"] = " ".join([*refs, str(original["Message-ID"])])
    return msg


def _who(original: EmailMessage) -> tuple[str, str]:
    name, addr = parseaddr(str(original["From"]))
    return name or addr, addr


def gmail(
    original: EmailMessage, *, sender: str, body: str, headers: dict[str, str] | None = None
) -> bytes:
    msg = _base(original, sender, "mail.gmail.com")
    name, addr = _who(original)
    said = f"On Tue, Dec 1, 2026 at 10:00 AM {name} <{addr}> wrote:"
    quoted = "\n".join(f"> {line}" if line else ">" for line in plain_text(original).splitlines())
    msg.set_content(f"{body}\n\n{said}\n\n{quoted}\n")
    html_body = "".join(f"<div>{html.escape(line) or '<br>'}</div>" for line in body.splitlines())
    msg.add_alternative(
        f'<div dir="ltr">{html_body}</div><br><div class="gmail_quote"><div dir="ltr" '
        f'class="gmail_attr">{html.escape(said)}<br></div><blockquote class="gmail_quote" '
        'style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
        f"{html.escape(plain_text(original)).replace(chr(10), '<br>')}</blockquote></div>",
        subtype="html",
    )
    for key, value in (headers or {}).items():
        msg[key] = value
    return msg.as_bytes()


def outlook(
    original: EmailMessage, *, sender: str, body: str, headers: dict[str, str] | None = None
) -> bytes:
    msg = _base(original, sender, "EXCH01.example.com", prefix="RE: ")
    msg["Thread-Topic"] = str(original["Subject"])
    msg["Thread-Index"] = "AQHbRk1pZ2h0IGJlIGFueXRoaW5nIGF0IGFsbA=="
    name, addr = _who(original)
    block = (
        "________________________________\n"
        f"From: {name} <{addr}>\nSent: Tuesday, December 1, 2026 10:00 AM\n"
        f"To: {original['To']!s}\nSubject: {original['Subject']!s}\n\n"
    )
    msg.set_content(f"{body}\n\n{block}{plain_text(original)}\n")
    for key, value in (headers or {}).items():
        msg[key] = value
    return msg.as_bytes()


def apple_mail(
    original: EmailMessage, *, sender: str, body: str, headers: dict[str, str] | None = None
) -> bytes:
    msg = _base(original, sender, "icloud.com")
    name, addr = _who(original)
    quoted = "\n".join(f"> {line}" if line else ">" for line in plain_text(original).splitlines())
    msg.set_content(f"{body}\n\n> On 1 Dec 2026, at 10:00, {name} <{addr}> wrote:\n>\n{quoted}\n")
    msg.set_param("format", "flowed")
    for key, value in (headers or {}).items():
        msg[key] = value
    return msg.as_bytes()


CLIENTS = {"gmail": gmail, "outlook": outlook, "apple_mail": apple_mail}
