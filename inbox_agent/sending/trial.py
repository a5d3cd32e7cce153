"""A trial of every template file, for ``inbox-agent check``: which mail each one is for. Pure.

A template is only tried when the mail it is for is rendered, and the daemon renders a courtesy
note two days after an inquiry: a typo there would surface as a note that never goes. So
``check`` renders each file of the template folder as its mail, for a sample record that makes
the renderer pick *that* file: ``acknowledgment.es.txt.j2`` for a record in Spanish,
``acknowledgment.quote.txt.j2`` for one interested in a quote, ``follow_up_2.txt.j2`` as the
follow-up cadence names it. Vocabulary: a ``Trial`` is (the file, the action, the record); a
file no mail uses (``acknowledgement.txt.j2``, a misspelt name; an HTML part without its text
part) is *unused*. A mail the folder has no plain template for (a folder an older ``init``
wrote) is written from the shipped one, and tried as such. A file whose name starts with ``_``
(``_page.html.j2``, the pages' layout) is imported by others and tried with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from inbox_agent.records.prospect import Direction, Event, Prospect, Quote, Stage
from inbox_agent.sending.actions import (
    Acknowledge,
    Action,
    CapNotice,
    Confirm,
    DeliveryFailed,
    FollowUp,
    InformationOverdue,
    MailKind,
    Notify,
    NotifyReason,
    OptedOut,
    RelayAnswer,
    RelayOutcome,
    ReviveReminder,
)

PAGES = ("digest", "report")  # rendered as pages (``Renderer.page``), with their own data


@dataclass(frozen=True)
class Trial:
    file: str  # the text template this trial renders (with its HTML part, when there is one)
    action: Action
    prospect: Prospect


@dataclass(frozen=True)
class Plan:
    trials: tuple[Trial, ...]
    pages: tuple[str, ...]  # "digest", "report": the caller renders them with sample figures
    # (from the shipped templates when the folder has none: they are in ``shipped`` then)
    unused: tuple[str, ...]  # files no mail of ours renders
    shipped: tuple[str, ...]  # mails the folder has no plain template for: the shipped one
    missing: tuple[str, ...] = ()  # mails with a template neither here nor shipped


def sample_prospect(
    now: datetime, agent: str, *, source: str = "email", interest: str = "product_information",
    language: str = "",
) -> Prospect:  # fmt: skip
    """A record with every field a template may show, as an agent has handled it."""
    asked, answered = now - timedelta(days=3), now - timedelta(days=2)
    timeline = (
        Event(asked, Direction.IN, "inquiry", "<m1@example.org>", "Do you ship to Cape Town?"),
        Event(asked, Direction.OUT, "acknowledgment", "<ia.1.ack@example.com>", "acknowledged"),
        Event(answered, Direction.OUT, "agent_reply", "<a1@example.com>", "Prices attached"),
    )
    return Prospect(
        id=1, email="jane@example.org", created_at=asked, name="Jane",
        surname="Doe", phone="+27825550147", phone_raw="082 555 0147", company="Doe & Co",
        subject="Question about your widgets", question="Do you ship 40 widgets to Cape Town?",
        assigned_to=agent, stage=Stage.LEAD, acknowledged_at=asked,
        first_response_at=answered, information_sent_at=answered, last_inbound_at=asked,
        form=(("Phone", "082 555 0147"), ("Message", "Do you ship 40 widgets to Cape Town?")),
        message_ids=tuple(e.message_id for e in timeline), timeline=timeline, source=source,
        interest=interest, language=language,
    )  # fmt: skip


def sample_records(now: datetime, agent: str) -> tuple[Prospect, ...]:
    """Two records for the digest's and the review's trial: one answered (with a quote), one
    still waiting for anyone, so that the pages' tables and lists have rows to show."""
    answered = replace(sample_prospect(now, agent), quote=Quote("1500"))
    asked = now - timedelta(days=3)
    waiting = Prospect(
        id=2, email="sam@example.net", created_at=asked, name="Sam", source="website",
        subject="Prices?", question="How much for 10?", last_inbound_at=asked,
        timeline=(Event(asked, Direction.IN, "inquiry", "<m2@example.net>", "How much?"),),
    )  # fmt: skip
    return answered, waiting


