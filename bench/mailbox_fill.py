"""A realistic backlog for the benchmarks: inquiries of every source plus robots from the corpus."""

from __future__ import annotations

import re
from pathlib import Path

from imapclient import IMAPClient

from tests import mailgen

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus"
FORMS = ROOT / "tests" / "data" / "handmade" / "forms"


_PERSON = re.compile(rb"([A-Za-z0-9._%+-]+)@((?:[A-Za-z0-9-]+\.)*example(?:\.(?:com|org|net))?)\b")


def unique_visitor(raw: bytes, n: int) -> bytes:
    """The same form notification from a different visitor: every address at an example domain
    outside the From line gets a suffix, so a backlog is not 15 people writing 40 times each."""
    head, sep, body = (
        raw.partition(b"\n\n") if b"\r\n\r\n" not in raw else raw.partition(b"\r\n\r\n")
    )
    lines = [
        line if line.lower().startswith(b"from:") else _PERSON.sub(rb"\1.v%d@\2" % n, line)
        for line in head.split(b"\n")
    ]
    return b"\n".join(lines) + sep + _PERSON.sub(rb"\1.v%d@\2" % n, body)


def backlog(count: int) -> list[bytes]:
    """``count`` messages: about 70 % inquiries (direct mail and form notifications) and 30 %
    robots (real bounces, auto-replies and list mail from the corpus)."""
    robots = [
        p.read_bytes()
        for d in ("a-bounces", "b-auto-replies", "f-mailing-lists")
        for p in sorted((CORPUS / d).rglob("*"))
        if p.is_file() and "is-not-bounce" not in p.name
    ]
    forms = [p.read_bytes() for p in sorted(FORMS.glob("*.eml"))] if FORMS.is_dir() else []
    out: list[bytes] = []
    for i in range(count):
        if i % 10 in (3, 6, 9):
            raw = robots[i % len(robots)]
        elif forms and i % 10 in (1, 5):
            raw = unique_visitor(forms[i % len(forms)], i)
        else:
            raw = mailgen.inquiry(
                sender=f"Person {i} <person{i}@example.net>",
                subject=f"Question about widgets #{i}",
                body=(
                    f"Hello,\n\nWe are looking for {i % 50 + 1} blue widgets for our office in "
                    "Cape Town. Could you send prices and delivery times?\n\nKind regards,\n"
                    f"Person {i}\nWidget Buyers Ltd\n+27 21 555 {i % 10000:04d}\n"
                ),
            )
        out.append(raw)
    return out


def fill(client: IMAPClient, messages: list[bytes], folder: str = "INBOX") -> None:
    for raw in messages:
        client.append(folder, raw)
