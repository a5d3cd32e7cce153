"""The figures of one window: what came in, how fast it was answered, what it led to. Pure.

Vocabulary, for a window ``[start, end)`` (``report.periods``):

- the *cohort* is the records created in the window (new inquiries). Speed to lead is measured
  over it, with what is known *now*: time to acknowledge (``acknowledged_at - created_at``),
  time to the first human response (``first_response_at - created_at``; how many took over an
  hour, over a day, and how many have none yet), and — for the monthly review — conversion:
  how many of the cohort became prospects and customers, and their sales value;
- the *information cohort* is the records whose information deadline (``created_at`` plus
  ``[sla] respond_hours``, the SOP's 72 hours) fell in the window: *on time* when information
  was sent by then; *missed* otherwise — except records closed or opted out before the deadline
  with nothing sent, which were owed nothing;
- *events* counted where they happened: follow-ups and revive reminders sent, stage moves,
  quotes given and sales made (``report.timeline``), opt-outs.

Each record's agent is its ``assigned_to`` now (``""``: nobody). Every count here adds up over
windows: the figures of a month are the sums of its days' (``Measures.counts``). Medians and
p90s do not add up; they are computed over the window's own sample.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from inbox_agent.records.prospect import Stage
from inbox_agent.report.facts import DAY, HOUR, ReportRules
from inbox_agent.report.money import Money
from inbox_agent.report.periods import Window, after, span
from inbox_agent.report.timeline import Course
from inbox_agent.sending.actions import MailKind

ZERO = timedelta(0)


@dataclass
class AgentMeasures:
    assigned: int = 0
    response_times: list[timedelta] = field(default_factory=list)
    info_due: int = 0
    info_on_time: int = 0
    follow_ups: int = 0
    quotes: int = 0
    sales: int = 0
    sales_value: Money = field(default_factory=Money)


@dataclass
class Measures:
    window: Window
    inquiries: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    by_sub_source: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_interest: Counter[str] = field(default_factory=Counter)
    acknowledged: int = 0
    acknowledged_in_time: int = 0
    ack_times: list[timedelta] = field(default_factory=list)
    response_times: list[timedelta] = field(default_factory=list)
    responded_over_hour: int = 0
    responded_over_day: int = 0
    unanswered: int = 0
    info_due: int = 0
    info_on_time: int = 0
    info_missed: list[int] = field(default_factory=list)  # record ids, lowest first
    follow_ups: Counter[MailKind] = field(default_factory=Counter)
    revive_reminders: int = 0
    stage_moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    quotes: Counter[str] = field(default_factory=Counter)  # by source
    quote_value: dict[str, Money] = field(default_factory=dict)
    sales: Counter[str] = field(default_factory=Counter)
    sales_value: dict[str, Money] = field(default_factory=dict)
    opted_out: int = 0
    became_prospect: Counter[str] = field(default_factory=Counter)  # of the cohort, by source
    became_customer: Counter[str] = field(default_factory=Counter)
    cohort_value: dict[str, Money] = field(default_factory=dict)
    agents: dict[str, AgentMeasures] = field(default_factory=dict)

    def agent(self, address: str) -> AgentMeasures:
        return self.agents.setdefault(address, AgentMeasures())

    def counts(self) -> dict[str, int | Decimal]:
        """Every additive figure, flattened to one name each (for sums and comparisons)."""
        out: dict[str, int | Decimal] = {}
        for name in (
            "inquiries",
            "acknowledged",
            "acknowledged_in_time",
            "responded_over_hour",
            "responded_over_day",
            "unanswered",
            "info_due",
            "info_on_time",
            "revive_reminders",
            "opted_out",
        ):
            out[name] = getattr(self, name)
        out["responded"] = len(self.response_times)
        out["info_missed"] = len(self.info_missed)
        for name in (
            "by_source",
            "by_sub_source",
            "by_interest",
            "follow_ups",
            "stage_moves",
            "quotes",
            "sales",
            "became_prospect",
            "became_customer",
        ):
            for key, n in getattr(self, name).items():
                out[f"{name}:{key}"] = n
        for name in ("quote_value", "sales_value", "cohort_value"):
            for source, money in getattr(self, name).items():
                for currency, value in money.totals.items():
                    out[f"{name}:{source}:{currency}"] = value
        for address, a in self.agents.items():
            for name in ("assigned", "info_due", "info_on_time", "follow_ups", "quotes", "sales"):
                out[f"agent:{address}:{name}"] = getattr(a, name)
            out[f"agent:{address}:responded"] = len(a.response_times)
        return {k: v for k, v in out.items() if v}


def _add(values: dict[str, Money], key: str, amount: str) -> None:
    values[key] = values.get(key, Money()) + Money.of([amount])


def _cohort(m: Measures, c: Course, rules: ReportRules) -> None:
    p = c.prospect
    agent = m.agent(p.assigned_to or "")
    m.inquiries += 1
    agent.assigned += 1
    m.by_source[p.source] += 1
    if p.sub_source:
        m.by_sub_source[(p.source, p.sub_source)] += 1
    m.by_interest[p.interest] += 1
    if p.acknowledged_at is not None:
        took = max(ZERO, span(p.acknowledged_at, p.created_at))
        m.acknowledged += 1
        m.acknowledged_in_time += took <= rules.acknowledge_within
        m.ack_times.append(took)
    if p.first_response_at is None:
        m.unanswered += 1
    else:
        took = max(ZERO, span(p.first_response_at, p.created_at))
        m.response_times.append(took)
        agent.response_times.append(took)
        m.responded_over_hour += took > HOUR
        m.responded_over_day += took > DAY
    if p.stage in (Stage.PROSPECT, Stage.CUSTOMER):
        m.became_prospect[p.source] += 1
    if p.stage == Stage.CUSTOMER:
        m.became_customer[p.source] += 1
    if p.sale is not None:
        _add(m.cohort_value, p.source, p.sale.value)


def _information(m: Measures, c: Course, rules: ReportRules) -> None:
    p = c.prospect
    deadline = after(p.created_at, rules.inform_within)
    if deadline not in m.window:
        return
    sent = p.information_sent_at
    if sent is None:
        ended = [t for t in (p.closed_at, p.opted_out_at) if t is not None]
        if ended and min(ended) <= deadline:
            return  # closed or asked to stop before it was due: owed nothing
    agent = m.agent(p.assigned_to or "")
    m.info_due += 1
    agent.info_due += 1
    if sent is not None and sent <= deadline:
        m.info_on_time += 1
        agent.info_on_time += 1
    else:
        m.info_missed.append(p.id)


def _events(m: Measures, c: Course) -> None:
    p, w = c.prospect, m.window
    address = p.assigned_to or ""
    for at, kind in c.follow_ups:
        if at in w:
            m.follow_ups[kind] += 1
            m.agent(address).follow_ups += 1
    m.revive_reminders += sum(1 for at in c.revive_reminders if at in w)
    for move in c.moves:
        if move.at in w:
            m.stage_moves[(move.old, move.new)] += 1
    if c.quoted_at in w and p.quote is not None:
        m.quotes[p.source] += 1
        _add(m.quote_value, p.source, p.quote.amount)
        m.agent(address).quotes += 1
    if c.sold_at in w and p.sale is not None:
        m.sales[p.source] += 1
        _add(m.sales_value, p.source, p.sale.value)
        agent = m.agent(address)
        agent.sales += 1
        agent.sales_value = agent.sales_value + Money.of([p.sale.value])
    if p.opted_out_at in w:
        m.opted_out += 1


def measure(courses: Iterable[Course], window: Window, rules: ReportRules) -> Measures:
    """The figures of ``window`` over these records."""
    m = Measures(window)
    for c in courses:
        if c.prospect.created_at in window:
            _cohort(m, c, rules)
        _information(m, c, rules)
        _events(m, c)
    m.info_missed.sort()
    return m
