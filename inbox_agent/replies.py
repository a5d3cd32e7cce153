"""The new text of a reply: what the person wrote above the quoted history.

Uses the maintained ``mail-parser-reply`` library (quote headers and signatures in a dozen
languages); then drops any ``>``-quoted lines that remain. Never raises.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from mailparser_reply import EmailReplyParser

logging.getLogger("mailparser_reply").setLevel(logging.ERROR)

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs", "ja", "zh", "ko")
_QUOTED = re.compile(r"(?m)^[ \t]*>.*\n?")


def new_text(body: str, languages: Sequence[str] = LANGUAGES) -> str:
    try:
        text = EmailReplyParser(languages=list(languages)).parse_reply(body) or ""
    except Exception:  # a library bug must not lose the message: fall back to the plain text
        text = body
    return _QUOTED.sub("", text).strip()


def summary(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
