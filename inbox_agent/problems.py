"""Collecting config problems, so every one is reported at once (with a did-you-mean)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from inbox_agent.exceptions import Problem


class Problems:
    """The problems found in one config file, in the order found."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(Problem(self.file, key, message))

    def unknown(self, path: str, key: str, known: Sequence[str]) -> None:
        """``path`` names an unknown ``key``; suggest the closest of ``known``."""
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        self.add(path, f"unknown key{hint} (known: {', '.join(known)})")
