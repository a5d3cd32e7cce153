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

from inbox_agent.mail.authentication import forged, our_results
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


GTUBE = r"XJS\*C4JDBQADN1\.NSBN3\*2IDNEN\*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL\*C\.34X"


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
    spam_body: tuple[str, ...] = (GTUBE,)  # regexes searched in the body text: spam whatever
    authserv_ids: frozenset[str] = frozenset()  # our receiving server's (records.trust)


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
    r"^delivery failure notification", r"^delivery (status notification|failure)\s*$",
    r"^mail delivery (warning|problem)", r"^zustellung fehlgeschlagen", r"^falha na entrega",
    r"^mancata consegna", r"^niet afgeleverd", r"^no se pudo entregar", r"^échec de livraison",
)  # fmt: skip
# Words a subject may carry anywhere ("RE: … : non remis (delivery failed)"): a bounce only when
# the text says so too, since a person may write "my delivery failed to arrive".
_BOUNCE_HINT = _any(
    r"\bdeliver(y|ed)?\s+(failure|failed|warning|problem)", r"\bnon remis\b", r"\bundeliver",
    r"\b(not|could not|couldn't) (be )?delivered\b", r"\bunzustellbar\b", r"\bnicht zustellbar",
    r"\bzustellung fehlgeschlagen", r"\bno (se )?(pudo|puede) (ser )?entregar",
    r"\bn[aã]o (foi )?entregue", r"\bnon recapitat", r"\bonbestelbaar\b", r"\bniet afgeleverd",
)  # fmt: skip
_BOUNCE_BODY = _any(
    r"could not be delivered", r"couldn't be delivered", r"was not delivered", r"undeliverable",
    r"delivery (to the following recipients? )?(has )?failed", r"permanent (error|failure)",
    r"user unknown", r"unknown user", r"no such user", r"mailbox (is )?(full|unavailable)",
    r"recipient address rejected", r"not a member of this (mailing )?list",
    r"returned to sender", r"送信できませんでした", r"配信できませんでした",
    r"could not deliver", r"failed recipient", r"delivery attempts will continue",
    r"has been postponed", r"n'a pas pu (etre|être) (d[ée]livr|remis)",
    r"konnte nicht (zugestellt|ausgeliefert) werden", r"no (se )?pudo (ser )?entregad",
    r"n[ãa]o (p[ôo]de|foi poss[íi]vel) (ser )?entreg", r"non è stato possibile consegnare",
    r"kon niet (worden )?(afgeleverd|bezorgd)",
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
_SPAM_TEXT = 50_000  # characters of body text the spam patterns look at
_RECEIPT_TEXT = 600  # the top of the text, where an auto-answer says what it is
_TICKET_SUBJECT = _any(
    r"\[#\s?\d{3,}\]", r"\((ticket|case|request)\s*#\s*\d{3,}\)",
    r"\[(ticket|case|request|incident|support|issue)\s*(id|no\.?|#)?\s*:?\s*#?\d{3,}\]",
    r"^\s*(re:\s*)?(ticket|case|request)\s*#\s*\d{3,}\b",
    r"\bticket\s*(id|number|no\.?)\s*:?\s*#?\d{3,}", r"\[(ticket|caso|anfrage|demande)#\d{3,}\]",
)  # fmt: skip
_RECEIPT = _any(  # not "your message": our own acknowledgment says that, and replies quote it
    r"\bwe(?: have|'ve)? (?:successfully )?received your (?:support )?"
    r"(?:request|inquiry|enquiry|ticket|case)",
    r"\byour (?:support )?(?:request|ticket|case) (?:has been|was) "
    r"(?:received|created|logged|opened|registered)",
    r"\bthis is an automated (?:response|reply|acknowledg)",
    r"\b(?:a )?(?:new )?ticket has been (?:created|opened)\b",
    r"\bhemos recibido (?:su|tu) (?:solicitud|consulta)",
    r"\bnous avons (?:bien )?re[çc]u votre demande",
    r"\bwir haben ihre anfrage (?:erhalten|empfangen)",
    r"\babbiamo ricevuto (?:la )?(?:sua|tua) richiesta",
    r"\brecebemos (?:a )?(?:sua|tua) solicita[çc][ãa]o",
    r"\bwe hebben (?:uw|je) aanvraag ontvangen",
)  # fmt: skip
_QUOTED = re.compile(r"(?im)^(>|-{2,}\s*original message|from:\s.*\n(sent|date):|.*wrote:\s*$)")
_LIST_HEADERS = (
    "x-mailing-list", "mailing-list", "x-mailman-version", "x-beenthere", "x-ml-name", "x-mlserver",
)  # fmt: skip
_LIST_MANAGER = _any(r"majordomo", r"listserv", r"ezmlm", r"mailman", r"smartlist", r"sympa",
                     r"\blist\b", r"-(request|owner|admin|bounces?|l)@")  # fmt: skip


def _submitted(msg: Message) -> str:
    return _TOKEN_END.split(msg.header("auto-submitted").strip().lower(), maxsplit=1)[0]


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
    if _BOUNCE_HINT.search(subject) and _BOUNCE_BODY.search(msg.text[:5000]):
        return "delivery-failure subject and text"
    # RFC 3834 auto-replies and read receipts use the null sender too: they are not bounces.
    if msg.return_path == "" and not auto_reply(msg, policy) and not no_reply_sender(msg, policy):
        return "empty Return-Path (null sender)"
    return None


def spam(msg: Message, policy: ClassifyPolicy) -> str | None:
    """The receiving server's verdict header, or a body pattern (GTUBE) of the rules."""
    for name, pattern in policy.spam_headers:
        for value in msg.header_all(name):
            if re.search(pattern, value):  # the re module caches compiled patterns
                return f"{name}: {value[:40]}"
    text = msg.text[:_SPAM_TEXT]
    for pattern in policy.spam_body:
        if re.search(pattern, text):
            return "GTUBE test string" if pattern == GTUBE else f"body matches {pattern[:40]}"
    return None


def forged_sender(msg: Message, policy: ClassifyPolicy) -> str | None:
    """Our own server's Authentication-Results say the From domain was forged (DMARC fail, or
    SPF fail with no DKIM pass): never answered automatically, listed as spam for a person."""
    if not policy.authserv_ids or msg.from_ is None:
        return None
    why = forged(our_results(msg, policy.authserv_ids), msg.from_.domain)
    return f"forged sender ({why})" if why else None


def rfc3834_robot(msg: Message, policy: ClassifyPolicy) -> str | None:
    """Signals that outrank a form notification's look: an automatic reply (RFC 3834
    ``Auto-Submitted`` other than ``no`` and ``auto-generated``, ``X-Autoreply`` and friends,
    ``Precedence: auto_reply``, a read receipt, an out-of-office subject)."""
    submitted = _submitted(msg)
    if submitted and submitted not in ("no", "auto-generated"):
        return f"Auto-Submitted: {submitted}"
    for name in _AUTO_HEADERS:
        if name in msg.headers and msg.header(name).strip().lower() not in ("no", "false", "0"):
            return f"{name.title()} header"
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


def auto_reply(msg: Message, policy: ClassifyPolicy) -> str | None:
    """Machine mail that form plugins send too (``Auto-Submitted: auto-generated``,
    ``X-Auto-Response-Suppress``): after the robot-source gate."""
    strong = rfc3834_robot(msg, policy)
    if strong:
        return strong
    submitted = _submitted(msg)
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    suppress = {t.strip().lower() for t in msg.header("x-auto-response-suppress").split(",")}
    if suppress & _SUPPRESS:
        return "X-Auto-Response-Suppress: " + ", ".join(sorted(suppress & _SUPPRESS))
    return None


def helpdesk_auto_answer(msg: Message, policy: ClassifyPolicy) -> str | None:
    """A helpdesk's or CRM's automatic answer, which often carries no RFC 3834 header: a
    ticket-number subject (``[#12345]``) or a receipt phrase at the top of the text."""
    if _TICKET_SUBJECT.search(msg.subject):
        return "ticket-number subject (helpdesk auto-answer)"
    top = msg.text[:_RECEIPT_TEXT]
    quoted = _QUOTED.search(top)
    if _RECEIPT.search(top[: quoted.start()] if quoted else top):
        return "receipt text (helpdesk or CRM auto-answer)"
    return None


def says_no_reply(local_part: str) -> bool:
    """An address whose local part says not to answer it, in the languages the rules cover."""
    return _NO_REPLY.search(local_part) is not None


def no_reply_sender(msg: Message, policy: ClassifyPolicy) -> str | None:
    """A sender that says not to answer it: robot mail, unless it names a person (the reading
    decides that: a lead notification often comes from a no-reply address)."""
    if says_no_reply(_from_local(msg)):
        return "no-reply sender"
    return None


def list_mail(msg: Message, policy: ClassifyPolicy) -> str | None:
    """Mailing-list and bulk mail, before the robot-source gate: ``List-Id``/``List-Post`` and the
    list managers' headers, ``Precedence: bulk|list|junk``. ``List-Unsubscribe`` alone is left
    to ``mailing_list``: Formspree's real lead notifications carry it."""
    list_headers = [h for h in _LIST_FIRST if h in msg.headers and h != "list-unsubscribe"]
    list_headers += sorted(
        h for h in msg.headers if h.startswith("list-") and not h.startswith("list-unsubscribe")
    )
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


def mailing_list(msg: Message, policy: ClassifyPolicy) -> str | None:
    """Any list header at all (after the gate): ``List-Unsubscribe`` alone included."""
    return list_mail(msg, policy) or next(
        (f"{h.title()} header" for h in sorted(msg.headers) if h.startswith("list-")), None
    )


ROBOT_SOURCE_GATE = None  # where a robot source is let through as an inquiry
DETECTORS: tuple[tuple[Kind, Detector | None], ...] = (
    (Kind.OWN, own),
    (Kind.BOUNCE, bounce),
    (Kind.SPAM, spam),
    (Kind.SPAM, forged_sender),
    (Kind.AUTO_REPLY, rfc3834_robot),  # robots first: whatever the body holds
    (Kind.LIST, list_mail),
    (Kind.INQUIRY, ROBOT_SOURCE_GATE),
    (Kind.OWN, own_address),
    (Kind.AUTO_REPLY, auto_reply),
    (Kind.AUTO_REPLY, helpdesk_auto_answer),
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
