"""Templates and headers: safe by construction."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

from inbox_agent.exceptions import TemplateError
from inbox_agent.records.prospect import Prospect
from inbox_agent.sending.actions import MailKind
from inbox_agent.sending.letters import Identity, Templates, build, clean_header, reply_subject

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ME = Identity("sales@example.com", "Acme Sales")


def prospect(
    *, name: str = "Jane", subject: str = "Blue widgets", question: str = "Do you ship?"
) -> Prospect:
    return Prospect(
        id=7, email="jane@example.org", created_at=NOW, name=name, surname="Doe",
        subject=subject, question=question,
    )  # fmt: skip


def context(p: Prospect) -> dict[str, object]:
    return {
        "business": {"name": "Acme Widgets"},
        "prospect": {"name": p.name, "surname": p.surname, "question": p.question},
        "agent": None, "next_step": "We will call you.", "within_hours": 24, "reference": "IA-7",
    }  # fmt: skip


def test_header_injection_is_neutralised() -> None:
    assert clean_header("Hi\r\nBcc: victim@example.net") == "Hi Bcc: victim@example.net"
    assert len(clean_header("x" * 1000)) == 180
    assert reply_subject("RE: quote") == "RE: quote"
    assert reply_subject("quote\n") == "Re: quote"
    assert reply_subject("") == "Re: your inquiry"


def test_acknowledgment_headers_threading_and_loop_marks() -> None:
    p = prospect(name="Jane\r\nBcc: x@evil.example", subject="Blue\r\nBcc: x@evil.example")
    text, html = Templates(ROOT / "templates").render("acknowledgment", context(p))
    letter = build(
        key="7:ack", kind=MailKind.ACKNOWLEDGMENT, prospect=p, identity=ME,
        subject=reply_subject(p.subject), text=text, html=html, now=NOW,
        in_reply_to=["inq-1@example.org"],
    )  # fmt: skip
    msg = email.message_from_bytes(letter.raw, policy=policy.default)
    [to] = msg["To"].addresses
    assert to.addr_spec == "jane@example.org" and "\n" not in to.display_name
    assert "Bcc" not in msg and letter.recipients == ("jane@example.org",)
    assert msg["Subject"] == "Re: Blue Bcc: x@evil.example"
    assert msg["In-Reply-To"] == "<inq-1@example.org>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Inbox-Agent"].startswith("acknowledgment")
    assert msg["Reply-To"] == "sales@example.com"
    assert msg["Message-ID"] == letter.message_id
    # deterministic: the same key and record always give the same Message-ID
    again = build(key="7:ack", kind=MailKind.ACKNOWLEDGMENT, prospect=p, identity=ME,
                  subject="s", text="t", html=None, now=NOW)  # fmt: skip
    assert again.message_id == letter.message_id


def test_html_is_autoescaped_and_user_text_is_not_template_code() -> None:
    p = prospect(question="<script>alert(1)</script> {{ 7*7 }}")
    text, html = Templates(ROOT / "templates").render("acknowledgment", context(p))
    assert html is not None and "<script>" not in html and "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in text and "49" not in text


def test_override_by_interest(tmp_path: Path) -> None:
    p = prospect()
    text, _ = Templates(ROOT / "templates").render("acknowledgment", context(p), interest="quote")
    assert "quote" in text


def test_template_errors_are_clear(tmp_path: Path) -> None:
    (tmp_path / "acknowledgment.txt.j2").write_text("Hello {{ prospect.nmae }}")
    with pytest.raises(TemplateError, match=r"acknowledgment\.txt\.j2"):
        Templates(tmp_path).render("acknowledgment", context(prospect()))
    with pytest.raises(TemplateError, match="no template"):
        Templates(tmp_path).render("nothing", {})


def test_a_template_in_the_prospects_language_wins_text_and_html_together() -> None:
    templates = Templates(ROOT / "templates")
    context = {
        "business": {"name": "Acme"},
        "prospect": {"name": "Ana", "question": "¿Precio?"},
        "agent": None,
        "next_step": "We will call.",
        "reference": "IA-1",
    }
    text, html = templates.render(
        "acknowledgment", context, source="email", interest="quote", language="es"
    )
    assert text.startswith("Hola, Ana:") and html is not None and 'lang="es"' in html
    english, _ = templates.render("acknowledgment", context, source="email", interest="quote")
    assert english.startswith("Hello Ana,") and "for a quote" in english
    quote_text, quote_html = templates.render("acknowledgment", context, interest="quote")
    assert quote_html is not None and "for a quote" in quote_text and "for a quote" in quote_html
    assert templates.render("acknowledgment", context, language="xx")[0].startswith("Hello")
