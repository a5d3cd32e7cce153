"""Medians and p90s over durations, and shares. Pure.

Definitions (the tests compute them by hand the same way):

- ``median``: the middle value of the sorted sample; for an even count, the mean of the two
  middle values (the ordinary median).
- ``p90``: the nearest-rank 90th percentile: sort the ``n`` values and take the one at rank
  ``ceil(0.9 * n)`` (1-based). It is always a value that occurred: the time nine in ten were
  within. For nine values or fewer it is the largest (rank ``ceil(0.9 n)`` is then ``n``).
- ``share``: ``part / whole`` as a fraction, or None when ``whole`` is 0 (never "0 %" of nothing).

Averages are never reported: one lead left for a week would hide twenty answered in minutes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The median of ``values`` (any order); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[timedelta], p: float) -> timedelta | None:
    """The nearest-rank ``p``-th percentile (0 < p ≤ 100); None for no values."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {p}")
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def p90(values: Sequence[timedelta]) -> timedelta | None:
    return percentile(values, 90)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
