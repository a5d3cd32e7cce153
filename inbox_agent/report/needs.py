"""What needs a person: one small finder per kind of item, in the order the digest shows them.

Each finder takes the ``Facts``, the window and the rules and returns a ``Need``: a title and
its items (when, which record if any, what, the detail). To report a new kind of item, write a
finder and add it to ``FINDERS``. Pure.

What each lists, for the window:
- ``bounced``: addresses whose hard bounce stopped our automatic mail to them;
- ``opted_out``: people who asked us to stop (their words, or the unsubscribe link);
- ``held_as_spam``: mail the server's verdict marked as spam (``SPAM_KINDS`` of the log);
- ``quarantined``: incoming mail that could not be processed;
- ``undeliverable``: our mail refused for good (``inbox-agent quarantine``), dated by its last
  attempt;
- ``unverified_agent_mail``: mail that looks like an agent's but could not be verified like a
  command (the processed log's ``unverified`` flag): it moved nothing, a supervisor should look;
- ``caps_tripped``: the caps on automatic mail that held an acknowledgment back (one item per
  cap and hour, from the notices the agent and the supervisors were sent);
- ``marked_for_attention``: open records whose ``attention`` says a person must handle them
  (whatever the window: they wait until someone does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from inbox_agent.mail.classify import Kind
from inbox_agent.records.prospect import Barred
from inbox_agent.report.facts import Facts, ReportRules
from inbox_agent.report.lists import is_open
from inbox_agent.report.periods import Window
from inbox_agent.sending.actions import CapNotice

SPAM_KINDS: frozenset[Kind] = frozenset({Kind.SPAM})


@dataclass(frozen=True)
class Item:
    at: datetime | None
    record: int | None
    what: str
    detail: str = ""


@dataclass(frozen=True)
class Need:
    name: str
    title: str
    items: tuple[Item, ...] = ()


Finder = Callable[[Facts, Window, ReportRules], Need]


def _latest_ids(facts: Facts) -> dict[str, int]:
    """Each address's newest record (the highest number)."""
    found: dict[str, int] = {}
    for p in facts.prospects:
        found[p.email] = max(p.id, found.get(p.email, 0))
    return found


def bounced(facts: Facts, window: Window, rules: ReportRules) -> Need:
    ids = _latest_ids(facts)
    items = tuple(
        Item(s.at, ids.get(s.email), s.email, f"no more automatic mail ({s.reason})")
        for s in facts.suppressions
        if s.at in window and s.kind == Barred.BOUNCE
    )
    return Need("bounced", "Addresses that bounced our mail", items)


def opted_out(facts: Facts, window: Window, rules: ReportRules) -> Need:
    items = tuple(
        Item(p.opted_out_at, p.id, p.email, p.lost_reason or "asked us to stop: no automatic mail")
        for p in facts.prospects
        if p.opted_out_at in window
    )
    return Need("opted_out", "Asked us to stop", items)


def _logged(name: str, title: str, kinds: frozenset[Kind]) -> Finder:
    def find(facts: Facts, window: Window, rules: ReportRules) -> Need:
        items = tuple(
            Item(m.at, m.prospect_id, f"{m.folder} uid {m.uid}", m.reason)
            for m in facts.messages
            if m.kind in kinds and m.at in window
        )
        return Need(name, title, items)

    find.__name__ = name
    return find


held_as_spam = _logged("held_as_spam", "Mail held as spam", SPAM_KINDS)


def unverified_agent_mail(facts: Facts, window: Window, rules: ReportRules) -> Need:
    items = tuple(
        Item(m.at, m.prospect_id, f"from {m.sender}" if m.sender else f"{m.folder} uid {m.uid}",
             m.reason)
        for m in facts.messages
        if m.unverified and m.at in window
    )  # fmt: skip
    return Need("unverified_agent_mail", "Mail that looks like an agent's but is not verified",
                items)  # fmt: skip


def caps_tripped(facts: Facts, window: Window, rules: ReportRules) -> Need:
    seen: dict[tuple[str, str], Item] = {}  # one per cap and hour, whoever was told
    for e in facts.cap_notices:
        action = e.action
        if isinstance(action, CapNotice) and e.created_at in window:
            what = f"the {action.scope} cap ({action.limit})"
            told = f"acknowledgment of #{action.prospect_id} held back; the agent was told"
            seen.setdefault((action.scope, action.hour), Item(e.created_at, e.prospect_id,
                                                              what, told))  # fmt: skip
    return Need("caps_tripped", "Automatic mail held back by a cap", tuple(seen.values()))


def quarantined(facts: Facts, window: Window, rules: ReportRules) -> Need:
    items = tuple(
        Item(
            q.at,
            None,
            f"{q.folder} uid {q.uid}" + (f": {q.subject}" if q.subject else ""),
            q.reason,
        )
        for q in facts.quarantined
        if q.at in window
    )
    return Need("quarantined", "Incoming mail in quarantine", items)


def undeliverable(facts: Facts, window: Window, rules: ReportRules) -> Need:
    items = []
    for e in facts.undeliverable:
        last = max(e.created_at, e.next_attempt_at or e.created_at)
        if last in window:
            what = f"{str(e.kind).replace('_', ' ')} to {e.recipient}"
            items.append(Item(last, e.prospect_id, what, e.last_error))
    return Need("undeliverable", "Our mail that could not be delivered", tuple(items))


def marked_for_attention(facts: Facts, window: Window, rules: ReportRules) -> Need:
    items = tuple(
        Item(None, p.id, p.email, p.attention)
        for p in facts.prospects
        if p.attention and is_open(p)
    )
    return Need("attention", "Records marked for a person", items)


FINDERS: tuple[Finder, ...] = (
    bounced,
    opted_out,
    held_as_spam,
    quarantined,
    undeliverable,
    unverified_agent_mail,
    caps_tripped,
    marked_for_attention,
)


def needs(facts: Facts, window: Window, rules: ReportRules) -> list[Need]:
    return [find(facts, window, rules) for find in FINDERS]
