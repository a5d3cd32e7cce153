"""The new text of a reply, on real replies from many clients and languages
(tests/data/corpus/c-replies, copied from other projects' test suites; see SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_agent.mail.htmltext import html_to_text
from inbox_agent.mail.replies import languages_for, new_text, summary

REPLIES = Path(__file__).parent / "data" / "corpus" / "c-replies"
LOREM = "Fusce bibendum, quam hendrerit sagittis tempor"

# file: (a phrase the new text keeps, a phrase from the quoted history it must not keep)
EXPECTED: dict[str, tuple[str, str]] = {
    "alfonsrv__mail-parser-reply/email_danish_1.txt": ("Tak for din mail", ">"),
    "alfonsrv__mail-parser-reply/email_nl_1_1.txt": ("Hallo allemaal", "schreef"),
    "alfonsrv__mail-parser-reply/email_swedish_1.txt": ("Ursäkta mitt sena svar", "skrev"),
    "alfonsrv__mail-parser-reply/multiline_on_de.txt": ("Am heutigen Tage", "schrieb"),
    "closeio__quotequail/apple_reply.html": ("Foo", "wrote"),
    "closeio__quotequail/gmail_reply.html": ("foo", "wrote"),
    "crisp-oss__email-reply-parser/email_german_outlook.txt": (LOREM, "Ursprüngliche Nachricht"),
    "crisp-oss__email-reply-parser/email_gmail_split_line_from.txt": (LOREM, "wrote"),
    "crisp-oss__email-reply-parser/email_ios_outlook.txt": (LOREM, "From:"),
    "crisp-oss__email-reply-parser/email_ios_outlook_fr.txt": (LOREM, "De :"),
    "crisp-oss__email-reply-parser/email_msn.txt": (LOREM, "____"),
    "crisp-oss__email-reply-parser/email_norwegian_gmail.txt": (LOREM, "skrev"),
    "crisp-oss__email-reply-parser/email_outlook_split_line_from.txt": (LOREM, "Sent:"),
    "crisp-oss__email-reply-parser/email_russian.txt": (LOREM, "привет"),
    "crisp-oss__email-reply-parser/email_zoho.txt": ("clear a Riak bucket", "Java sucks"),
    "discourse__email_reply_trimmer/email_headers_1.txt": ("This is a reply from Outlook", "From:"),
    "discourse__email_reply_trimmer/embedded_email_1.txt": ("before the embedded email", "wrote"),
    "discourse__email_reply_trimmer/embedded_email_chinese.txt": (
        "Thank you for your reply",
        "写道",
    ),
    "discourse__email_reply_trimmer/embedded_email_french_1.txt": ("C'est super", "a écrit"),
    "discourse__email_reply_trimmer/embedded_email_german_1.txt": (
        "alright, no big deal",
        "schrieb",
    ),
    "willdurand__EmailReplyParser/email_w10_mail.txt": ("going for a test now", "From:"),
    "willdurand__EmailReplyParser/email_zimbra_free_en.txt": ("On this line is the issue", "wrote"),
    "willdurand__EmailReplyParser/email_zimbra_free_fr.txt": ("Le paragraphe qui pose", "a écrit"),
    "zapier__email-reply-parser/email_gmail.txt": ("This is a test for inbox replying", "wrote"),
    "zapier__email-reply-parser/email_headers_no_delimiter.txt": ("And another reply!", "From:"),
    "zapier__email-reply-parser/email_partial_quote_header.txt": (
        "telnet 127.0.0.1 52698",
        "wrote",
    ),
}
# Checked only to be non-empty and not to raise, with why: forwards (the forwarded mail is what
# the person sent us), an interleaved answer (no single "new text" exists), mail with no quote at
# all (Japanese, BlackBerry, iPhone), a disclaimer-only and a header-first sample.
OTHER = {
    "alfonsrv__mail-parser-reply/caution.txt",
    "alfonsrv__mail-parser-reply/email_ja_1_1.txt",
    "alfonsrv__mail-parser-reply/email_pl_1_1.txt",
    "alfonsrv__mail-parser-reply/outlook.txt",
    "closeio__quotequail/outlook_forward.html",
    "closeio__quotequail/thunderbird_forward.html",
    "discourse__email_reply_trimmer/forwarded_apple.txt",
    "discourse__email_reply_trimmer/forwarded_gmail.txt",
    "zapier__email-reply-parser/email_1_2.txt",
    "zapier__email-reply-parser/email_BlackBerry.txt",
    "zapier__email-reply-parser/email_iPhone.txt",
}


def body(name: str) -> str:
    text = (REPLIES / name).read_text(encoding="utf-8", errors="replace")
    return html_to_text(text) if name.endswith(".html") else text


def test_every_corpus_file_has_an_expectation() -> None:
    files = {str(p.relative_to(REPLIES)) for p in REPLIES.rglob("*") if p.is_file()}
    assert files == set(EXPECTED) | OTHER


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_new_text_above_the_quote(name: str) -> None:
    keep, drop = EXPECTED[name]
    text = new_text(body(name))
    assert keep in text
    assert drop not in text
    assert len(text) < len(body(name))


@pytest.mark.parametrize("name", sorted(OTHER))
def test_never_empty_never_raises(name: str) -> None:
    assert new_text(body(name)).strip()


def test_plain_mail_is_kept_as_is_and_summaries_are_one_line() -> None:
    assert (
        new_text("Hello,\r\nDo you ship to Cape Town?\r\n") == "Hello,\nDo you ship to Cape Town?"
    )
    assert summary("a\n  b\tc", limit=160) == "a b c"
    assert summary("x" * 500, limit=20).endswith("…") and len(summary("x" * 500, limit=20)) == 20


def test_languages_are_chosen_by_their_quote_words() -> None:
    assert languages_for("Am Montag schrieb Hans:") == ["en", "de"]
    assert languages_for("Thanks!") == ["en"]
