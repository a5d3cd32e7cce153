"""Amounts as agents write them (``#quote 1500``, ``#sale € 1.500,00 INV-7``), added up. Pure.

Vocabulary: an *amount* is the text kept on a quote or sale (``records.prospect.Quote.amount``,
``Sale.value``); ``read_amount`` finds its number and its currency as written (``R``, ``€``,
``EUR``, ``US$``; "" when none). A ``Money`` is a total per currency: amounts in different
currencies are never added together. Separators: the last ``.`` or ``,`` followed by one or two
digits is the decimal mark (``1.500,50``, ``1,500.50``, ``12,5``); otherwise ``.``, ``,``,
``'``, the typographic apostrophe and spaces group thousands (``1.500``, ``1,500``, ``1'500``,
``1 500``); ``1.500,-`` is 1500. An amount with no number is not counted (``unread`` says how
many).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

DASH = "\u2013"  # an en dash: nothing to show
_NUMBER = re.compile(r"\d(?:[\d.,'\u2019 \u00a0\u202f]*\d)?(?:[.,]-)?")


def read_amount(text: str) -> tuple[str, Decimal] | None:
    """(currency as written, value) or None when ``text`` holds no number."""
    found = _NUMBER.search(text)
    if found is None:
        return None
    digits = found.group().removesuffix(",-").removesuffix(".-")
    currency = (text[: found.start()] + " " + text[found.end() :]).strip().rstrip(".").strip()
    currency = " ".join(currency.split())[:8]
    marks = [m for m in re.finditer(r"[.,]", digits)]
    decimals = ""
    if marks and len(digits) - marks[-1].end() in (1, 2):
        decimals = digits[marks[-1].end() :]
        digits = digits[: marks[-1].start()]
    whole = re.sub(r"\D", "", digits)
    try:
        return currency, Decimal(f"{whole or 0}.{decimals or 0}")
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        return None


@dataclass(frozen=True)
class Money:
    """Totals per currency (as written), and how many amounts had no number."""

    totals: Mapping[str, Decimal] = field(default_factory=dict)
    unread: int = 0

    @classmethod
    def of(cls, amounts: Iterable[str]) -> Money:
        totals: dict[str, Decimal] = {}
        unread = 0
        for text in amounts:
            found = read_amount(text)
            if found is None:
                unread += 1
                continue
            currency, value = found
            totals[currency] = totals.get(currency, Decimal(0)) + value
        return cls(dict(sorted(totals.items())), unread)

    def __add__(self, other: Money) -> Money:
        totals = dict(self.totals)
        for currency, value in other.totals.items():
            totals[currency] = totals.get(currency, Decimal(0)) + value
        return Money(dict(sorted(totals.items())), self.unread + other.unread)

    def __bool__(self) -> bool:
        return bool(self.totals) or bool(self.unread)

    def text(self) -> str:
        """``R 12,500`` / ``€ 300.50 + R 1,000`` / a dash for nothing."""
        if not self.totals:
            return DASH
        parts = []
        for currency, value in self.totals.items():
            number = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
            parts.append(f"{currency} {number}".strip() if currency else number)
        return " + ".join(parts)
