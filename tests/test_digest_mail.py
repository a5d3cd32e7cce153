"""The digest as mail: a ``Digest`` action carries its figures as plain data, and renders to a
multipart letter from the shared address, marked automatic, that reads well as text and HTML."""

from __future__ import annotations

import email
import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from inbox_agent.config import Settings
from inbox_agent.exceptions import TemplateError
from inbox_agent.records.prospect import Prospect
from inbox_agent.report.daily import digest
from inbox_agent.report.facts import Facts
from inbox_agent.rules import renderer
from inbox_agent.sending import actions, outbox
from inbox_agent.sending.actions import Digest, MailKind
from inbox_agent.sending.layout import glue, text_bar, text_table
from inbox_agent.sending.letters import Letter
from inbox_agent.sending.outbox import OutboxEntry
from tests import reportdata as rd

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 4, 5, 30, tzinfo=UTC)


def action(facts: Facts | None = None, to: str = "Owner@Acme.example") -> Digest:
    content = digest(facts or rd.facts(), rd.DAY, rd.NOW, rd.RULES)
    return Digest(rd.DAY.isoformat(), to.lower(), content)


def parts(letter: Letter) -> tuple[EmailMessage, str, str]:
    msg = email.message_from_bytes(letter.raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return msg, text.get_content(), html.get_content()


def test_one_key_per_date_and_recipient_and_a_round_trip_through_json() -> None:
    a = action()
    assert a.key == "digest:2026-12-03:owner@acme.example" and a.prospect_id is None
    assert (a.kind, a.auto_submitted, a.cause) == (MailKind.DIGEST, "auto-generated", None)
    stored = json.loads(json.dumps(outbox.to_dict(OutboxEntry(a, NOW))))
    assert outbox.from_dict(stored).action == a  # the content is plain data, JSON-safe


def test_the_letter_is_multipart_from_the_shared_address_marked_automatic(
    settings: Settings,
) -> None:
    letter = renderer(settings).render(action(), None, NOW)
    msg, text, html = parts(letter)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["From"].addresses[0].addr_spec == settings.mailbox.address
    assert str(msg["To"]) == "owner@acme.example" and letter.recipients == ("owner@acme.example",)
    assert msg["Auto-Submitted"] == "auto-generated" and msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Subject"] == ("Acme Widgets digest, Thu 3 Dec: 6 new, 4 waiting, 6 need a person")
    assert msg["In-Reply-To"] is None and letter.prospect_id is None
    assert msg[settings.classify.loop_header] == f"digest; {letter.key}"
    for section in ("NEW INQUIRIES", "SPEED TO LEAD", "INFORMATION WITHIN 72 H", "FOLLOW-UPS",
                    "WAITING FOR SOMEONE", "STAGE MOVES", "QUOTES AND SALES BY SOURCE",
                    "BY AGENT", "NEEDS A PERSON"):  # fmt: skip
        assert section in text
    assert '<a href="tel:+27821234567"' in html and "#13 Pat13 Lee" in html
    assert 'class="track"' in html  # bars are table cells: nothing to block


def test_a_resend_is_the_same_mail(settings: Settings) -> None:
    """Rendered again after a restart (the action read back from the store), the letter says
    the same, with the same Message-ID. (Once rendered, the outbox keeps its bytes: a resend
    after an ambiguous failure is byte for byte the same.)"""
    a = action()
    back = outbox.from_dict(json.loads(json.dumps(outbox.to_dict(OutboxEntry(a, NOW))))).action
    first, again = (
        renderer(settings).render(a, None, NOW),
        renderer(settings).render(back, None, NOW),
    )
    assert first.message_id == again.message_id
    assert parts(first)[1:] == parts(again)[1:]  # the same words; only the MIME boundary differs


def test_what_people_wrote_is_escaped_in_the_html(settings: Settings) -> None:
    base = rd.facts()
    evil = replace(base.prospects[2], name="<script>alert(1)</script>", surname="&amp;")
    facts = replace(base, prospects=(*base.prospects[:2], evil, *base.prospects[3:]))
    facts.__dict__.pop("courses", None)
    _, text, html = parts(renderer(settings).render(action(facts), None, NOW))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;" in html
    assert "#3 <script>alert(1)</script> &amp;" in text  # plain text is plain


def test_plain_text_tables_line_up() -> None:
    table = {
        "caption": "Revive calls",
        "headers": ["Agent", "Calls", "Share"],
        "align": "lrr",
        "rows": [
            {"cells": [{"text": "Alice", "href": ""}, {"text": "12", "href": ""},
                       {"text": "80%", "href": ""}], "bar": 80, "level": 0},
            {"cells": [{"text": "Zoë 陈", "href": ""}, {"text": "3", "href": ""},
                       {"text": "5%", "href": ""}], "bar": 5, "level": 1},
        ],
        "more": "… and 2 more",
    }  # fmt: skip
    assert text_table(table).splitlines() == [
        "Revive calls",
        "Agent     Calls  Share",
        "--------  -----  -----  ----------------",
        "Alice        12    80%  ████████████████",
        "  Zoë 陈      3     5%  █",
        "… and 2 more",
    ]
    assert text_table({"rows": [], "empty": "Nobody is waiting."}) == "Nobody is waiting."
    assert (text_bar(0), text_bar(100), text_bar(1)) == ("", "█" * 20, "█")
    assert glue("13 h 10 min, R 8,000") == "13\u00a0h 10\u00a0min, R\u00a08,000"


def test_an_older_template_folder_gets_the_shipped_digest(
    settings: Settings, tmp_path: Path
) -> None:
    """A folder written by ``init`` before the digest existed has no digest templates: the
    shipped ones are used, never a digest stuck on a missing file."""
    old = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", old)
    for name in old.glob("digest.*"):
        name.unlink()
    older = replace(settings, acknowledgment=replace(settings.acknowledgment, templates=old))
    _, text, _ = parts(renderer(older).render(action(), None, NOW))
    assert "SPEED TO LEAD" in text


def test_a_broken_digest_template_is_an_error_before_anything_is_sent(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    (folder / "digest.txt.j2").write_text("{{ titel }}")
    broken = replace(settings, acknowledgment=replace(settings.acknowledgment, templates=folder))
    with pytest.raises(TemplateError, match="titel"):
        renderer(broken).render(action(), None, NOW)


def test_other_mail_still_needs_its_record(settings: Settings) -> None:
    ack = actions.Acknowledge(1, "jane@example.org")
    with pytest.raises(Exception, match="record is missing"):
        renderer(settings).render(ack, None, NOW)
    assert isinstance(rd.prospects()[0], Prospect)
