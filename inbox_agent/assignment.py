"""Who gets a new prospect: ordered rules by source and interest, else round-robin.

Agents marked ``away`` are skipped everywhere. Round-robin state is only who got the previous
prospect: the next available agent after them, in config order. Pure.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inbox_agent.exceptions import Problem

if TYPE_CHECKING:
    from inbox_agent.config import Agent

KEYS = ("agent", "source", "interest")


@dataclass(frozen=True)
class AssignmentRule:
    agent: str
    source: str | None = None
    interest: str | None = None


def parse_assignment_rules(
    raw: object, agents: Sequence[str], file: str
) -> tuple[tuple[AssignmentRule, ...], list[Problem]]:
    problems: list[Problem] = []
    if not isinstance(raw, list):
        return (), [Problem(file, "assignment", "must be a list of [[assignment]] tables")]
    rules: list[AssignmentRule] = []
    for i, item in enumerate(raw):
        where = f"assignment[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(file, where, "must be a table"))
            continue
        bad = False
        for key, value in item.items():
            if key not in KEYS:
                close = difflib.get_close_matches(key, KEYS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(Problem(file, f"{where}.{key}", f"unknown key{hint}"))
                bad = True
            elif not isinstance(value, str) or not value.strip():
                problems.append(Problem(file, f"{where}.{key}", "must be text"))
                bad = True
        agent = str(item.get("agent", "")).lower()
        if not agent:
            problems.append(Problem(file, f"{where}.agent", "is required"))
        elif agent not in agents:
            problems.append(Problem(file, f"{where}.agent", f"{agent} is not an agent"))
        elif not bad:
            rules.append(AssignmentRule(agent, item.get("source"), item.get("interest")))
    return tuple(rules), problems


def choose_agent(
    *,
    source: str,
    interest: str,
    agents: Sequence[Agent],
    rules: Sequence[AssignmentRule],
    last_assigned: str | None,
) -> tuple[str | None, str]:
    available = [a.email for a in agents if not a.away]
    for rule in rules:
        if rule.source not in (None, source) or rule.interest not in (None, interest):
            continue
        if rule.agent in available:
            return (
                rule.agent,
                f"rule for {rule.source or 'any source'}/{rule.interest or 'any interest'}",
            )
    if not available:
        return None, "no agent available (all away or none configured)"
    order = [a.email for a in agents]
    start = order.index(last_assigned) + 1 if last_assigned in order else 0
    for offset in range(len(order)):
        candidate = order[(start + offset) % len(order)]
        if candidate in available:
            return candidate, "round-robin"
    return None, "no agent available"  # pragma: no cover - available is not empty