def mails_for(
    record: Prospect, agent: str, cadence_mail: Iterable[str], now: datetime, agent_name: str = ""
) -> dict[str, Action]:
    """The mail each template name is for, about ``record``: to the person, or to ``agent``
    (for ``check``, and for ``preview``, which shows any of them for a stored record)."""
    pid, person = record.id, record.email
    theirs = [e.message_id for e in record.timeline if e.direction == Direction.IN]
    mid = theirs[-1] if theirs else "<m1@example.org>"
    found: dict[str, Action] = {
        "acknowledgment": Acknowledge(pid, person),
        "notification": Notify(pid, agent, NotifyReason.NEW_PROSPECT, record.question),
        "confirmation": Confirm(pid, agent, mid, applied=("#status email",)),
        "delivery_failed": DeliveryFailed(pid, agent, f"{pid}:ack", MailKind.ACKNOWLEDGMENT,
                                          person, "550 5.1.1 no such user"),
        "relayed_answer": RelayAnswer(pid, person, agent, agent_name or agent, "Hi, yes we do.",
                                      mid),
        "relay_outcome": RelayOutcome(pid, agent, mid, sent=True),
        "revive_reminder": ReviveReminder(pid, agent, 2, (now - timedelta(days=3)).isoformat()),
        "information_overdue": InformationOverdue(pid, agent),
        "cap_notice": CapNotice(pid, agent, "domain", "10 an hour", now.strftime("%Y-%m-%dT%H")),
        "opted_out": OptedOut(pid, agent, "Please stop emailing me."),
    }  # fmt: skip
    for n, name in enumerate(sorted(set(cadence_mail)), start=1):
        found[name] = FollowUp(pid, person, n, name, in_reply_to=mid)
    return found


def plan(
    files: Iterable[str], *, agent: str, cadence_mail: Iterable[str], languages: Sequence[str],
    sources: Iterable[str], interests: Iterable[str], now: datetime,
    shipped_files: Iterable[str] = (),
) -> Plan:  # fmt: skip
    """What to render for each of ``files`` (names in the template folder; ``shipped_files``:
    those that ship): ``cadence_mail`` are the templates the follow-up cadences and the drip
    send to the prospect."""
    actions = mails_for(sample_prospect(now, agent), agent, cadence_mail, now)
    known = {"language": set(languages), "source": set(sources), "interest": set(interests)}
    names = set(files)
    trials: list[Trial] = []
    unused: list[str] = []
    for file in sorted(names):
        if file.startswith("_"):
            continue  # a part other templates import (``_page.html.j2``), tried with them
        if file.endswith(".html.j2") and file.removesuffix(".html.j2") + ".txt.j2" not in names:
            unused.append(file)  # an HTML part goes only with the text part of its name
            continue
        if not file.endswith(".txt.j2"):
            continue  # an HTML part (tried with its text part), or not a template (a README)
        base, *parts = file.removesuffix(".txt.j2").split(".")
        if base in PAGES and not parts:
            continue  # tried as a page, below
        fields = _fields(parts, known)
        if base not in actions or fields is None:
            unused.append(file)
            continue
        trials.append(Trial(file, actions[base], sample_prospect(now, agent, **fields)))
    ships = set(shipped_files)
    lacking = sorted(n for n in (*actions, *PAGES) if f"{n}.txt.j2" not in names)
    shipped = tuple(n for n in lacking if f"{n}.txt.j2" in ships)
    for name in shipped:  # written from the shipped templates: tried with this config too
        if name in actions:
            record = sample_prospect(now, agent)
            trials.append(Trial(f"{name}.txt.j2 (shipped)", actions[name], record))
    missing = tuple(n for n in lacking if n not in shipped)
    return Plan(tuple(trials), PAGES, tuple(unused), shipped, missing)


def _fields(parts: Sequence[str], known: dict[str, set[str]]) -> dict[str, str] | None:
    """``["quote", "es"]`` → interest quote, language es; None when a part names nothing
    the rules know (so the renderer would never pick the file)."""
    fields: dict[str, str] = {}
    for part in parts:
        field = next((f for f in ("language", "source", "interest")
                      if part in known[f] and f not in fields), None)  # fmt: skip
        if field is None:
            return None
        fields[field] = part
    return fields
