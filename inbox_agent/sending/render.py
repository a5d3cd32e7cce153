"""Rendering: an outbox entry's action plus its record become the finished ``Letter``. Pure.

One method per action type of ``sending.actions``; each picks its templates, fills them with the
record (as data, never as template code) and builds the letter with safe headers
(``sending.letters``). Agents' mail is internal: it goes to the agent, never to the prospect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from inbox_agent.exceptions import LetterError
from inbox_agent.records.prospect import Direction, Prospect
from inbox_agent.records.threads import marker_for
from inbox_agent.sending.actions import (
    Acknowledge,
    Action,
    CapNotice,
    Confirm,
    CourtesyNote,
    DeliveryFailed,
    Digest,
    Drip,
    FollowUp,
    InformationOverdue,
    Notify,
    NotifyReason,
    OptedOut,
    RelayAnswer,
    RelayOutcome,
    ReviveReminder,
)
from inbox_agent.sending.layout import page
from inbox_agent.sending.letters import (
    Identity,
    Letter,
    Templates,
    build,
    list_unsubscribe,
    prospect_context,
    reply_link,
    reply_subject,
)


@dataclass(frozen=True)
class Business:
    """What the letters say about the business."""

    name: str
    next_step: str  # what happens next, in the acknowledgment
    within_hours: float  # the acknowledgment SLA, in hours
    phone: str = ""  # the business's phone, in the follow-ups' signature
    agents: Mapping[str, str] = field(default_factory=dict)  # agent address -> name
    sources: Mapping[str, str] = field(default_factory=dict)  # source name -> label
    interests: Mapping[str, str] = field(default_factory=dict)  # interest name -> label

    def source_label(self, name: str) -> str:
        return self.sources.get(name) or _plain(name)

    def interest_label(self, name: str) -> str:
        return self.interests.get(name) or _plain(name)


def full_name(p: Prospect) -> str:
    """How a notice names the person: their name, else their address."""
    return f"{p.name} {p.surname}".strip() or p.email


def _plain(name: str) -> str:
    """A name no label was given for, as a person reads it: ``google_ads`` -> "Google ads"."""
    return name.replace("_", " ").capitalize() if "." not in name else name


class Renderer:
    """Turns an outbox entry's action into the finished letter, from the templates and record."""

    def __init__(self, templates: Templates, identity: Identity, business: Business) -> None:
        self.templates = templates
        self.identity = identity
        self.business = business

    def render(self, action: Action, prospect: Prospect | None, now: datetime) -> Letter:
        if isinstance(action, Digest):
            return self._digest(action, now)
        if prospect is None:
            raise LetterError(f"{action.key}: its record is missing")
        if isinstance(action, Notify):
            return self._notification(action, prospect, now)
        if isinstance(action, Confirm):
            return self._confirmation(action, prospect, now)
        if isinstance(action, DeliveryFailed):
            return self._delivery_failed(action, prospect, now)
        if isinstance(action, RelayAnswer):
            return self._relayed_answer(action, prospect, now)
        if isinstance(action, RelayOutcome):
            return self._relay_outcome(action, prospect, now)
        if isinstance(action, CourtesyNote | FollowUp | Drip):
            return self._follow_up(action, prospect, now)
        if isinstance(action, ReviveReminder):
            return self._revive_reminder(action, prospect, now)
        if isinstance(action, InformationOverdue):
            return self._information_overdue(action, prospect, now)
        if isinstance(action, CapNotice):
            return self._cap_notice(action, prospect, now)
        if isinstance(action, OptedOut):
            return self._opted_out(action, prospect, now)
        return self._acknowledgment(action, prospect, now)

    def _context(self, prospect: Prospect) -> dict[str, object]:
        about = {
            "source_label": self.business.source_label(prospect.source),
            "interest_label": self.business.interest_label(prospect.interest),
        }
        agent = prospect.assigned_to or ""
        return {
            "business": {"name": self.business.name, "phone": self.business.phone},
            "prospect": {**prospect_context(prospect), **about},
            "assigned": {"email": agent, "name": self.business.agents.get(agent, "")},
            "agent": None,
            "next_step": self.business.next_step,
            "within_hours": self.business.within_hours,
            "reference": marker_for(prospect.id),
        }

    def _acknowledgment(self, action: Acknowledge, prospect: Prospect, now: datetime) -> Letter:
        text, html = self.templates.render(
            "acknowledgment", self._context(prospect), source=prospect.source,
            interest=prospect.interest, language=prospect.language,
        )  # fmt: skip
        inbound = [e.message_id for e in prospect.timeline if e.direction == Direction.IN]
        subject = prospect.subject or f"Your inquiry to {self.business.name}"
        return build(
            key=action.key, kind=action.kind, prospect=prospect, identity=self.identity,
            subject=reply_subject(subject), text=text, html=html, now=now,
            in_reply_to=inbound, auto_submitted=action.auto_submitted,
        )  # fmt: skip

    def _internal(
        self, action: Action, prospect: Prospect, headline: str, text: str, now: datetime,
        in_reply_to: Sequence[str] = (),
    ) -> Letter:  # fmt: skip
        """A plain-text notice about a record, to an agent or an owner: internal only."""
        return build(
            key=action.key, kind=action.kind, prospect=prospect, identity=self.identity,
            subject=f"[{marker_for(prospect.id)}] {headline}", text=text, html=None, now=now,
            in_reply_to=[r for r in in_reply_to if r], auto_submitted=action.auto_submitted,
            to=action.recipient, to_name="",
        )  # fmt: skip

    def _notification(self, action: Notify, prospect: Prospect, now: datetime) -> Letter:
        """To the agent: internal, never to the prospect; replying to it reaches sales@."""
        name = full_name(prospect)
        replied = action.reason == NotifyReason.REPLIED
        headline = f"{name} replied" if replied else f"New prospect: {name}"
        first_in = next(
            (e.message_id for e in prospect.timeline if e.direction == Direction.IN), ""
        )
        words = action.words or prospect.question
        context = {
            **self._context(prospect),
            # what a person must check first (an address the sender chose, …): beside the name
            "headline": f"{headline}\n(!) {prospect.attention}" if prospect.attention else headline,
            "words": words,
            "status": prospect.status,
            "reply_link": reply_link(
                prospect, self.identity.address, prospect.subject,
                action.in_reply_to or first_in, words,
            ),
        }  # fmt: skip
        text, html = self.templates.render("notification", context)
        labels = (
            self.business.interest_label(prospect.interest),
            self.business.source_label(prospect.source),
        )
        about = ", ".join(labels)
        return build(
            key=action.key, kind=action.kind, prospect=prospect, identity=self.identity,
            subject=f"[{marker_for(prospect.id)}] {headline} ({about})",
            text=text, html=html, now=now, auto_submitted=action.auto_submitted,
            to=action.recipient, to_name="",
        )  # fmt: skip

    def _confirmation(self, action: Confirm, prospect: Prospect, now: datetime) -> Letter:
        context = {
            **self._context(prospect),
            "applied": list(action.applied),
            "errors": list(action.errors),
            "prospect_status": prospect.status,
            "prospect_stage": prospect.stage,
        }
        text, _ = self.templates.render("confirmation", context)
        headline = f"Done: {prospect.name or prospect.email}"
        return self._internal(action, prospect, headline, text, now, [action.in_reply_to])

    def _delivery_failed(self, action: DeliveryFailed, prospect: Prospect, now: datetime) -> Letter:
        context = {
            **self._context(prospect),
            "failed_kind": action.failed_kind.replace("_", " "),
            "address": action.address,
            "reason": action.reason,
        }
        text, _ = self.templates.render("delivery_failed", context)
        headline = f"Not delivered: {full_name(prospect)}, please write yourself"
        return self._internal(action, prospect, headline, text, now)

    def _relayed_answer(self, action: RelayAnswer, prospect: Prospect, now: datetime) -> Letter:
        """The agent's own words to the prospect, from the shared address, signed by them."""
        context = {**self._context(prospect), "text": action.text,
                   "agent": {"name": action.agent_name, "email": action.agent}}  # fmt: skip
        text, html = self.templates.render("relayed_answer", context)
        subject = prospect.subject or f"Your inquiry to {self.business.name}"
        refs = (*action.references, action.in_reply_to)
        return build(
            key=action.key, kind=action.kind, prospect=prospect, identity=self.identity,
            subject=reply_subject(subject), text=text, html=html, now=now,
            in_reply_to=[r for r in dict.fromkeys(refs) if r], auto_submitted=None,
            from_name=f"{action.agent_name} ({self.business.name})",
        )  # fmt: skip

    def _relay_outcome(self, action: RelayOutcome, prospect: Prospect, now: datetime) -> Letter:
        context = {**self._context(prospect), "sent": action.sent, "detail": action.detail}
        text, _ = self.templates.render("relay_outcome", context)
        name = full_name(prospect)
        headline = f"Sent to {name}" if action.sent else f"NOT sent to {name}"
        return self._internal(action, prospect, headline, text, now, [action.source])

    def _follow_up(
        self, action: CourtesyNote | FollowUp | Drip, prospect: Prospect, now: datetime
    ) -> Letter:
        """To the prospect, in their language when a template for it exists, threaded."""
        text, html = self.templates.render(
            action.template, self._context(prospect), language=prospect.language
        )
        subject = prospect.subject or f"Your inquiry to {self.business.name}"
        marker = marker_for(prospect.id)
        return build(
            key=action.key, kind=action.kind, prospect=prospect, identity=self.identity,
            subject=reply_subject(subject), text=text, html=html, now=now,
            in_reply_to=[r for r in dict.fromkeys((*action.references, action.in_reply_to)) if r],
            auto_submitted=action.auto_submitted,
            headers={"List-Unsubscribe": list_unsubscribe(prospect, self.identity.address, marker)},
        )  # fmt: skip

    def _revive_reminder(self, action: ReviveReminder, prospect: Prospect, now: datetime) -> Letter:
        since = datetime.fromisoformat(action.since)
        sent = [e.summary for e in prospect.timeline
                if e.direction == Direction.OUT and e.kind != "acknowledgment"]  # fmt: skip
        context = {
            **self._context(prospect),
            "silent_days": max(0, round((now - since).total_seconds() / 86400)),
            "since": since.strftime("%Y-%m-%d"),
            "sent": sent[-3:],
        }
        text, _ = self.templates.render("revive_reminder", context)
        headline = f"Phone {full_name(prospect)} today: no answer since {context['since']}"
        return self._internal(action, prospect, headline, text, now)

    def _information_overdue(
        self, action: InformationOverdue, prospect: Prospect, now: datetime
    ) -> Letter:
        hours = max(0, round((now - prospect.created_at).total_seconds() / 3600))
        context = {**self._context(prospect), "hours": hours}
        text, _ = self.templates.render("information_overdue", context)
        headline = f"Overdue: nothing sent to {full_name(prospect)} in {hours} h"
        return self._internal(action, prospect, headline, text, now)

    def _opted_out(self, action: OptedOut, prospect: Prospect, now: datetime) -> Letter:
        """To the agent, once: the person asked us to stop; their record is closed."""
        text, _ = self.templates.render("opted_out", {**self._context(prospect), "how": action.how})
        headline = f"{full_name(prospect)} asked us to stop writing"
        return self._internal(action, prospect, headline, text, now)

    def _cap_notice(self, action: CapNotice, prospect: Prospect, now: datetime) -> Letter:
        """To the agent or a supervisor: a cap held an acknowledgment back (internal)."""
        context = {
            **self._context(prospect),
            "scope": action.scope,
            "limit": action.limit,
            "hour": action.hour,
        }
        text, _ = self.templates.render("cap_notice", context)
        headline = f"Automatic mail held back: {action.scope} cap"
        return self._internal(action, prospect, headline, text, now)

    # -- pages: the daily digest (mailed) and the monthly review (printed) ----------------------
    def page(self, name: str, data: Mapping[str, object]) -> tuple[str, str | None]:
        """(text, HTML or None) of the page ``name`` (``digest``, ``report``) for ``data``. A
        template folder made before these pages existed gets the shipped ones."""
        templates = self.templates
        if templates.fallback is not None and not templates.has(name):
            templates = templates.fallback  # with its own layout (``_page.html.j2``)
        return page(templates, name, data)

    def _digest(self, action: Digest, now: datetime) -> Letter:
        """To the owner, from the shared address: about no one record, marked automatic."""
        text, html = self.page("digest", action.content)
        subject = str(action.content.get("subject") or f"{self.business.name}: daily digest")
        return build(
            key=action.key, kind=action.kind, prospect=None, identity=self.identity,
            subject=subject, text=text, html=html, now=now,
            auto_submitted=action.auto_submitted, to=action.recipient, to_name="",
        )  # fmt: skip
