"""What kind of mail one message is: ordered, pure detectors over a parsed ``Message``.

Vocabulary:

- A *kind* is one of ``own`` (mail we sent ourselves), ``bounce`` (a delivery status notification
  or a feedback/abuse report), ``spam`` (the receiving server's verdict says so), ``auto_reply``
  (out-of-office, vacation, read receipts, anything an RFC 3834 robot or a no-reply sender sent),
  ``list`` (mailing-list and bulk mail) and ``inquiry`` (everything else: a person writing).
- A *detector* is a small pure function ``(msg, policy) -> reason | None``; ``DETECTORS`` lists
  them in the order they are tried, and the first that gives a reason decides the ``Verdict``.
- A *robot source* is a web-form or ad-platform lead notification that the source rules already
  recognised: machine mail sent on a person's behalf. It often looks automatic (``noreply@``
  sender, ``Auto-Submitted: auto-generated``) yet is an inquiry, so it passes the gate in
  ``DETECTORS`` after our own marks, bounce and spam, and before the auto-reply and list
  detectors. "From is our own address" comes after the gate: some form plugins send as the
  shared address, while our own mail always carries the loop header and our Message-ID domain.

Only headers, MIME structure and, for system senders, a few body phrases are looked at. No I/O,
no clock; every regular expression is compiled once, here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from inbox_agent.mail.message import Message


class Kind(StrEnum):
    """What a message is. The detectors give the first six; threading turns an ``inquiry`` (or a
    person's ``own``) into a ``prospect_reply`` or ``agent_reply``; unreadable mail is
    ``quarantine``. These are the ``kind`` values of ``replay --json`` (INTERFACE.md)."""

    INQUIRY = "inquiry"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    LIST = "list"
    SPAM = "spam"
    OWN = "own"
    PROSPECT_REPLY = "prospect_reply"
    AGENT_REPLY = "agent_reply"
    QUARANTINE = "quarantine"


KINDS = (Kind.INQUIRY, Kind.BOUNCE, Kind.AUTO_REPLY, Kind.LIST, Kind.SPAM, Kind.OWN)  # detectors'
ROBOT_KINDS = frozenset({Kind.BOUNCE, Kind.AUTO_REPLY, Kind.LIST, Kind.SPAM})


@dataclass(frozen=True)
class Verdict:
    kind: Kind  # one of KINDS
    reason: str  # short human text: which signal decided
    detector: str = field(default="", compare=False)  # the name of the detector that decided


@dataclass(frozen=True)
class ClassifyPolicy:
    own_addresses: frozenset[str] = frozenset()  # lower case: the shared address and its aliases
    own_message_id_domains: frozenset[str] = frozenset()  # right-hand side of our Message-IDs
    own_message_id_prefix: str = "ia."  # how our Message-IDs start (letters.message_id_for);
    # the domain alone is not enough: colleagues' mail servers use the same one
    loop_header: str = "X-Inbox-Agent"  # a header we put on all our own mail
    spam_headers: tuple[tuple[str, str], ...] = (  # (header, regex searched in each value)
        ("X-Spam-Flag", r"(?i)^\s*yes"),
        ("X-Spam-Status", r"(?i)^\s*yes"),
    )


Detector = Callable[[Message, ClassifyPolicy], str | None]


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?([\w.-]+)", re.IGNORECASE)
_BOUNCE_PARTS = (
    "message/delivery-status",
    "message/feedback-report",
    "message/global-delivery-status",
)
_DAEMON = r"^((mailer|mail)[-_.]?daemon|post[-_.]?master|mail[-_.]delivery[-_.]system)$"
# noreply, do-not-reply, ads-noreply, no-responder, nao-responda, ne-pas-repondre, nicht-antworten,
# keine-antwort, non-rispondere, niet-beantwoorden, no-contestar
_NO_REPLY_LOCAL = (
    r"(^|[-_.+])((no|do[-_.]?not|nao|ne[-_.]?pas|nicht)[-_.]?"
    r"(reply|respond(er|a)?|repondre|antworten|contestar)"
    r"|keine[-_.]?antwort|non[-_.]?rispondere|niet[-_.]?(beantwoorden|antwoorden))([-_.+]|$)"
)
_MAILER_DAEMON = re.compile(_DAEMON, re.IGNORECASE)
_NO_REPLY = re.compile(_NO_REPLY_LOCAL, re.IGNORECASE)
_SYSTEM = _any(  # senders whose body may be trusted to describe a delivery failure
    _DAEMON, _NO_REPLY_LOCAL, r"^(sysadmin|root|daemon|mdaemon)$",
    r"^.+-(admin|owner|bounces?|errors?)$", r"^owner-.+$",
)  # fmt: skip
_BOUNCE_SUBJECT = _any(
    r"^undelivered mail returned to sender", r"^delivery status notification \((failure|delay)\)",
    r"^mail delivery failed", r"^returned mail\b", r"^undeliverable\b", r"^undelivered mail\b",
    r"^failure notice", r"^non-?deliverable", r"^delivery has failed", r"^mail delivery failure",
    r"^(\[postmaster\] )?email delivery failure", r"^mail system error - returned mail",
    r"^message delivery has failed", r"^delivery notification: delivery has failed",
    r"^delivery failure:", r"^warning: could not send message",
    r"^sorry, your message could not be delivered", r"^there was an error sending your mail",
    r"^message you sent blocked by", r"^email feedback report for",
    r"^complaint about message from",
    r"^unzustellbar", r"^nicht zustellbar", r"^non recapitabile", r"^mancato recapito",
    r"^non remis", r"^échec de (la )?remise", r"^no se puede entregar", r"^onbestelbaar",
    r"^não (é possível )?entregue?", r"^ej levererbart", r"^недоставленное сообщение",
    r"сообщение не доставлено", r"配信できません", r"配信不能", r"メールエラー通知", r"退信",
)  # fmt: skip
_BOUNCE_BODY = _any(
    r"could not be delivered", r"couldn't be delivered", r"was not delivered", r"undeliverable",
    r"delivery (to the following recipients? )?(has )?failed", r"permanent (error|failure)",
    r"user unknown", r"unknown user", r"no such user", r"mailbox (is )?(full|unavailable)",
    r"recipient address rejected", r"not a member of this (mailing )?list",
    r"returned to sender", r"送信できませんでした", r"配信できませんでした",
)  # fmt: skip
_TOKEN_END = re.compile(r"[;(\s]")  # "auto-generated (failure)" -> "auto-generated"
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder")
_SUPPRESS = frozenset({"all", "oof", "autoreply"})
_AUTO_SUBJECT = _any(  # anchored at the start: a prospect may well write "vacation rentals"
    r"^out of (the )?office", r"^ooo\b", r"^auto(matic)?[- ]?(reply|respons|response)\s*([:-]|$)",
    r"^away from (the )?office", r"^away until\b",
    r"^(on )?vacation(\s+(reply|message|notice))?\s*(:|$)",
    r"^automatische antwort", r"^abwesenheit(snotiz)?\s*(:|$|bis\b|vom\b)",
    r"^abwesend\s*(:|$|bis\b|vom\b)", r"^réponse automatique", r"^absence\s*(:|$|du\b|jusqu)",
    r"^absente? du bureau", r"^respuesta automática", r"^fuera de la oficina",
    r"^risposta automatica", r"^fuori (sede|ufficio)", r"^afwezig(heid)?\s*(:|$|tot\b)",
    r"^automatisch antwoord", r"^resposta automática", r"^ausente\s*(:|$|del\b|da\b|hasta\b)",
    r"^fora do escritório", r"^automatiskt svar", r"^frånvaro(meddelande)?\s*(:|$)",
    r"^autosvar", r"^自動応答", r"^自動返信", r"^不在(通知|のお知らせ|のため)", r"^自动回复",
    r"^(read|gelesen|lu|leído|letto|gelezen|lido|läst)\s*:", r"^(read|return) receipt",
)  # fmt: skip
_LIST_FIRST = ("list-id", "list-unsubscribe", "list-post")  # named first in the reason
_LIST_HEADERS = (
    "x-mailing-list", "mailing-list", "x-mailman-version", "x-beenthere", "x-ml-name", "x-mlserver",
)  # fmt: skip
_LIST_MANAGER = _any(r"majordomo", r"listserv", r"ezmlm", r"mailman", r"smartlist", r"sympa",
                     r"\blist\b", r"-(request|owner|admin|bounces?|l)@")  # fmt: skip


def _report_type(msg: Message) -> str | None:
    if msg.content_type != "multipart/report":
        return None
    found = _REPORT_TYPE.search(msg.header("content-type"))
    return found.group(1).lower() if found else ""


def _local(address: str) -> str:
    return address.rpartition("@")[0] if "@" in address else address


def _from_local(msg: Message) -> str:
    if msg.from_ is not None:
        return msg.from_.local
    raw = msg.header("from").lower()  # e.g. "MAILER-DAEMON <>": no address to parse
    return "mailer-daemon" if "mailer-daemon" in raw else ""


def own(msg: Message, policy: ClassifyPolicy) -> str | None:
    """Marks only our own outgoing mail carries (before the robot-source gate)."""
    if policy.loop_header.lower() in msg.headers:
        return f"{policy.loop_header} header present"
    local, _, domain = msg.message_id.rpartition("@")
    if (
        local.startswith(policy.own_message_id_prefix)
        and domain.lower() in policy.own_message_id_domains
    ):
        return "Message-ID made by inbox-agent"
    return None


def own_address(msg: Message, policy: ClassifyPolicy) -> str | None:
    """From our own address: after the robot-source gate, because some form plugins send their
    notifications as the shared address, with the visitor only in Reply-To or the body."""
    if msg.from_ is not None and msg.from_.email in policy.own_addresses:
        return "From is our own address"
    return None


def bounce(msg: Message, policy: ClassifyPolicy) -> str | None:
    report_type = _report_type(msg)
    if report_type in ("delivery-status", "feedback-report", "global-delivery-status"):
        return f"multipart/report {report_type}"
    part = next((p for p in _BOUNCE_PARTS if p in msg.part_types), None)
    if part:
        return f"{part} part"
    if report_type == "" and "message/disposition-notification" not in msg.part_types:
        return "multipart/report without report-type"
    if msg.header("x-failed-recipients"):
        return "X-Failed-Recipients header"
    local = _from_local(msg)
    if _MAILER_DAEMON.match(local):
        return f"system sender {local}"
    if _MAILER_DAEMON.match(_local(msg.return_path or "")):  # Return-Path: <MAILER-DAEMON>
        return "Return-Path is MAILER-DAEMON"
    subject = msg.subject.strip()
    if _BOUNCE_SUBJECT.search(subject):
        return "delivery-failure subject"
    if _SYSTEM.search(local) and _BOUNCE_BODY.search(msg.text):
        return "delivery-failure text from a system sender"
    # RFC 3834 auto-replies and read receipts use the null sender too: they are not bounces.
    if msg.return_path == "" and not auto_reply(msg, policy) and not no_reply_sender(msg, policy):
        return "empty Return-Path (null sender)"
    return None


def spam(msg: Message, policy: ClassifyPolicy) -> str | None:
    for name, pattern in policy.spam_headers:
        for value in msg.header_all(name):
            if re.search(pattern, value):  # the re module caches compiled patterns
                return f"{name}: {value[:40]}"
    return None


def auto_reply(msg: Message, policy: ClassifyPolicy) -> str | None:
    submitted = _TOKEN_END.split(msg.header("auto-submitted").strip().lower(), maxsplit=1)[0]
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    for name in _AUTO_HEADERS:
        if name in msg.headers and msg.header(name).strip().lower() not in ("no", "false", "0"):
            return f"{name.title()} header"
    suppress = {t.strip().lower() for t in msg.header("x-auto-response-suppress").split(",")}
    if suppress & _SUPPRESS:
        return "X-Auto-Response-Suppress: " + ", ".join(sorted(suppress & _SUPPRESS))
    if msg.header("precedence").strip().lower() == "auto_reply":
        return "Precedence: auto_reply"
    if (
        _report_type(msg) == "disposition-notification"
        or "message/disposition-notification" in msg.part_types
    ):
        return "read receipt (disposition-notification)"
    if _AUTO_SUBJECT.search(msg.subject.strip()):
        return "out-of-office or automatic-reply subject"
    return None


def no_reply_sender(msg: Message, policy: ClassifyPolicy) -> str | None:
    """A sender that says not to answer it: robot mail, unless it names a person (the reading
    decides that: a lead notification often comes from a no-reply address)."""
    if _NO_REPLY.search(_from_local(msg)):
        return "no-reply sender"
    return None


def mailing_list(msg: Message, policy: ClassifyPolicy) -> str | None:
    list_headers = [h for h in _LIST_FIRST if h in msg.headers]
    list_headers += sorted(h for h in msg.headers if h.startswith("list-"))
    if list_headers:
        return f"{list_headers[0].title()} header"
    precedence = msg.header("precedence").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        return f"Precedence: {precedence}"
    for name in _LIST_HEADERS:
        if name in msg.headers:
            return f"{name.title()} header"
    if any(_LIST_MANAGER.search(v) for v in msg.header_all("x-loop")):
        return "X-Loop from a list manager"
    return None


ROBOT_SOURCE_GATE = None  # where a robot source is let through as an inquiry
DETECTORS: tuple[tuple[Kind, Detector | None], ...] = (
    (Kind.OWN, own),
    (Kind.BOUNCE, bounce),
    (Kind.SPAM, spam),
    (Kind.INQUIRY, ROBOT_SOURCE_GATE),
    (Kind.OWN, own_address),
    (Kind.AUTO_REPLY, auto_reply),
    (Kind.AUTO_REPLY, no_reply_sender),
    (Kind.LIST, mailing_list),
)


def classify(msg: Message, policy: ClassifyPolicy, *, robot_source: bool = False) -> Verdict:
    """The first detector in ``DETECTORS`` that fires decides; a person's inquiry otherwise."""
    for kind, detect in DETECTORS:
        if detect is None:
            if robot_source:
                return Verdict(
                    kind, "form or ad-platform notification (robot source)", "robot_source"
                )
            continue
        reason = detect(msg, policy)
        if reason:
            return Verdict(kind, reason, detect.__name__)
    return Verdict(Kind.INQUIRY, "no automatic-mail signal", "none")
