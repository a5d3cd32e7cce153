"""The owner's daily digest: the day's figures with the previous day and the month to date
beside them, who is waiting now, and what needs a person. Pure: ``digest(facts, day, now,
rules)`` returns the plain data the ``digest`` templates lay out (``report.present``), which the
``Digest`` action carries so that a resend is the same mail.

Sections, in order (their ``id``): ``inquiries``, ``speed``, ``information``, ``follow_ups``
(with the revive calls by agent, each number a ``tel:`` link), ``waiting`` (unassigned and
overdue records, oldest first), ``stages``, ``sales``, ``agents``, ``needs``. The figures are
for the day and the month to date, cut off at ``now``; "waiting" is as of ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from inbox_agent.report import sections
from inbox_agent.report.facts import Facts, ReportRules
from inbox_agent.report.lists import Waiting, hours, revive_calls, waiting
from inbox_agent.report.measures import measure
from inbox_agent.report.needs import Need, needs
from inbox_agent.report.periods import (
    Window,
    day_window,
    midnight,
    month_start,
    month_to_date,
    span,
)
from inbox_agent.report.present import (
    DASH,
    Data,
    capped,
    cell,
    duration,
    local,
    percent,
    phone_href,
    ref,
    row,
    section,
    table,
    who,
)
from inbox_agent.report.stats import median


def _waiting(found: Sequence[Waiting], now: datetime, rules: ReportRules) -> Data:
    rows = []
    for w in found:
        p = w.prospect
        rows.append(
            row(
                [
                    who(p),
                    rules.business.source_label(p.source),
                    rules.agent_name(p.assigned_to) if p.assigned_to else DASH,
                    duration(span(now, p.created_at)),
                    "; ".join(w.reasons),
                ]
            )
        )
    shown, more = capped(rows, rules.listed, "inbox-agent prospects")
    return section(
        "waiting",
        "Waiting for someone",
        [
            table(
                ["Record", "Source", "Agent", "Waiting", "Why"],
                shown,
                align="lllrl",
                empty="Nobody is waiting: every open record is assigned and on time.",
                more=more,
            ),
        ],
        "Open records nobody is assigned to, or past the SOP's standards, oldest first.",
    )


def _revive(facts: Facts, window: Window, rules: ReportRules) -> Data:
    rows = [
        row(
            [
                rules.agent_name(r.agent) if r.agent else "(nobody)",
                who(r.prospect),
                cell(r.prospect.phone or r.prospect.phone_raw or DASH, phone_href(r.prospect)),
                local(r.reminded_at, rules.tz),
                str(r.prospect.status),
            ]
        )
        for r in revive_calls(facts.courses, window)
    ]
    shown, more = capped(rows, rules.listed, "inbox-agent prospects --status revive")
    return table(
        ["Agent", "Record", "Phone", "Reminded", "Status now"],
        shown,
        align="lllll",
        empty="No revive calls.",
        more=more,
        caption=f"Revive calls: phone them ({window.label}, and any still to make)",
    )


def _needs(found: Sequence[Need], window: Window, rules: ReportRules) -> Data:
    tables = []
    for need in found:
        rows = [
            row(
                [local(i.at, rules.tz) if i.at else "open", ref(i.record) or DASH, i.what, i.detail]
            )
            for i in need.items
        ]
        shown, more = capped(rows, rules.listed, "inbox-agent quarantine")
        if rows:
            tables.append(
                table(
                    ["When", "Record", "What", "Detail"],
                    shown,
                    align="llww",
                    more=more,
                    caption=f"{need.title} ({len(rows)})",
                )
            )
    if not tables:
        tables.append(table([], [], empty=f"Nothing, {window.label}: all clear."))
    return section("needs", "Needs a person", tables)


def reach(day: date, rules: ReportRules) -> datetime:
    """The earliest moment the digest of ``day`` looks at: its earliest window, less the
    information deadline (a record from before it can fall due inside)."""
    first = min(day - timedelta(days=1), month_start(day))
    return midnight(first, rules.tz) - rules.inform_within


def digest(facts: Facts, day: date, now: datetime, rules: ReportRules) -> Data:
    """The digest of ``day`` (a local date), made at ``now``."""
    tz = rules.tz
    windows = [
        day_window(day, tz, now),
        day_window(day - timedelta(days=1), tz, now),
        month_to_date(day, tz, now),
    ]
    ms = [measure(facts.courses, w, rules) for w in windows]
    found = needs(facts, windows[0], rules)
    waiting_now = waiting(facts.courses, now, rules)
    follow = sections.follow_ups(ms)
    follow["tables"].append(_revive(facts, windows[0], rules))
    first = ms[0]
    need_count = sum(len(n.items) for n in found)
    headline = [
        {"label": "New inquiries", "value": str(first.inquiries)},
        {
            "label": f"Acknowledged within {hours(rules.acknowledge_within)}",
            "value": percent(first.acknowledged_in_time, first.inquiries),
        },
        {"label": "First answer, median", "value": duration(median(first.response_times))},
        {"label": "Waiting now", "value": str(len(waiting_now))},
        {"label": "Need a person", "value": str(need_count)},
    ]
    name = rules.business.name
    subject = (
        f"{name} digest, {windows[0].label}: {first.inquiries} new, {len(waiting_now)} waiting, "
        f"{need_count} need a person"
    )
    return {
        "kind": "digest",
        "business": name,
        "day": day.isoformat(),
        "title": f"Daily digest for {day:%A} {day.day} {day:%B %Y}",
        "subject": subject,
        "made": f"Made {now.astimezone(tz):%d %b %Y %H:%M} ({rules.tz_name})",
        "periods": [w.label for w in windows],
        "headline": headline,
        "sections": [
            sections.inquiries(ms, rules),
            sections.speed(ms, rules),
            sections.information(ms, rules, {p.id: p for p in facts.prospects}),
            follow,
            _waiting(waiting_now, now, rules),
            sections.stages(ms),
            sections.sales(ms, rules),
            sections.agents([ms[0], ms[2]], rules),
            _needs(found, windows[0], rules),
        ],
        "footer": "Every record is named by its number: inbox-agent show 12 shows record #12.",
    }
