"""HTML to plain text, for mail that has no text part.

Block elements become line breaks; a table row of exactly two cells becomes ``label: value`` so that
HTML form notifications read like their plain-text twins. Scripts and styles are dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    [
        "p",
        "div",
        "br",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "section",
        "article",
        "header",
        "footer",
        "hr",
        "pre",
    ]
)
_SKIP = frozenset({"script", "style", "head", "title"})


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._cells: list[list[str]] | None = None
        self._skip = 0

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._current)).strip()
        self._current = []
        if self._cells is not None:
            if text:
                self._cells[-1].append(text) if self._cells else self._cells.append([text])
            return
        if text:
            self.lines.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # nothing skipped reaches into the body (a stray second <head>)
            self._skip = 0
        elif tag in _SKIP:
            self._skip += 1
        elif tag == "tr":
            self._flush()
            self._cells = []
        elif tag in ("td", "th") and self._cells is not None:
            self._flush()
            self._cells.append([])
        elif tag in _BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._flush()
        elif tag == "tr" and self._cells is not None:
            self._flush()
            cells = [" ".join(c) for c in self._cells if c]
            self._cells = None
            if len(cells) == 2:
                label = cells[0].rstrip(":").strip()
                self.lines.append(f"{label}: {cells[1]}")
            elif cells:
                self.lines.append(" ".join(cells))
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._current.append(data)

    def text(self) -> str:
        self._flush()
        if self._cells:
            self.lines.append(" ".join(" ".join(c) for c in self._cells if c))
        return "\n".join(self.lines)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body; never raises on broken markup."""
    converter = _Converter()
    try:
        converter.feed(html)
        converter.close()
    except Exception:  # pragma: no cover - HTMLParser is lenient; belt and braces
        return re.sub(r"<[^>]+>", " ", html)
    return converter.text()
