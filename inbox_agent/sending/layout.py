"""Pages of figures — the daily digest, the monthly review — laid out from their plain data.
Pure.

The templates (``digest.*.j2``, ``report.*.j2``: owner-editable, HTML autoescaped) get the
page's data (``report.present`` describes its tables) and helpers: for the plain-text part
``table(t)``, the table aligned in columns (sub-rows indented, a text bar where the row has
one), and ``bar(n)``, a bar of ``n`` percent; for the HTML part ``glue(text)``, which keeps a
number with its unit (``25 min``) so a narrow column breaks between figures, not inside one.
Widths count wide characters (CJK) as two columns and combining marks as none, so the columns
line up in a monospaced font.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from inbox_agent.sending.letters import Templates

BAR_WIDTH = 20  # characters of a full (100 %) text bar
BLOCK = "\u2588"  # a full block
_UNIT = re.compile(r"(?<=\d) (?=(?:s|min|h|d)\b)")  # 25 min
_MONEY = re.compile(r"(?<!\w)([A-Z]{1,3}\$?|[$\u00a3\u00a5\u20ac\u20b9]) (?=\d)")  # R 8,000, € 300


def width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font."""
    total = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def _pad(text: str, columns: int, right: bool) -> str:
    gap = " " * max(0, columns - width(text))
    return gap + text if right else text + gap


def text_bar(percent: object, size: int = BAR_WIDTH) -> str:
    """``percent`` (0 to 100) as a row of blocks; one block at least for anything above 0."""
    value = float(percent) if isinstance(percent, int | float) else 0.0
    if value <= 0:
        return ""
    return BLOCK * max(1, round(value / 100 * size))


def text_table(t: Mapping[str, Any]) -> str:
    """One table of the page data, aligned for a plain-text mail."""
    rows = t.get("rows") or []
    lines: list[str] = [str(t["caption"])] if t.get("caption") else []
    if rows:
        headers = [str(h) for h in t["headers"]]
        align = str(t.get("align", ""))
        bars = any(r.get("bar") is not None for r in rows)
        body = []
        for r in rows:
            cells = [str(c["text"]) for c in r["cells"]]
            if cells and r.get("level"):
                cells[0] = "  " + cells[0]
            if bars:
                cells.append(text_bar(r.get("bar")))
            body.append(cells)
        if bars:
            headers.append("")
        columns = len(headers)
        widths = [max(width(row[i]) for row in [headers, *body]) for i in range(columns)]
        right = [i < len(align) and align[i] == "r" for i in range(columns)]
        for cells in [headers, *body]:
            padded = [_pad(c, w, r) for c, w, r in zip(cells, widths, right, strict=True)]
            lines.append("  ".join(padded).rstrip())
            if cells is headers:
                lines.append("  ".join("-" * w for w in widths).rstrip())
    elif t.get("empty"):
        lines.append(str(t["empty"]))
    if t.get("more"):
        lines.append(str(t["more"]))
    return "\n".join(lines)


def glue(text: object) -> str:
    """``1 h 25 min``, ``R 8,000``: no-break spaces between each number and its unit."""
    return _MONEY.sub("\\1\u00a0", _UNIT.sub("\u00a0", str(text)))


def page(templates: Templates, name: str, data: Mapping[str, Any]) -> tuple[str, str | None]:
    """(plain text, HTML or None) of the page ``name`` (``digest``, ``report``) for ``data``."""
    context = {**data, "table": text_table, "bar": text_bar, "glue": glue}
    return templates.render(name, context)
