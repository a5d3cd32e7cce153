"""The monthly performance review (SOP step 8): the month beside the one before. Pure.

``review(facts, month, now, rules)`` returns the plain data of the ``report`` templates: the
same measures as the digest — inquiries by source and interest, speed to lead, information
within 72 hours, follow-ups, stage moves, quotes and sales by source, a table per agent — and
conversion by source (the month's inquiries -> prospects -> customers, and their sales value).
The month's counts are the sums of its days' (``report.measures``). ``review_csv`` gives the
same figures as numbers, one per line, for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from inbox_agent.report import sections
from inbox_agent.report.facts import Facts, ReportRules
from inbox_agent.report.measures import Measures, measure
from inbox_agent.report.periods import midnight, month_window, previous_month
from inbox_agent.report.present import Data
from inbox_agent.report.stats import median, p90


def reach(month: date, rules: ReportRules) -> datetime:
    """The earliest moment the review of ``month`` looks at (see ``daily.reach``)."""
    return midnight(previous_month(month), rules.tz) - rules.inform_within


def months(facts: Facts, month: date, now: datetime, rules: ReportRules) -> list[Measures]:
    """The measures of ``month`` and of the month before it."""
    windows = [
        month_window(month, rules.tz, now),
        month_window(previous_month(month), rules.tz, now),
    ]
    return [measure(facts.courses, w, rules) for w in windows]


def review(facts: Facts, month: date, now: datetime, rules: ReportRules) -> Data:
    ms = months(facts, month, now, rules)
    name = rules.business.name
    return {
        "kind": "report",
        "business": name,
        "month": f"{month:%Y-%m}",
        "title": f"Performance review, {ms[0].window.label}",
        "made": f"Made {now.astimezone(rules.tz):%d %b %Y %H:%M} ({rules.tz_name})",
        "periods": [m.window.label for m in ms],
        "sections": [
            sections.conversion(ms, rules),
            sections.inquiries(ms, rules),
            sections.speed(ms, rules),
            sections.information(ms, rules, {p.id: p for p in facts.prospects}),
            sections.follow_ups(ms),
            sections.stages(ms),
            sections.sales(ms, rules),
            sections.agents(ms, rules),
        ],
        "footer": "Every record is named by its number: inbox-agent show 12 shows record #12.",
    }


def _seconds(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds():.0f}"


def _rows(m: Measures, rules: ReportRules) -> list[tuple[str, str, str, str]]:
    """(scope, key, measure, value) for one month."""
    rows: list[tuple[str, str, str, str]] = []
    add = rows.append
    for name in ("inquiries", "acknowledged", "acknowledged_in_time", "unanswered",
                 "responded_over_hour", "responded_over_day", "info_due", "info_on_time",
                 "revive_reminders", "opted_out"):  # fmt: skip
        add(("all", "", name, str(getattr(m, name))))
    add(("all", "", "follow_ups", str(sum(m.follow_ups.values()))))
    add(("all", "", "ack_median_s", _seconds(median(m.ack_times))))
    add(("all", "", "ack_p90_s", _seconds(p90(m.ack_times))))
    add(("all", "", "first_answer_median_s", _seconds(median(m.response_times))))
    add(("all", "", "first_answer_p90_s", _seconds(p90(m.response_times))))
    for (old, new), n in sorted(m.stage_moves.items()):
        add(("stage_move", f"{old}->{new}", "moves", str(n)))
    for source in sorted({*m.by_source, *m.quotes, *m.sales}):
        for name, n in (("inquiries", m.by_source[source]),
                        ("prospects", m.became_prospect[source]),
                        ("customers", m.became_customer[source]),
                        ("quotes", m.quotes[source]), ("sales", m.sales[source])):  # fmt: skip
            add(("source", source, name, str(n)))
        for name, values in (
            ("cohort_sales_value", m.cohort_value),
            ("sales_value", m.sales_value),
        ):
            for currency, value in values[source].totals.items() if source in values else ():
                add(("source", source, f"{name}_{currency}" if currency else name, str(value)))
    for (source, sub), n in sorted(m.by_sub_source.items()):
        add(("sub_source", f"{source}/{sub}", "inquiries", str(n)))
    for interest, n in sorted(m.by_interest.items()):
        add(("interest", interest, "inquiries", str(n)))
    for address, a in sorted(m.agents.items()):
        key = address or "(nobody)"
        figures = {
            "assigned": str(a.assigned),
            "first_answer_median_s": _seconds(median(a.response_times)),
            "info_due": str(a.info_due),
            "info_on_time": str(a.info_on_time),
            "follow_ups": str(a.follow_ups),
            "quotes": str(a.quotes),
            "sales": str(a.sales),
        }
        for currency, amount in a.sales_value.totals.items():
            figures[f"sales_value_{currency}" if currency else "sales_value"] = str(amount)
        rows.extend(("agent", key, name, text) for name, text in figures.items())
    return rows


def _safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula is quoted (``=``, ``+``, ``-``, ``@``)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def review_csv(facts: Facts, month: date, now: datetime, rules: ReportRules) -> str:
    """``month,scope,key,measure,value`` lines for the month and the month before."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("month", "scope", "key", "measure", "value"))
    for m, first in zip(
        months(facts, month, now, rules), (month, previous_month(month)), strict=True
    ):
        for scope, key, name, value in _rows(m, rules):
            writer.writerow((f"{first:%Y-%m}", scope, _safe(key), name, value))
    return out.getvalue()
