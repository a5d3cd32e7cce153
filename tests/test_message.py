"""Parsing: addresses cannot be forged through encoded-words; broken mail never crashes."""

from __future__ import annotations

import pytest

from inbox_agent.exceptions import ParseError
from inbox_agent.mail.message import parse_message


def test_encoded_word_cannot_smuggle_an_address() -> None:
    raw = (
        b"From: =?utf-8?q?John=0D=0ABcc=3A_x=40y.example?= <john@example.org>\r\n"
        b"To: sales@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
    )
    msg = parse_message(raw)
    assert msg.from_ is not None and msg.from_.email == "john@example.org"
    assert "\n" not in msg.from_.name


def test_encoded_display_names_are_decoded() -> None:
    raw = b"From: =?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@example.org>\r\nSubject: x\r\n\r\nb\r\n"
    msg = parse_message(raw)
    assert msg.from_ is not None and msg.from_.name == "José Pérez"


def test_raw_utf8_headers_are_read_as_text() -> None:
    raw = "From: a@example.org\r\nSubject: メールエラー通知\r\n\r\nb\r\n".encode()
    assert parse_message(raw).subject == "メールエラー通知"


def test_bom_and_mbox_separator_are_dropped() -> None:
    raw = b"\xef\xbb\xbfFrom someone Mon Jan  1 00:00:00 2024\r\nFrom: a@example.org\r\n\r\nb\r\n"
    assert parse_message(raw).from_ is not None


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"just text, no headers\r\n"])
def test_unusable_mail_raises_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError):
        parse_message(raw)


def test_html_only_form_reads_as_label_value_lines() -> None:
    raw = (
        b"From: forms@example.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<table><tr><td>Name:</td><td>Sam</td></tr><tr><th>Email</th><td>s@x.example</td></tr>"
        b"</table><script>evil()</script>"
    )
    assert parse_message(raw).text == "Name: Sam\nEmail: s@x.example"
