"""Who gets a new prospect: rules first, else round-robin; agents away are skipped."""

from __future__ import annotations

from inbox_agent.records.assignment import (
    Agent,
    AssignmentRule,
    choose_agent,
    parse_assignment_rules,
)

A, B, C = "a@x.example", "b@x.example", "c@x.example"
AGENTS = (Agent("Ann", A), Agent("Ben", B, away=True), Agent("Cat", C))


def choose(
    last: str | None = None, rules: tuple[AssignmentRule, ...] = (), **kw: str
) -> str | None:
    source, interest = kw.get("source", "email"), kw.get("interest", "quote")
    return choose_agent(source=source, interest=interest, agents=AGENTS, rules=rules,
                        last_assigned=last)[0]  # fmt: skip


def test_round_robin_skips_agents_away_and_wraps() -> None:
    assert [choose(None), choose(A), choose(C), choose("gone@x.example")] == [A, C, A, A]


def test_rules_by_source_interest_or_both_and_away_agents_fall_through() -> None:
    rules = (
        AssignmentRule(B, source="facebook"),  # Ben is away: skipped
        AssignmentRule(C, source="facebook", interest="quote"),
        AssignmentRule(A, interest="technical_assistance"),
    )
    assert choose(A, rules, source="facebook") == C
    assert choose(C, rules, source="website", interest="technical_assistance") == A
    assert choose(A, rules, source="website") == C  # no rule: round-robin


def test_nobody_available() -> None:
    agents = (Agent("Ben", B, away=True),)
    agent, why = choose_agent(source="s", interest="i", agents=agents, rules=(), last_assigned=None)
    assert agent is None and "no agent" in why


def test_rules_are_checked() -> None:
    raw = [{"agent": A, "source": "facebook"}, {"agnet": A}, {"agent": "nobody@x.example"}]
    rules, problems = parse_assignment_rules(raw, [A, B, C], "rules.toml")
    assert rules == (AssignmentRule(A, source="facebook"),)
    keys = [p.key for p in problems]
    assert keys == ["assignment[1].agnet", "assignment[1].agent", "assignment[2].agent"]
    assert "did you mean 'agent'" in problems[0].message
