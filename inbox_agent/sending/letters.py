"""Letters: the mail inbox-agent writes, rendered from Jinja2 templates with safe headers.

A ``Letter`` is one outgoing message, complete and ready for the outbox: its idempotency ``key``
(``<prospect>:ack``), a deterministic Message-ID (a resend after an ambiguous failure carries the
same one, so mail clients collapse the duplicate), envelope addresses and the raw bytes.
International addresses are served properly (``mail_address``): the domain in IDNA, and a
non-ASCII local part in a message built for SMTPUTF8 (RFC 6531), which the sender must then ask
the server for. A letter that cannot be built raises ``LetterError``: that one entry fails.
Templates are sandboxed, use ``StrictUndefined`` and autoescape HTML; whatever a prospect wrote
reaches them only as data, and reaches headers only after sanitising.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import idna
import jinja2
from jinja2.sandbox import SandboxedEnvironment

from inbox_agent.exceptions import LetterError, TemplateError
from inbox_agent.records.prospect import Prospect
from inbox_agent.sending.actions import MailKind

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
MESSAGE_ID_PREFIX = "ia."  # classify recognises our own mail by it
SUBJECT_MAX = 180


@dataclass(frozen=True)
class Letter:
    key: str
    message_id: str  # with angle brackets
    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    kind: MailKind
    prospect_id: int | None  # None: mail about no one record (the digest)
    smtputf8: bool = False  # a recipient's local part is not ASCII: send with SMTPUTF8


@dataclass(frozen=True)
class Identity:
    """Who our mail is from."""

    address: str
    display_name: str
    loop_header: str = "X-Inbox-Agent"

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


def clean_header(text: str, limit: int = SUBJECT_MAX) -> str:
    """User text made safe for a header: no control characters (CR/LF), bounded length."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def reply_subject(subject: str) -> str:
    subject = clean_header(subject)
    if not subject:
        return "Re: your inquiry"
    return subject if re.match(r"(?i)^(re|aw|sv|antw|rif|r)\s*:", subject) else f"Re: {subject}"


def message_id_for(key: str, prospect: Prospect | None, domain: str) -> str:
    """Deterministic per (key, record): the same letter always gets the same Message-ID."""
    seed = f"{key}|{prospect.email}|{prospect.created_at.isoformat()}" if prospect else key
    digest = hashlib.sha256(seed.encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9.-]", ".", key)
    return f"<{MESSAGE_ID_PREFIX}{slug}.{digest}@{domain}>"


class Templates:
    """The template folder: picks the most specific override and renders safely."""

    def __init__(self, folder: Path, fallback: Templates | None = None) -> None:
        self.folder = folder
        # a mail this folder has no template for at all is written from ``fallback`` (the
        # shipped templates): a folder made by an older ``init`` lacks the newer mails
        self.fallback = fallback
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=lambda name: bool(name and name.endswith(".html.j2")),
            keep_trailing_newline=True,
        )

    def stems(self, name: str, source: str, interest: str, language: str) -> list[str]:
        """Template names, most specific first: the prospect's language before the default
        one, then source and interest together, source, interest, the plain name."""
        specific = [f"{name}.{source}.{interest}", f"{name}.{source}", f"{name}.{interest}", name]
        specific = [s for s in specific if ".." not in s and not s.endswith(".")]
        found = [f"{s}.{language}" for s in specific] if language else []
        return list(dict.fromkeys([*found, *specific]))

    def render(
        self, name: str, context: Mapping[str, Any], *, source: str = "", interest: str = "",
        language: str = "",
    ) -> tuple[str, str | None]:  # fmt: skip
        """(plain text, HTML or None), from the most specific template that exists: its text
        and, when it has one, its HTML (never the HTML of another, so the two parts say the same
        thing). Raises TemplateError before anything is sent."""
        stems = self.stems(name, source, interest, language)
        for stem in stems:
            text_t = self._get(f"{stem}.txt.j2")
            if text_t is not None:
                html_t = self._get(f"{stem}.html.j2")
                html = self._render(html_t, context) if html_t is not None else None
                return self._render(text_t, context), html
        if self.fallback is not None and any(self.fallback.has(s) for s in stems):
            return self.fallback.render(
                name, context, source=source, interest=interest, language=language
            )
        raise TemplateError(f"no template {name!r} in {self.folder}")  # nor among the shipped

    def _get(self, file: str) -> jinja2.Template | None:
        try:
            return self.env.get_template(file)
        except jinja2.TemplateNotFound:
            return None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template {exc.name}:{exc.lineno}: {exc.message}") from exc

    def has(self, name: str) -> bool:
        """Whether the folder holds the plain-text template ``name`` (``NAME.txt.j2``)."""
        return (self.folder / f"{name}.txt.j2").is_file()

    @staticmethod
    def _render(template: jinja2.Template, context: Mapping[str, Any]) -> str:
        try:
            return template.render(context)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template {template.name}: {exc}") from exc


