"""Rendering: an outbox entry's action plus its record become the finished ``Letter``. Pure.

One method per action type of ``sending.actions``; each picks its templates, fills them with the
record (as data, never as template code) and builds the letter with safe headers
(``sending.letters``). Agents' mail is internal: it goes to the agent, never to the prospect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inbox_agent.records.prospect import Direction, Prospect
from inbox_agent.records.threads import marker_for
from inbox_agent.sending.actions import (
    Acknowledge,
    Action,
    CapNotice,
    Confirm,
    Notify,
    NotifyReason,
)
from inbox_agent.sending.letters import (
    Identity,
    Letter,
    Templates,
    build,
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


class Renderer:
    """Turns an outbox entry's action into the finished letter, from the templates and record."""

    def __init__(self, templates: Templates, identity: Identity, business: Business) -> None:
        self.templates = templates
        self.identity = identity
        self.business = business

    def render(self, action: Action, prospect: Prospect, now: datetime) -> Letter:
        if isinstance(action, Notify):
            return self._notification(action, prospect, now)
        if isinstance(action, Confirm):
            return self._confirmation(action, prospect, now)
        if isinstance(action, CapNotice):
            return self._cap_notice(action, prospect, now)
        return self._acknowledgment(action, prospect, now)

    def _context(self, prospect: Prospect) -> dict[str, object]:
        return {
            "business": {"name": self.business.name},
            "prospect": prospect_context(prospect),
            "agent": None,
            "next_step": self.business.next_step,
            "within_hours": self.business.within_hours,
            "reference": marker_for(prospect.id),
        }

    def _acknowledgment(self, action: Acknowledge, prospect: Prospect, now: datetime) -> Letter:
        text, html = self.templates.render(
            "acknowledgment", self._context(prospect), source=prospect.source,
            interest=prospect.interest,
        )  # fmt: skip
        inbound = [e.message_id for e in prospect.timeline if e.direction == Direction.IN]
        subject = prospect.subject or f"Your inquiry to {self.business.name}"
        return build(
            key=action.key, kind=action.kind, prospect=prospect, identity=self.identity,
            subject=reply_subject(subject), text=text, html=html, now=now,
            in_reply_to=inbound, auto_submitted=action.auto_submitted,
        )  # fmt: skip

    def _notification(self, action: Notify, prospect: Prospect, now: datetime) -> Letter:
        """To the agent: internal, never to the prospect; replying to it reaches sales@."""
        name = f"{prospect.name} {prospect.surname}".strip() or prospect.email
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
        about = f"{prospect.interest}, {prospect.source}"
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
        return build(
            key=action.key, kind=action.kind, prospect=prospect, identity=self.identity,
            subject=f"[{marker_for(prospect.id)}] Done: {prospect.name or prospect.email}",
            text=text, html=None, now=now, in_reply_to=[action.in_reply_to],
            auto_submitted=action.auto_submitted, to=action.recipient, to_name="",
        )  # fmt: skip

    def _cap_notice(self, action: CapNotice, prospect: Prospect, now: datetime) -> Letter:
        """To the agent or a supervisor: a cap held an acknowledgment back (internal)."""
        context = {
            **self._context(prospect),
            "scope": action.scope,
            "limit": action.limit,
            "hour": action.hour,
        }
        text, _ = self.templates.render("cap_notice", context)
        return build(
            key=action.key, kind=action.kind, prospect=prospect, identity=self.identity,
            subject=f"[{marker_for(prospect.id)}] Automatic mail held back: {action.scope} cap",
            text=text, html=None, now=now, auto_submitted=action.auto_submitted,
            to=action.recipient, to_name="",
        )  # fmt: skip
