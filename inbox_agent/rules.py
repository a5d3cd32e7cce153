"""The settings turned into the rules each pure layer needs: reading a message, deciding what
it does, planning follow-ups and the digest, making reports, rendering letters, and the spam
filter to ask. One function each; nothing here does I/O (the spam checker connects when it is
asked).
"""

from __future__ import annotations

from datetime import time, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from inbox_agent.config import Settings
from inbox_agent.mail.classify import ClassifyPolicy
from inbox_agent.mail.reading import ReadingRules
from inbox_agent.plan.digest import DigestSchedule
from inbox_agent.plan.followups import FollowUpRules
from inbox_agent.plan.guards import AckPolicy
from inbox_agent.plan.inbound import InboundRules
from inbox_agent.records.trust import TrustPolicy
from inbox_agent.report.facts import ReportRules
from inbox_agent.sending.letters import MESSAGE_ID_PREFIX, Identity, Templates
from inbox_agent.sending.render import Business, Renderer
from inbox_agent.spamd import SpamCheck, SpamdClient, spam_check


def reading_rules(settings: Settings) -> ReadingRules:
    own = settings.mailbox.own_addresses
    policy = ClassifyPolicy(
        own_addresses=own,
        own_message_id_domains=frozenset({settings.message_id_domain}),
        own_message_id_prefix=MESSAGE_ID_PREFIX,
        loop_header=settings.classify.loop_header,
        spam_headers=settings.classify.spam_headers,
        spam_body=settings.classify.spam_body,
        authserv_ids=frozenset(settings.commands.authserv_ids),
    )
    c = settings.classify
    return ReadingRules(
        policy, settings.sources, settings.interests, c.default_source, c.default_interest,
        c.default_region, own, settings.staff, settings.site_domains, settings.business.languages,
    )  # fmt: skip


def inbound_rules(settings: Settings) -> InboundRules:
    ack = settings.acknowledgment
    return InboundRules(
        reading=reading_rules(settings),
        agents=settings.agents,
        assignment=settings.assignment,
        trust=TrustPolicy(settings.commands.trust, frozenset(settings.commands.authserv_ids)),
        keep_bodies=settings.store.keep_bodies,
        ack=AckPolicy(
            max_age=timedelta(hours=ack.max_age_hours),
            cap=int(ack.per_recipient_cap),
            window=timedelta(hours=ack.cap_window_hours),
            domain_cap=int(ack.per_domain_hourly_cap),
            mailbox_cap=int(ack.mailbox_hourly_cap),
        ),
        supervisors=settings.supervisors,
    )


def spam_checker(settings: Settings) -> SpamCheck | None:
    """Ask ``[classify] spamd`` about a person's mail, when it is set."""
    c = settings.classify
    return spam_check(SpamdClient.at(c.spamd, timeout=c.spamd_timeout_s)) if c.spamd else None


def followup_rules(settings: Settings) -> FollowUpRules:
    f = settings.followups
    return FollowUpRules(
        calendar=settings.business.calendar(), lead=f.lead, prospect=f.prospect,
        lead_cap=f.lead_cap, prospect_cap=f.prospect_cap, drip=f.drip, drip_days=f.drip_days,
        information_hours=settings.sla.respond_hours, business_hours_only=f.business_hours_only,
        supervisors=settings.supervisors,
    )  # fmt: skip


def business(settings: Settings) -> Business:
    """What the letters say about the business."""
    labels = settings.labels
    return Business(
        settings.business.name, settings.acknowledgment.next_step,
        settings.sla.acknowledge_hours, phone=settings.business.phone,
        agents={a.email: a.name for a in settings.agents},
        sources=dict(labels.sources), interests=dict(labels.interests),
    )  # fmt: skip


def shipped_templates() -> Path:
    """The templates that ship with the package (what ``inbox-agent init`` writes)."""
    return Path(str(resources.files("inbox_agent") / "starter" / "templates"))


def renderer(settings: Settings) -> Renderer:
    ack = settings.acknowledgment
    identity = Identity(settings.mailbox.address, ack.display_name, settings.classify.loop_header)
    shipped = Templates(shipped_templates())
    return Renderer(Templates(ack.templates, shipped), identity, business(settings))


def report_rules(settings: Settings) -> ReportRules:
    sla = settings.sla
    return ReportRules(
        business=business(settings),
        tz=ZoneInfo(settings.business.timezone),
        acknowledge_within=timedelta(hours=sla.acknowledge_hours),
        inform_within=timedelta(hours=sla.respond_hours),
        agents=tuple((a.email, a.name) for a in settings.agents),
    )


def digest_schedule(settings: Settings) -> DigestSchedule:
    d = settings.digest
    return DigestSchedule(time.fromisoformat(d.at), ZoneInfo(settings.business.timezone), d.to)
