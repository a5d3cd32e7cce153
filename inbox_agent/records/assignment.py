"""The agents, and who gets a new prospect: ordered rules by source and interest, else
round-robin.

Vocabulary: an ``Agent`` is a salesperson who answers prospects from their own mail client
(``[[agents]]`` in rules.toml). Agents marked ``away`` are skipped everywhere. Round-robin state is
only who got the previous prospect: the next available agent after them, in config order. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inbox_agent.exceptions import Problem
from inbox_agent.problems import Problems

KEYS = ("agent", "source", "interest")


@dataclass(frozen=True)
class Agent:
    """A salesperson: their name, address, and whether they are away (skipped by assignment)."""

    name: str
    email: str
    away: bool = False


@dataclass(frozen=True)
class AssignmentRule:
    agent: str
    source: str | None = None
    interest: str | None = None


def parse_assignment_rules(
    raw: object, agents: Sequence[str], file: str
) -> tuple[tuple[AssignmentRule, ...], list[Problem]]:
    out = Problems(file)
    if not isinstance(raw, list):
        out.add("assignment", "must be a list of [[assignment]] tables")
        return (), out.items
    rules: list[AssignmentRule] = []
    for i, item in enumerate(raw):
        where = f"assignment[{i}]"
        if not isinstance(item, dict):
            out.add(where, "must be a table")
            continue
        before = len(out.items)
        for key, value in item.items():
            if key not in KEYS:
                out.unknown(f"{where}.{key}", key, KEYS)
            elif not isinstance(value, str) or not value.strip():
                out.add(f"{where}.{key}", "must be text")
        agent = str(item.get("agent", "")).lower()
        if not agent:
            out.add(f"{where}.agent", "is required")
        elif agent not in agents:
            out.add(f"{where}.agent", f"{agent} is not one of the [[agents]]")
        elif len(out.items) == before:
            rules.append(AssignmentRule(agent, item.get("source"), item.get("interest")))
    return tuple(rules), out.items


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
