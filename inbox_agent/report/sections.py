"""The sections the digest and the monthly review share, each built from the measures of its
columns (day, previous day, month to date; or month, previous month). Pure.

Each function takes the ``Measures`` of the columns, first the one the section is about, and
returns a section of plain data (``report.present``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from inbox_agent.records.prospect import Prospect
from inbox_agent.report.facts import ReportRules
from inbox_agent.report.lists import hours
from inbox_agent.report.measures import Measures
from inbox_agent.report.money import Money
from inbox_agent.report.periods import after, span
from inbox_agent.report.present import (
    DASH,
    Data,
    bar,
    capped,
    duration,
    local,
    name_of,
    percent,
    row,
    section,
    share_text,
    table,
)
from inbox_agent.report.stats import median, p90
from inbox_agent.sending.actions import MailKind

EVIDENCE = (
    "An answer within the hour makes a lead about 7 times likelier to qualify than an answer "
    "an hour later, and over 60 times likelier than one after a day."
)


def _labels(ms: Sequence[Measures]) -> list[str]:
    return [m.window.label for m in ms]


def _counted(counts: Sequence[Counter[str]], label: Callable[[str], str], total: str) -> list[Data]:
    """One row per key (most in the first column first), bars against the largest."""
    keys = sorted({k for c in counts for k in c}, key=lambda k: (-counts[0][k], k))
    top = max((counts[0][k] for k in keys), default=0)
    rows = [row([label(k), *(c[k] for c in counts)], bar=bar(counts[0][k], top)) for k in keys]
    rows.append(row([total, *(sum(c.values()) for c in counts)], strong=True))
    return rows


def inquiries(ms: Sequence[Measures], rules: ReportRules) -> Data:
    b = rules.business
    sources = sorted({s for m in ms for s in m.by_source}, key=lambda s: (-ms[0].by_source[s], s))
    top = max((ms[0].by_source[s] for s in sources), default=0)
    rows = []
    for source in sources:
        counts = [m.by_source[source] for m in ms]
        rows.append(row([b.source_label(source), *counts], bar=bar(counts[0], top)))
        subs = sorted({sub for m in ms for (s, sub) in m.by_sub_source if s == source})
        for sub in subs:
            rows.append(row([sub, *(m.by_sub_source[(source, sub)] for m in ms)], level=1))
    rows.append(row(["All sources", *(m.inquiries for m in ms)], strong=True))
    by_source = table(["Source", *_labels(ms)], rows, empty="No inquiries.")
    interest_rows = _counted([m.by_interest for m in ms], b.interest_label, "All interests")
    by_interest = table(["Interest", *_labels(ms)], interest_rows if sources else [], empty="")
    return section("inquiries", "New inquiries", [by_source, by_interest])


def speed(ms: Sequence[Measures], rules: ReportRules) -> Data:
    within = hours(rules.acknowledge_within)
    shares = [m.acknowledged_in_time / m.inquiries if m.inquiries else 0 for m in ms]
    rows = [
        row(
            [
                f"Acknowledged within {within}",
                *(share_text(m.acknowledged_in_time, m.inquiries) for m in ms),
            ],
            bar=round(100 * shares[0]) if ms[0].inquiries else None,
        ),
        row(["Time to acknowledge, median", *(duration(median(m.ack_times)) for m in ms)]),
        row(["Time to acknowledge, p90", *(duration(p90(m.ack_times)) for m in ms)]),
        row(
            ["First answer by a person, median", *(duration(median(m.response_times)) for m in ms)],
            strong=True,
        ),
        row(["First answer by a person, p90", *(duration(p90(m.response_times)) for m in ms)]),
        row(["Answered after more than 1 h", *(m.responded_over_hour for m in ms)]),
        row(["Answered after more than 24 h", *(m.responded_over_day for m in ms)]),
        row(["Not answered yet", *(m.unanswered for m in ms)], strong=True),
    ]
    intro = (
        f"Over the inquiries that arrived in each period, as known now. p90: nine in ten were "
        f"this fast or faster. {EVIDENCE}"
    )
    return section("speed", "Speed to lead", [table(["", *_labels(ms)], rows)], intro)


def information(
    ms: Sequence[Measures], rules: ReportRules, records: Mapping[int, Prospect]
) -> Data:
    within = hours(rules.inform_within)
    first = ms[0]
    rows = [
        row(
            [
                f"Information sent within {within}",
                *(share_text(m.info_on_time, m.info_due) for m in ms),
            ],
            bar=round(100 * first.info_on_time / first.info_due) if first.info_due else None,
        ),
        row(["Missed", *(len(m.info_missed) for m in ms)], strong=True),
    ]
    tz = rules.tz
    missed = []
    for pid in first.info_missed:
        p = records[pid]
        sent = p.information_sent_at
        late = (
            duration(span(sent, after(p.created_at, rules.inform_within))) + " late" if sent else ""
        )
        missed.append(
            row(
                [
                    f"#{p.id} {name_of(p)}",
                    rules.agent_name(p.assigned_to or "") or DASH,
                    local(p.created_at, tz),
                    late or "nothing sent yet",
                ]
            )
        )
    shown, more = capped(missed, rules.listed, "inbox-agent prospects --status call")
    intro = (
        f"The SOP's standard: all information sent within {within} of the inquiry. Counted "
        "where the deadline fell."
    )
    return section(
        "information",
        f"Information within {within}",
        [
            table(["", *_labels(ms)], rows),
            table(
                ["Record", "Agent", "Received", "Sent"],
                shown,
                align="llll",
                empty=f"None missed, {first.window.label}.",
                more=more,
                caption=f"Missed, {first.window.label}" if shown else "",
            ),
        ],
        intro,
    )


def follow_ups(ms: Sequence[Measures]) -> Data:
    kinds = (
        (MailKind.COURTESY_NOTE, "Courtesy notes (48 h)"),
        (MailKind.FOLLOW_UP, "Later follow-ups"),
        (MailKind.DRIP, "Drip"),
    )
    rows = [row([label, *(m.follow_ups[kind] for m in ms)]) for kind, label in kinds]
    rows.append(row(["Follow-ups sent", *(sum(m.follow_ups.values()) for m in ms)], strong=True))
    rows.append(row(["Revive reminders to agents (72 h)", *(m.revive_reminders for m in ms)]))
    return section("follow_ups", "Follow-ups", [table(["", *_labels(ms)], rows)])


STAGE_LABELS = {
    ("lead", "prospect"): "Lead → prospect",
    ("prospect", "customer"): "Prospect → customer",
    ("lead", "customer"): "Lead → customer",
}


def stages(ms: Sequence[Measures]) -> Data:
    rows = [row([label, *(m.stage_moves[key] for m in ms)]) for key, label in STAGE_LABELS.items()]
    others = sorted({k for m in ms for k in m.stage_moves if k not in STAGE_LABELS})
    rows += [
        row([f"{old.capitalize()} → {new} (by hand)", *(m.stage_moves[(old, new)] for m in ms)])
        for old, new in others
    ]
    return section("stages", "Stage moves", [table(["", *_labels(ms)], rows)])


def _money(values: Mapping[str, Money], key: str) -> str:
    found = values.get(key)
    return found.text() if found else DASH


def sales(ms: Sequence[Measures], rules: ReportRules) -> Data:
    tables = []
    for m in ms:
        keys = sorted({*m.quotes, *m.sales}, key=lambda s: (-m.sales[s], -m.quotes[s], s))
        rows = [
            row(
                [
                    rules.business.source_label(s),
                    m.quotes[s],
                    _money(m.quote_value, s),
                    m.sales[s],
                    _money(m.sales_value, s),
                ]
            )
            for s in keys
        ]
        if len(keys) > 1:
            total = sum(m.sales_value.values(), Money())
            quoted = sum(m.quote_value.values(), Money())
            rows.append(
                row(
                    [
                        "All sources",
                        sum(m.quotes.values()),
                        quoted.text(),
                        sum(m.sales.values()),
                        total.text(),
                    ],
                    strong=True,
                )
            )
        tables.append(
            table(
                [m.window.label, "Quotes", "Quoted", "Sales", "Sold"],
                rows,
                empty=f"{m.window.label}: no quotes or sales.",
            )
        )
    return section("sales", "Quotes and sales by source", tables)


def agents(ms: Sequence[Measures], rules: ReportRules) -> Data:
    tables = []
    order = [email for email, _ in rules.agents]
    for m in ms:
        names = [*order, *sorted(a for a in m.agents if a and a not in order)]
        if "" in m.agents:
            names.append("")
        rows = []
        for address in names:
            a = m.agents.get(address)
            if a is None:
                rows.append(row([rules.agent_name(address), 0, DASH, DASH, 0, 0, DASH]))
                continue
            sold = f"{a.sales} ({a.sales_value.text()})" if a.sales else "0"
            rows.append(
                row(
                    [
                        rules.agent_name(address) if address else "(nobody)",
                        a.assigned,
                        duration(median(a.response_times)),
                        share_text(a.info_on_time, a.info_due),
                        a.follow_ups,
                        a.quotes,
                        sold,
                    ]
                )
            )
        tables.append(
            table(
                [
                    m.window.label,
                    "New",
                    "1st answer (median)",
                    "Info on time",
                    "Follow-ups",
                    "Quotes",
                    "Sales",
                ],
                rows,
                empty="No agents configured.",
            )
        )
    return section("agents", "By agent", tables)


def conversion(ms: Sequence[Measures], rules: ReportRules) -> Data:
    tables = []
    for m in ms:
        keys = sorted(m.by_source, key=lambda s: (-m.by_source[s], s))
        rows = []
        for s in keys:
            n = m.by_source[s]
            rows.append(
                row(
                    [
                        rules.business.source_label(s),
                        n,
                        f"{m.became_prospect[s]} ({percent(m.became_prospect[s], n)})",
                        f"{m.became_customer[s]} ({percent(m.became_customer[s], n)})",
                        _money(m.cohort_value, s),
                    ],
                    bar=bar(m.became_customer[s], n),
                )
            )
        if keys:
            value = sum(m.cohort_value.values(), Money())
            rows.append(
                row(
                    [
                        "All sources",
                        m.inquiries,
                        f"{sum(m.became_prospect.values())} "
                        f"({percent(sum(m.became_prospect.values()), m.inquiries)})",
                        f"{sum(m.became_customer.values())} "
                        f"({percent(sum(m.became_customer.values()), m.inquiries)})",
                        value.text(),
                    ],
                    strong=True,
                )
            )
        tables.append(
            table(
                [m.window.label, "Inquiries", "Prospects", "Customers", "Sales value"],
                rows,
                empty=f"{m.window.label}: no inquiries.",
            )
        )
    intro = (
        "The inquiries that arrived in each month, and what they have become by now: "
        "prospects (a two-way conversation), customers (bought), and their sales."
    )
    return section("conversion", "Conversion by source", tables, intro)
