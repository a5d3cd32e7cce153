"""Settings: ``rules.toml`` read with tomllib into frozen, validated dataclasses.

Every problem in the file is collected and reported at once (``ConfigError`` with file, key and
what is wrong); unknown keys get a did-you-mean. Secrets never live in the file: it names the
environment variables that hold them, read by ``secret()`` only when a connection is made.
Relative paths resolve against the config file's folder.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from inbox_agent.exceptions import ConfigError, Problem
from inbox_agent.mail.classify import GTUBE
from inbox_agent.mail.sources import (
    InterestRule,
    SourceRule,
    parse_interest_rules,
    parse_source_rules,
)
from inbox_agent.plan.calendar import Calendar, days_of
from inbox_agent.plan.followups import DEFAULT_LEAD, DEFAULT_PROSPECT, Channel, Step
from inbox_agent.problems import Problems
from inbox_agent.records.assignment import Agent, AssignmentRule, parse_assignment_rules
from inbox_agent.schema import AGENT_KEYS, LISTS, REQUIRED, SCHEMA, Check


@dataclass(frozen=True)
class BusinessSettings:
    name: str = "Our business"
    timezone: str = "UTC"
    website: str = ""  # e.g. "https://acme.example": its forms send from this domain
    phone: str = ""  # the business's phone, in the signature of follow-ups
    hours: str = "08:00-17:00"  # when follow-ups may go out (the acknowledgment goes at once)
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: str = ""  # country code for public holidays (the `holidays` package), "" for none
    holidays_subdivision: str = ""
    closed: tuple[str, ...] = ()  # more closed days, YYYY-MM-DD
    languages: tuple[str, ...] = ("en", "de", "fr", "es", "pt", "nl", "it")

    def calendar(self) -> Calendar:
        opens, closes = (time.fromisoformat(t) if t != "24:00" else time.max
                         for t in self.hours.split("-"))  # fmt: skip
        return Calendar(
            self.timezone, opens, closes, days_of(self.days), self.holidays.upper(),
            self.holidays_subdivision, frozenset(date.fromisoformat(d) for d in self.closed),
        )  # fmt: skip


@dataclass(frozen=True)
class MailboxSettings:
    address: str
    host: str
    port: int = 993
    security: str = "ssl"
    username: str = ""
    password_env: str = "INBOX_AGENT_IMAP_PASSWORD"
    allow_insecure: bool = False
    aliases: tuple[str, ...] = ()
    inbox: str = "INBOX"
    sent: str = "Sent"
    batch_size: int = 100
    max_message_bytes: int = 25 * 1024 * 1024
    timeout_s: float = 60.0
    ca_file: str = ""

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset({self.address.lower(), *(a.lower() for a in self.aliases)})


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 465
    security: str = "ssl"
    username: str = ""
    password_env: str = "INBOX_AGENT_SMTP_PASSWORD"
    allow_insecure: bool = False
    timeout_s: float = 60.0
    ca_file: str = ""


@dataclass(frozen=True)
class StoreSettings:
    path: Path
    keep_bodies: bool = False


@dataclass(frozen=True)
class ClassifySettings:
    default_source: str = "email"
    default_interest: str = "product_information"
    default_region: str = "US"
    loop_header: str = "X-Inbox-Agent"
    spam_headers: tuple[tuple[str, str], ...] = (
        ("X-Spam-Flag", r"(?i)^\s*yes"),
        ("X-Spam-Status", r"(?i)^\s*yes"),
    )
    spam_body: tuple[str, ...] = (GTUBE,)  # regexes: a body that matches is spam
    spamd: str = ""  # "host:port" of a SpamAssassin spamd to ask about a person's mail
    spamd_timeout_s: float = 10.0


@dataclass(frozen=True)
class DigestSettings:
    to: tuple[str, ...] = ()
    at: str = "07:30"


@dataclass(frozen=True)
class AcknowledgmentSettings:
    display_name: str = ""  # default: the business name
    templates: Path = Path("templates")
    next_step: str = "One of our team will call you shortly, at the latest within one working day."
    max_age_hours: float = 72.0
    per_recipient_cap: int = 5
    cap_window_hours: float = 2.0
    per_domain_hourly_cap: int = 10  # acknowledgments to one domain per hour
    mailbox_hourly_cap: int = 100  # acknowledgments from the whole mailbox per hour


@dataclass(frozen=True)
class FollowUpSettings:
    business_hours_only: bool = False  # delays counted in business hours
    lead_cap: int = 2
    prospect_cap: int = 8
    drip: tuple[str, ...] = ("drip", "drip_2")
    drip_days: float = 30.0
    lead: tuple[Step, ...] = DEFAULT_LEAD
    prospect: tuple[Step, ...] = DEFAULT_PROSPECT


@dataclass(frozen=True)
class SlaSettings:
    acknowledge_hours: float = 24.0
    respond_hours: float = 72.0


@dataclass(frozen=True)
class DaemonSettings:
    poll_interval_s: float = 60.0  # where the server has no IDLE
    safety_poll_s: float = 300.0  # a full poll even while IDLE reports nothing
    idle_renew_s: float = 25 * 60.0  # re-issue IDLE before the 29-minute server limit


@dataclass(frozen=True)
class CommandsSettings:
    trust: str = "authentication-results"  # or "from-header" (weaker; must be chosen explicitly)
    authserv_ids: tuple[str, ...] = ()  # our receiving server's authserv-id(s)
    owners: tuple[str, ...] = ()  # may give commands like agents (and get the digest)


@dataclass(frozen=True)
class LabelsSettings:
    """What a source or an interest is called in mail to people (the code's names otherwise)."""

    sources: tuple[tuple[str, str], ...] = ()
    interests: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Settings:
    """Everything in ``rules.toml``, validated."""

    file: Path
    business: BusinessSettings
    mailbox: MailboxSettings
    smtp: SmtpSettings
    store: StoreSettings
    classify: ClassifySettings
    digest: DigestSettings
    acknowledgment: AcknowledgmentSettings = field(default_factory=AcknowledgmentSettings)
    sla: SlaSettings = field(default_factory=SlaSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    commands: CommandsSettings = field(default_factory=CommandsSettings)
    labels: LabelsSettings = field(default_factory=LabelsSettings)
    followups: FollowUpSettings = field(default_factory=FollowUpSettings)
    agents: tuple[Agent, ...] = ()
    assignment: tuple[AssignmentRule, ...] = ()
    sources: tuple[SourceRule, ...] = ()
    interests: tuple[InterestRule, ...] = ()

    @property
    def staff(self) -> frozenset[str]:
        """Agents and owners: who may give commands by mail."""
        return frozenset({*(a.email for a in self.agents), *self.commands.owners})

    @property
    def supervisors(self) -> tuple[str, ...]:
        """Who hears of what needs a person when no agent does (undeliverable mail, overdue
        information, a cap that trips): the owners, then the digest's readers."""
        return tuple(dict.fromkeys((*self.commands.owners, *(a.lower() for a in self.digest.to))))

    @property
    def message_id_domain(self) -> str:
        return self.mailbox.address.rpartition("@")[2].lower()

    @property
    def site_domains(self) -> frozenset[str]:
        """The business's own domains: the shared mailbox's and its aliases', and the website's
        (without ``www.``). Mail from them is the business's own or its site's forms."""
        found = {a.rpartition("@")[2] for a in self.mailbox.own_addresses}
        host = urlsplit(self.business.website if "//" in self.business.website
                        else f"//{self.business.website}").hostname  # fmt: skip
        if host:
            found.add(host.removeprefix("www."))
        return frozenset(d.lower() for d in found if d)


def secret(env_name: str) -> str:
    """The secret held in the named environment variable; a ConfigError when it is unset."""
    value = os.environ.get(env_name)
    if not value:
        raise ConfigError(
            [Problem("environment", env_name, "is not set; it must hold the password")]
        )
    return value


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _section(
    raw: Mapping[str, Any], name: str, schema: Mapping[str, Check], out: Problems, where: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in raw.items():
        check = schema.get(key)
        if check is None:
            out.unknown(f"{where}{key}", key, list(schema))
            continue
        wrong = check(value)
        if wrong:
            out.add(f"{where}{key}", wrong)
        else:
            values[key] = value
    for key in REQUIRED.get(name, ()):
        if key not in raw:
            out.add(f"{where}{key}", "is required")
    return values


def _tuplify(values: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


def parse_settings(raw: Mapping[str, Any], file: Path) -> Settings:
    """Validate a parsed TOML document; raise ConfigError listing every problem."""
    out = Problems(str(file))
    sections: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        if key in SCHEMA:
            if not isinstance(value, dict):
                out.add(key, "must be a table")
                continue
            sections[key] = _section(value, key, SCHEMA[key], out, f"{key}.")
        elif key not in LISTS:
            out.unknown(key, key, [*SCHEMA, *LISTS])
    for name in REQUIRED:
        if name not in raw:
            out.add(name, "section is required")

    agents: list[Agent] = []
    for i, item in enumerate(raw.get("agents", [])):
        if not isinstance(item, dict):
            out.add(f"agents[{i}]", "must be a table")
            continue
        values = _section(item, "agents", AGENT_KEYS, out, f"agents[{i}].")
        if "email" in values and "name" not in values:
            values["name"] = values["email"].partition("@")[0]
        if "email" in values:
            agents.append(Agent(**{**values, "email": values["email"].lower()}))
        elif "email" not in item:
            out.add(f"agents[{i}].email", "is required")
    sources, problems = parse_source_rules(raw.get("sources", []), str(file))
    out.items.extend(problems)
    interests, problems = parse_interest_rules(raw.get("interests", []), str(file))
    out.items.extend(problems)
    assignment, problems = parse_assignment_rules(
        raw.get("assignment", []), [a.email for a in agents], str(file)
    )
    out.items.extend(problems)

    mailbox_values = _tuplify(sections.get("mailbox", {}))
    smtp_values = _tuplify(sections.get("smtp", {}))
    for name, values in (("mailbox", mailbox_values), ("smtp", smtp_values)):
        host = str(values.get("host", ""))
        if (
            values.get("security") == "none"
            and host
            and not is_loopback(host)
            and not values.get("allow_insecure", False)
        ):
            out.add(
                f"{name}.security",
                f'"none" sends the password in clear to {host}; allowed only for a loopback '
                "host unless allow_insecure = true",
            )
    if out.items:
        raise ConfigError(out.items)

    base = file.parent
    store_values = sections["store"]
    if "address" in mailbox_values:
        mailbox_values["address"] = mailbox_values["address"].lower()
        mailbox_values.setdefault("username", mailbox_values["address"])
    for values in (mailbox_values, smtp_values):
        if values.get("ca_file"):
            values["ca_file"] = str(base / values["ca_file"])
    ack_values = dict(sections.get("acknowledgment", {}))
    ack_values["templates"] = base / ack_values.get("templates", "templates")
    ack_values.setdefault(
        "display_name", sections.get("business", {}).get("name", BusinessSettings.name)
    )
    daemon_values = sections.get("daemon", {})
    if daemon_values.get("idle_renew_s", 0) > 29 * 60:
        raise ConfigError([Problem(str(file), "daemon.idle_renew_s", "must be under 29 minutes")])
    classify_values = dict(sections.get("classify", {}))
    if "spam_headers" in classify_values:
        classify_values["spam_headers"] = tuple(
            (str(k), str(v)) for k, v in classify_values["spam_headers"].items()
        )
    if "spam_body" in classify_values:
        classify_values["spam_body"] = tuple(str(v) for v in classify_values["spam_body"])
    return Settings(
        file=file,
        business=BusinessSettings(**sections.get("business", {})),
        mailbox=MailboxSettings(**mailbox_values),
        smtp=SmtpSettings(**smtp_values),
        store=StoreSettings(
            path=base / store_values["path"], keep_bodies=store_values.get("keep_bodies", False)
        ),
        classify=ClassifySettings(**classify_values),
        digest=DigestSettings(**_tuplify(sections.get("digest", {}))),
        acknowledgment=AcknowledgmentSettings(**ack_values),
        sla=SlaSettings(**sections.get("sla", {})),
        daemon=DaemonSettings(**daemon_values),
        commands=CommandsSettings(
            **{
                **_tuplify(sections.get("commands", {})),
                "owners": tuple(o.lower() for o in sections.get("commands", {}).get("owners", [])),
                "authserv_ids": tuple(
                    a.lower() for a in sections.get("commands", {}).get("authserv_ids", [])
                ),
            }
        ),
        followups=_followups(sections.get("followups", {})),
        labels=LabelsSettings(
            **{k: tuple(v.items()) for k, v in sections.get("labels", {}).items()}
        ),
        agents=tuple(agents),
        sources=sources,
        interests=interests,
        assignment=assignment,
    )


def _followups(values: Mapping[str, Any]) -> FollowUpSettings:
    found = _tuplify(dict(values))
    for stage in ("lead", "prospect"):
        if stage in found:
            found[stage] = tuple(
                Step(float(s["after_hours"]), Channel(s.get("channel", "mail")), s["template"])
                for s in found[stage]
            )
    return FollowUpSettings(**found)


def config_path(explicit: str | None) -> Path:
    """``--config``, else ``$INBOX_AGENT_CONFIG``, else ``./rules.toml``."""
    return Path(explicit or os.environ.get("INBOX_AGENT_CONFIG") or "rules.toml")


def load_settings(path: Path) -> Settings:
    """Read and validate the config file; ConfigError (exit 2) on any problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            [Problem(str(path), "-", "file not found (see `inbox-agent init`)")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), "-", f"cannot read: {exc}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(str(path), "-", f"not valid TOML: {exc}")]) from exc
    return parse_settings(raw, path.resolve())
