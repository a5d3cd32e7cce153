"""The schema of ``rules.toml``: for each section, its keys and the check each value must pass.

A *check* takes a parsed TOML value and returns what is wrong with it, or None. ``config`` walks
the file against ``SCHEMA`` (plain sections), ``AGENT_KEYS`` (each ``[[agents]]`` table) and
``REQUIRED``; the lists in ``LISTS`` have parsers of their own (``mail.sources``,
``records.assignment``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECURITY = ("ssl", "starttls", "none")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$|^[^@\s<>\"]+@localhost$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Check = Callable[[Any], str | None]  # returns what is wrong, or None


def _type(kind: type | tuple[type, ...], what: str) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) and kind is not bool and bool not in _as_tuple(kind):
            return f"must be {what}, not a boolean"
        return None if isinstance(value, kind) else f"must be {what}, not {value!r}"

    return check


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _email(value: Any) -> str | None:
    if not isinstance(value, str) or not _EMAIL.match(value):
        return f"must be an email address, not {value!r}"
    return None


def _emails(value: Any) -> str | None:
    if not isinstance(value, list):
        return "must be a list of email addresses"
    bad = [v for v in value if _email(v)]
    return f"not email addresses: {bad!r}" if bad else None


def _one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}; got {value!r}"

    return check


def _port(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536
    return None if ok else f"must be a port number 1-65535, not {value!r}"


def _positive(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return None if ok else f"must be a positive number, not {value!r}"


def _env_name(value: Any) -> str | None:
    if not isinstance(value, str) or not _ENV.match(value):
        return f"must name an environment variable (letters, digits, _), not {value!r}"
    return None


def _timezone(value: Any) -> str | None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return f"is not an IANA time zone name: {value!r}"
    return None


def _clock(value: Any) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        return None
    return f"must be a time HH:MM, not {value!r}"


def _strings(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
    return None if ok else f"must be a list of names, not {value!r}"


_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LANGUAGES = ("en", "de", "fr", "es", "pt", "nl", "it")  # the languages we ship templates in
CHANNELS = ("mail", "task")


def _hours(value: Any) -> str | None:
    found = _HOURS.fullmatch(value) if isinstance(value, str) else None
    if found is None or value.split("-")[0] >= value.split("-")[1]:
        return f'must be opening hours "HH:MM-HH:MM", opening before closing, not {value!r}'
    return None


def _days(value: Any) -> str | None:
    ok = (
        isinstance(value, list)
        and value
        and all(isinstance(v, str) and v.strip().lower()[:3] in DAY_NAMES for v in value)
    )
    return None if ok else f'must be a list of days such as ["mon", "tue"], not {value!r}'


def _country(value: Any) -> str | None:
    if value == "":
        return None
    import holidays  # the check only; config reads the calendar through plan.calendar

    if isinstance(value, str) and value.upper() in holidays.list_supported_countries():
        return None
    return f'must be a country code for public holidays (e.g. "ZA", "DE"), or "", not {value!r}'


def _dates(value: Any) -> str | None:
    import datetime as dt

    if not isinstance(value, list):
        return 'must be a list of dates, e.g. ["2026-12-24"]'
    for item in value:
        try:
            dt.date.fromisoformat(str(item))
        except ValueError:
            return f"not a date YYYY-MM-DD: {item!r}"
    return None


def _languages(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) and len(v) == 2 for v in value)
    return None if ok else 'must be a list of two-letter language codes, e.g. ["en", "es"]'


def _count(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else f"must be a whole number, 0 or more, not {value!r}"


def _drip(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return 'must be a list of template names, e.g. ["drip", "drip_2"], or [] for no drip'
    if len(value) == 1 or any(a == b for a, b in itertools.pairwise(value)):
        return "needs two templates at least, no two alike in a row (no one gets one twice running)"
    return None


def _cadence(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return "must be a list of steps ([[followups.lead]] tables)"
    last = None
    for i, step in enumerate(value):
        unknown = set(step) - {"after_hours", "channel", "template"}
        if unknown:
            return f"step {i + 1}: unknown keys {sorted(unknown)} (after_hours, channel, template)"
        if _positive(step.get("after_hours")) is not None:
            return f"step {i + 1}: after_hours must be a positive number of hours"
        if step.get("channel", "mail") not in CHANNELS:
            return f"step {i + 1}: channel must be mail (to the prospect) or task (for the agent)"
        if not isinstance(step.get("template"), str) or not step["template"]:
            return f"step {i + 1}: template must name a template (e.g. courtesy_note)"
        if step.get("channel", "mail") == "mail":
            if step["template"] == last:
                return f"step {i + 1}: the same template as the mail before it"
            last = step["template"]
    return None


def _names(value: Any) -> str | None:
    """A table of name = "Label": what the owner calls a source or an interest in mail."""
    ok = isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    )
    return None if ok else 'must be a table of name = "Label", e.g. { email = "Direct email" }'


def _regexes(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return "must be a list of regular expressions"
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"{pattern!r}: bad regex: {exc}"
    return None


def _host_port(value: Any) -> str | None:
    if isinstance(value, str) and (value == "" or re.fullmatch(r"[\w.-]+:\d{1,5}", value)):
        port = int(value.rpartition(":")[2]) if value else 1
        if 0 < port < 65536:
            return None
    return f'must be "host:port" (e.g. "127.0.0.1:783"), not {value!r}'


def _whole(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else f"must be a whole number above 0, not {value!r}"


def _spam_headers(value: Any) -> str | None:
    if not isinstance(value, dict):
        return 'must be a table of header = "regex"'
    for name, pattern in value.items():
        try:
            re.compile(str(pattern))
        except re.error as exc:
            return f"{name}: bad regex: {exc}"
    return None


_STR, _BOOL, _INT = _type(str, "text"), _type(bool, "true or false"), _type(int, "a whole number")

SCHEMA: dict[str, dict[str, Check]] = {
    "business": {
        "name": _STR, "timezone": _timezone, "website": _STR, "phone": _STR, "hours": _hours,
        "days": _days, "holidays": _country, "holidays_subdivision": _STR, "closed": _dates,
        "languages": _languages,
    },
    "followups": {
        "business_hours_only": _BOOL, "lead_cap": _count, "prospect_cap": _count,
        "drip": _drip, "drip_days": _positive, "lead": _cadence, "prospect": _cadence,
    },
    "mailbox": {
        "address": _email, "host": _STR, "port": _port, "security": _one_of(*SECURITY),
        "username": _STR, "password_env": _env_name, "allow_insecure": _BOOL,
        "aliases": _emails, "inbox": _STR, "sent": _STR, "batch_size": _positive,
        "max_message_bytes": _positive, "timeout_s": _positive, "ca_file": _STR,
    },
    "smtp": {
        "host": _STR, "port": _port, "security": _one_of(*SECURITY), "username": _STR,
        "password_env": _env_name, "allow_insecure": _BOOL, "timeout_s": _positive,
        "ca_file": _STR,
    },
    "store": {"path": _STR, "keep_bodies": _BOOL},
    "classify": {
        "default_source": _STR, "default_interest": _STR, "default_region": _STR,
        "loop_header": _STR, "spam_headers": _spam_headers, "spam_body": _regexes,
        "spamd": _host_port, "spamd_timeout_s": _positive,
    },
    "digest": {"to": _emails, "at": _clock},
    "acknowledgment": {
        "display_name": _STR, "templates": _STR, "next_step": _STR, "max_age_hours": _positive,
        "per_recipient_cap": _positive, "cap_window_hours": _positive,
        "per_domain_hourly_cap": _whole, "mailbox_hourly_cap": _whole,
    },
    "sla": {"acknowledge_hours": _positive, "respond_hours": _positive},
    "daemon": {"poll_interval_s": _positive, "safety_poll_s": _positive, "idle_renew_s": _positive},
    "commands": {
        "trust": _one_of("authentication-results", "from-header"), "authserv_ids": _strings,
        "owners": _emails,
    },
    "labels": {"sources": _names, "interests": _names},
}  # fmt: skip
AGENT_KEYS: dict[str, Check] = {"name": _STR, "email": _email, "away": _BOOL}
REQUIRED = {"mailbox": ("address", "host"), "store": ("path",)}
LISTS = ("agents", "sources", "interests", "assignment")
