"""The reports made from the store: the owner's daily digest and the monthly review.

The figures are pure (``report``: facts in, plain data out); this module reads exactly the facts
a report's period needs from the store (``Store.prospects_for_report`` hands over only the events
the reports read, from the period's reach on) and holds the garbage collector off the millions
of objects a loaded store is made of while a report is computed.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence
from datetime import date, datetime

from inbox_agent.config import Settings
from inbox_agent.plan.digest import digests
from inbox_agent.report import daily, monthly
from inbox_agent.report.facts import WHOLE, Facts
from inbox_agent.report.present import Data
from inbox_agent.report.timeline import READ_KINDS
from inbox_agent.rules import report_rules
from inbox_agent.sending.actions import Digest, MailKind
from inbox_agent.store import Store, history


def report_facts(store: Store, since: datetime) -> Facts:
    """What the reports read from the store, for windows from ``since`` on."""
    return Facts(
        prospects=tuple(history.prospects_for_report(store, since, READ_KINDS, WHOLE)),
        messages=tuple(history.messages_since(store, since)),
        quarantined=tuple(store.quarantined()),
        undeliverable=tuple(history.undeliverable(store)),
        suppressions=tuple(history.suppressions(store)),
        cap_notices=tuple(history.entries_of(store, MailKind.CAP_NOTICE, since)),
    )


@contextlib.contextmanager
def old_objects_left_alone() -> Iterator[None]:
    """While a report is made: the collector does not rescan what existed before (the store's
    millions of loaded objects, which form no cycles); new garbage is still collected. Without
    this, the full collections a report's allocations trigger cost as much as the report."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def digest_content(store: Store, settings: Settings, day: date, now: datetime) -> Data:
    """The figures of the digest of ``day``, made now from the store (``report.daily``)."""
    rules = report_rules(settings)
    with old_objects_left_alone():
        return daily.digest(report_facts(store, daily.reach(day, rules)), day, now, rules)


def review_content(store: Store, settings: Settings, month: date, now: datetime) -> Data:
    """The figures of the monthly review of ``month`` (``report.monthly``)."""
    rules = report_rules(settings)
    with old_objects_left_alone():
        return monthly.review(report_facts(store, monthly.reach(month, rules)), month, now, rules)


def review_numbers(store: Store, settings: Settings, month: date, now: datetime) -> str:
    """The monthly review's figures as CSV (``report --csv``)."""
    rules = report_rules(settings)
    with old_objects_left_alone():
        facts = report_facts(store, monthly.reach(month, rules))
        return monthly.review_csv(facts, month, now, rules)


def digest_of(
    store: Store, settings: Settings, day: date, now: datetime, recipients: Sequence[str]
) -> list[Digest]:
    """The digest of ``day`` made now from the store, one action per recipient."""
    return digests(digest_content(store, settings, day, now), day, recipients)
