"""Figures as people read them, and the plain data the templates lay out. Pure.

The templates (``digest.*.j2``, ``report.*.j2``) get plain data only — strings, numbers, lists
and dicts, the same after a trip through JSON — so that a digest stored in the outbox renders
the same mail after a restart. Vocabulary of that data:

- a *cell* is ``{"text": …, "href": …}`` (``href`` "" or a ``tel:`` link);
- a *row* is ``{"cells": [cell…], "bar": 0 to 100 or None, "level": 0|1, "strong": bool}``:
  ``bar`` draws a bar of that length, ``level`` 1 is a sub-row (a sub-source under its source);
- a *table* is ``{"caption": …, "headers": […], "align": "lrr…", "rows": […], "empty": …,
  "more": …}``: ``caption`` ("" or a line above it), ``empty`` said when there are no rows,
  ``more`` when rows were left out;
- a *section* is ``{"id": …, "title": …, "intro": …, "tables": [table…]}``.

Every record named carries its number (``#12``): ``inbox-agent show 12`` finds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from inbox_agent.records.prospect import Prospect

Data = dict[str, Any]
DASH = "\u2013"  # an en dash: nothing to show


def duration(value: timedelta | None) -> str:
    """``42 s``, ``3 min``, ``1 h 05 min``, ``26 h``, ``3.5 d``; a dash for nothing."""
    if value is None:
        return DASH
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    return f"{seconds / 86400:.1f} d"


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else DASH


def share_text(part: int, whole: int) -> str:
    """``4 of 5 (80%)``; a dash when there was nothing to count."""
    return f"{part} of {whole} ({percent(part, whole)})" if whole else DASH


def bar(value: float, top: float) -> int:
    """A bar length 0 to 100 for ``value`` against ``top``; at least 2 for anything above 0."""
    if top <= 0 or value <= 0:
        return 0
    return max(2, min(100, round(100 * value / top)))


def local(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d %b %H:%M") if moment else DASH


def name_of(p: Prospect) -> str:
    return f"{p.name} {p.surname}".strip() or p.email


def ref(record: int | None) -> str:
    return f"#{record}" if record else ""


def who(p: Prospect) -> str:
    """``#12 Pat Jones``: the record's number first, so ``inbox-agent show 12`` finds it."""
    return f"#{p.id} {name_of(p)}"


def phone_href(p: Prospect) -> str:
    number = p.phone or "".join(c for c in p.phone_raw if c.isdigit() or c == "+")
    return f"tel:{number}" if number.strip("+") else ""


def cell(text: object, href: str = "") -> Data:
    return {"text": str(text), "href": href}


def row(
    cells: Sequence[object], *, bar: int | None = None, level: int = 0, strong: bool = False
) -> Data:
    made = [c if isinstance(c, dict) else cell(c) for c in cells]
    return {"cells": made, "bar": bar, "level": level, "strong": strong}


def table(
    headers: Sequence[str],
    rows: Sequence[Data],
    *,
    align: str = "",
    empty: str = "",
    more: str = "",
    caption: str = "",
) -> Data:
    align = (align or "l" + "r" * (len(headers) - 1)).ljust(len(headers), "r")
    return {
        "caption": caption,
        "headers": list(headers),
        "align": align,
        "rows": list(rows),
        "empty": empty,
        "more": more,
    }


def capped(rows: list[Data], limit: int, hint: str) -> tuple[list[Data], str]:
    """The first ``limit`` rows, and the "and N more" line for the rest."""
    if len(rows) <= limit:
        return rows, ""
    return rows[:limit], f"… and {len(rows) - limit} more ({hint})"


def section(name: str, title: str, tables: Sequence[Data], intro: str = "") -> Data:
    return {"id": name, "title": title, "intro": intro, "tables": list(tables)}