def reply_link(prospect: Prospect, shared: str, subject: str, in_reply_to: str, words: str) -> str:
    """A ``mailto:`` link (RFC 6068) that opens, in any mail client, an answer to the prospect
    with the shared mailbox in Cc, threaded to their message, quoting only their own words."""
    quoted = "\n".join(f"> {line}" for line in words.strip().splitlines()[:40])
    fields = {
        "cc": shared,
        "subject": reply_subject(subject),
        "in-reply-to": f"<{in_reply_to.strip('<>')}>" if in_reply_to else "",
        "body": f"\n\n{quoted}\n" if quoted else "",
    }
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items() if v)
    return f"mailto:{quote(prospect.email, safe='@')}?{query}"


def unsubscribe_token(p: Prospect) -> str:
    """A short token tying an unsubscribe mail to this record (in the List-Unsubscribe link)."""
    return hashlib.sha256(f"unsubscribe|{p.id}|{p.email}|{p.created_at.isoformat()}".encode()
                          ).hexdigest()[:12]  # fmt: skip


def list_unsubscribe(p: Prospect, shared: str, marker: str) -> str:
    """RFC 2369 List-Unsubscribe: a mail to the shared mailbox naming the record and token."""
    subject = quote(f"unsubscribe {marker} {unsubscribe_token(p)}", safe="")
    return f"<mailto:{shared}?subject={subject}>"


def prospect_context(p: Prospect) -> dict[str, Any]:
    return {
        "name": p.name, "surname": p.surname, "email": p.email, "phone": p.phone,
        "company": p.company, "source": p.source, "interest": p.interest,
        "question": p.question, "subject": p.subject, "id": p.id,
        "phone_raw": p.phone_raw, "sub_source": p.sub_source, "form": p.form,
    }  # fmt: skip


def mail_address(address: str) -> tuple[str, bool]:
    """``address`` as it goes into headers and the SMTP envelope: the domain in IDNA, the local
    part as it is; and whether that local part needs SMTPUTF8 (RFC 6531)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain or any(c in address for c in "\r\n<>"):
        raise LetterError(f"not a mail address: {address!r}")
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise LetterError(
                f"{address}: the domain is not a valid international name: {exc}"
            ) from exc
    return f"{local}@{domain.lower()}", not local.isascii()


def _address(display: str, address: str) -> HeaderAddress:
    local, _, domain = address.rpartition("@")
    return HeaderAddress(display_name=display, username=local, domain=domain)


def build(
    *,
    key: str,
    kind: MailKind,
    prospect: Prospect | None,
    identity: Identity,
    subject: str,
    text: str,
    html: str | None,
    now: datetime,
    in_reply_to: Sequence[str] = (),
    auto_submitted: str | None = "auto-replied",
    to: str | None = None,
    to_name: str | None = None,
    from_name: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Letter:
    """Assemble the message: From/Reply-To the shared address, threaded, marked as automatic
    (``auto_submitted`` None: a person's words we pass on, not our robot's)."""
    try:
        return _build(
            key, kind, prospect, identity, subject, text, html, now, in_reply_to,
            auto_submitted, to, to_name, from_name, headers or {},
        )  # fmt: skip
    except (ValueError, TypeError, UnicodeError, LookupError) as exc:  # the email package's
        raise LetterError(f"{key}: the letter cannot be built: {exc}") from exc


def _build(
    key: str, kind: MailKind, prospect: Prospect | None, identity: Identity, subject: str,
    text: str,
    html: str | None, now: datetime, in_reply_to: Sequence[str], auto_submitted: str | None,
    to: str | None, to_name: str | None, from_name: str | None, headers: Mapping[str, str],
) -> Letter:  # fmt: skip
    message_id = message_id_for(key, prospect, identity.domain)
    if not to and prospect is None:
        raise LetterError(f"{key}: a letter about no record needs a recipient")
    recipient, utf8 = mail_address(to or (prospect.email if prospect else ""))
    policy = SMTPUTF8 if utf8 else SMTP
    msg = EmailMessage(policy=policy)
    sender = from_name if from_name is not None else identity.display_name
    msg["From"] = _address(clean_header(sender, 80), identity.address)
    named = f"{prospect.name} {prospect.surname}" if prospect else ""
    display = clean_header(to_name if to_name is not None else named, 80)
    msg["To"] = _address(display, recipient)
    msg["Reply-To"] = identity.address
    msg["Subject"] = clean_header(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    refs = [f"<{m.strip('<>')}>" for m in in_reply_to if m]
    if refs:
        msg["In-Reply-To"] = refs[-1]
        msg["References"] = " ".join(refs)
    if auto_submitted is not None:
        msg["Auto-Submitted"] = auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg[identity.loop_header] = f"{kind}; {key}"
    for name, value in headers.items():  # ours (List-Unsubscribe): never a prospect's text
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return Letter(
        key=key,
        message_id=message_id,
        sender=identity.address,
        recipients=(recipient,),
        raw=msg.as_bytes(policy=policy),
        kind=kind,
        prospect_id=prospect.id if prospect else None,
        smtputf8=utf8,
    )
