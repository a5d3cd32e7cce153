"""Status and stage transitions, and the doc's tables against the code's."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict, Unpack

import pytest

from inbox_agent.records import status
from inbox_agent.records.prospect import STAGES, STATUSES, Prospect, Stage, Status
from inbox_agent.records.status import ANY_OPEN, CAUSES, CONDITIONS, Change, Transition, apply

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
P = Prospect(id=7, email="jane@example.org", created_at=NOW - timedelta(days=3))
ANSWERED = NOW - timedelta(days=2)
SENT = replace(P, first_response_at=ANSWERED, information_sent_at=ANSWERED)
DOC = Path(__file__).parent.parent / "docs" / "STATUS.md"


class _Fields(TypedDict, total=False):
    """What ``at`` may set besides the status."""

    stage: Stage
    closed_at: datetime | None


def at(status_: str, base: Prospect = SENT, **kw: Unpack[_Fields]) -> Prospect:
    return replace(base, status=Status(status_), **kw)


# --- the SOP, one step at a time ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "cause", "expected"),
    [
        ("new", "acknowledged", "call"),
        ("call", "information_sent", "email"),
        ("new", "information_sent", "email"),  # the agent beat the acknowledgment
        ("email", "courtesy_note", "follow_up"),
        ("follow_up", "revive_reminder", "revive"),
        ("revive", "cap_reached", "drip"),
        ("follow_up", "cap_reached", "drip"),
        ("revive", "information_sent", "email"),  # the agent phoned and sent more
        ("follow_up", "prospect_replied", "email"),
        ("revive", "prospect_replied", "email"),
        ("drip", "prospect_replied", "email"),
        ("drip", "meeting_agreed", "call"),
        ("email", "meeting_agreed", "call"),
        ("call", "won", "done"),
        ("drip", "lost", "done"),
        ("new", "closed", "done"),
        ("follow_up", "opted_out", "done"),
        ("drip", "opted_out", "done"),
    ],
)
def test_sop_steps(start: str, cause: str, expected: str) -> None:
    updated, changes = apply(at(start), cause, NOW)
    assert updated.status == expected
    assert Change(NOW, "status", start, expected, cause) in changes


@pytest.mark.parametrize(
    ("start", "cause"),
    [
        ("call", "acknowledged"),  # acknowledged twice
        ("follow_up", "courtesy_note"),  # a later follow-up keeps follow_up
        ("call", "prospect_replied"),  # the agent still owes the call
        ("email", "prospect_replied"),
        ("new", "courtesy_note"),
        ("done", "information_sent"),  # an agent's mail on a closed record does not reopen it
        ("done", "prospect_replied"),
        ("done", "lost"),
        ("done", "opted_out"),  # asking twice closes nothing more
        ("done", "acknowledged"),
        ("drip", "revive_reminder"),
    ],
)
def test_causes_without_a_row_change_nothing(start: str, cause: str) -> None:
    record = at(start, stage=Stage.PROSPECT)
    updated, changes = apply(record, cause, NOW)
    assert updated is record and changes == []


def test_a_reply_goes_back_to_call_when_no_information_was_sent() -> None:
    record = at("follow_up", P)  # e.g. set by command before any agent mail
    updated, _ = apply(record, "prospect_replied", NOW)
    assert updated.status == "call"


def test_the_whole_sop_records_every_change() -> None:
    record, log = P, []
    for cause in ("acknowledged", "information_sent", "courtesy_note", "revive_reminder"):
        record, changes = apply(record, cause, NOW)
        log += changes
    record, changes = apply(record, "lost", NOW + timedelta(hours=1))
    log += changes
    assert [(c.old, c.new, c.cause) for c in log] == [
        ("new", "call", "acknowledged"),
        ("call", "email", "information_sent"),
        ("email", "follow_up", "courtesy_note"),
        ("follow_up", "revive", "revive_reminder"),
        ("revive", "done", "lost"),
    ]
    assert record.closed_at == NOW + timedelta(hours=1) and not record.is_open


# --- stage ------------------------------------------------------------------------------------


def test_a_lead_who_answers_an_agent_becomes_a_prospect() -> None:
    updated, changes = apply(at("follow_up", SENT), "prospect_replied", NOW)
    assert updated.stage == "prospect" and updated.status == "email"
    assert {c.field for c in changes} == {"status", "stage"}


def test_a_lead_writing_again_before_any_answer_stays_a_lead() -> None:
    updated, changes = apply(at("call", P), "prospect_replied", NOW)
    assert updated.stage == "lead" and changes == []


def test_a_meeting_makes_a_prospect() -> None:
    updated, _ = apply(at("email", P), "meeting_agreed", NOW)
    assert (updated.stage, updated.status) == ("prospect", "call")


@pytest.mark.parametrize("stage", [Stage.LEAD, Stage.PROSPECT])
def test_won_makes_a_customer_and_closes(stage: Stage) -> None:
    updated, changes = apply(at("email", stage=stage), "won", NOW)
    assert (updated.stage, updated.status, updated.closed_at) == ("customer", "done", NOW)
    assert [c.field for c in changes] == ["status", "stage"]


def test_won_on_a_closed_record_only_moves_the_stage() -> None:
    closed = at("done", stage=Stage.PROSPECT, closed_at=NOW - timedelta(days=1))
    updated, changes = apply(closed, "won", NOW)
    assert updated.stage == "customer" and updated.closed_at == closed.closed_at
    assert [c.field for c in changes] == ["stage"]


def test_a_customer_stays_a_customer() -> None:
    customer = at("follow_up", stage=Stage.CUSTOMER)
    assert apply(customer, "prospect_replied", NOW)[0].stage == "customer"
    assert apply(customer, "won", NOW)[0].stage == "customer"


# --- commands -------------------------------------------------------------------------------


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_a_command_sets_any_status_from_any_status(start: str, target: str) -> None:
    record = at(start, closed_at=NOW - timedelta(days=1) if start == "done" else None)
    updated, changes = apply(record, "command", NOW, value=target)
    assert updated.status == target
    assert changes == ([] if start == target else [Change(NOW, "status", start, target, "command")])
    if target == "done":
        assert updated.closed_at == (record.closed_at if start == "done" else NOW)
    else:
        assert updated.closed_at is None  # reopened, or never closed


@pytest.mark.parametrize("target", STAGES)
def test_a_command_sets_a_stage(target: str) -> None:
    record = at("email", stage=Stage.CUSTOMER)
    updated, changes = apply(record, "command", NOW, value=f" {target.upper()}")
    assert updated.stage == target and updated.status == "email"
    assert [c.field for c in changes] == ([] if target == "customer" else ["stage"])


@pytest.mark.parametrize(
    ("cause", "value", "message"),
    [
        ("replied", None, "unknown cause 'replied'"),
        ("command", None, "a command needs a status"),
        ("command", "won", "not 'won'"),
        ("command", "", "a command needs a status"),
        ("acknowledged", "call", "a value is only for the 'command' cause"),
    ],
)
def test_invalid_causes_and_values_raise(cause: str, value: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        apply(P, cause, NOW, value=value)


def test_a_corrupt_record_raises() -> None:
    # A status and a stage the enums do not have, as a hand-edited store could hold: the wrong
    # type is the point, hence the ignores.
    with pytest.raises(ValueError, match="unknown status 'open'"):
        apply(replace(P, status="open"), "acknowledged", NOW)  # type: ignore[arg-type]  # corrupt
    with pytest.raises(ValueError, match="unknown stage 'contact'"):
        apply(replace(P, stage="contact"), "acknowledged", NOW)  # type: ignore[arg-type]  # corrupt


def test_next_status_and_next_stage() -> None:
    assert status.next_status(P, "acknowledged") == "call"
    assert status.next_status(at("done"), "information_sent") is None
    assert status.next_stage(at("follow_up"), "prospect_replied") == "prospect"
    with pytest.raises(ValueError):
        status.next_stage(P, "nope")


# --- the tables themselves ------------------------------------------------------------------


def test_tables_are_well_formed() -> None:
    for row in status.STATUS_TABLE:
        assert row.from_ in (*STATUSES, ANY_OPEN) and row.to in STATUSES, row
        assert row.cause in CAUSES and row.when in ("", *CONDITIONS), row
        assert row.cause != "command"
    for row in status.STAGE_TABLE:
        assert row.from_ in STAGES and row.to in STAGES and row.cause in CAUSES, row
        assert row.when in ("", *CONDITIONS), row
    assert not set(STATUSES) & set(STAGES)  # a command's value names one or the other
    assert not any(r.from_ == "done" for r in status.STATUS_TABLE)  # done leaves by command only


def test_tables_are_deterministic() -> None:
    """No two rows for the same (from, cause) can both apply."""
    for table in (status.STATUS_TABLE, status.STAGE_TABLE):
        seen: dict[tuple[str, str], list[str]] = {}
        for row in table:
            seen.setdefault((row.from_, row.cause), []).append(row.when)
        for whens in seen.values():
            assert len(whens) == 1 or set(whens) == {"information sent", "no information sent"}


def _doc_table(heading: str) -> tuple[Transition, ...]:
    section = DOC.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] in ("from", "") or set(cells[0]) <= {"-"}:
            continue
        rows.append(Transition(*cells))
    return tuple(rows)


def test_the_doc_status_table_is_the_code_table() -> None:
    assert _doc_table("Status transitions") == status.STATUS_TABLE


def test_the_doc_stage_table_is_the_code_table() -> None:
    assert _doc_table("Stage transitions") == status.STAGE_TABLE


def test_the_doc_explains_every_cause_and_status() -> None:
    text = DOC.read_text(encoding="utf-8")
    lines = re.findall(r"^- `(\w+)`: (.*)$", text.split("## Causes\n", 1)[1], re.M)
    assert [cause for cause, _ in lines] == list(CAUSES)
    for cause, line in lines:
        assert line.startswith(CAUSES[cause]), cause
    name: str
    for name in STATUSES:
        assert f"| `{name}` | " in text
    for name in CONDITIONS:
        assert f"- *{name}*: " in text
