"""Each detector of ``classify`` on hand-made mail, and the order in which they are tried."""

from __future__ import annotations

import dataclasses
from email.header import Header
from pathlib import Path

import pytest

from inbox_agent.mail.classify import DETECTORS, ClassifyPolicy, Kind, Verdict, classify
from inbox_agent.mail.message import Message, parse_message

POLICY = ClassifyPolicy(
    own_addresses=frozenset({"sales@acme.example", "info@acme.example"}),
    own_message_id_domains=frozenset({"agent.acme.example"}),
)
PERSON = "Jane Doe <jane@example.org>"
QUESTION = "Hi,\r\n\r\nDo you ship the blue widget to Cape Town?\r\n\r\nJane\r\n"


def mail(
    *headers: tuple[str, str],
    sender: str = PERSON,
    subject: str = "Question about your widgets",
    body: str = QUESTION,
    content_type: str = "text/plain; charset=utf-8",
) -> Message:
    """Parse a message made of these headers (after From, To, Subject) and a body."""
    lines = [f"From: {sender}", "To: sales@acme.example", f"Subject: {subject}"]
    lines += ["Date: Fri, 20 Nov 2026 09:00:00 +0000", "Message-ID: <m1@example.org>"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}", "", body]
    return parse_message("\r\n".join(lines).encode("utf-8"))


def kind(msg: Message, policy: ClassifyPolicy = POLICY, *, robot_source: bool = False) -> str:
    return classify(msg, policy, robot_source=robot_source).kind


def report(report_type: str, second_part: str) -> tuple[str, str]:
    """(content type, body) of a multipart/report whose second part is ``second_part``."""
    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\nThis is an automatically generated report.\r\n"
        f"--b\r\nContent-Type: {second_part}\r\n\r\nReporting-MTA: dns; mx.example.net\r\n"
        "Final-Recipient: rfc822; x@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    return f'multipart/report; report-type={report_type}; boundary="b"', body


WORDPRESS = dict(
    sender="WordPress <wordpress@site.com>",
    subject="[Acme Widgets] New enquiry",
    body="Your Name: Sam Smith\r\nYour Email: sam@example.net\r\n\r\nA quote for 40 units?\r\n",
)


# --- the ordering --------------------------------------------------------------------------


def test_the_order_is_data() -> None:
    assert [k for k, _ in DETECTORS] == [
        "own", "bounce", "spam", "spam", "auto_reply", "list", "inquiry", "own", "auto_reply",
        "auto_reply", "auto_reply", "list",
    ]  # fmt: skip
    assert [d.__name__ if d else None for _, d in DETECTORS] == [
        "own", "bounce", "spam", "forged_sender", "rfc3834_robot", "list_mail", None,
        "own_address", "auto_reply", "helpdesk_auto_answer", "no_reply_sender", "mailing_list",
    ]  # fmt: skip


def test_the_verdict_names_its_detector() -> None:
    assert classify(mail(sender="noreply@shop.example"), POLICY).detector == "no_reply_sender"
    assert classify(mail(), POLICY).detector == "none"
    gated = classify(mail(sender="noreply@shop.example"), POLICY, robot_source=True)
    assert gated.kind == "inquiry" and gated.detector == "robot_source"


def test_form_plugin_sending_as_our_address_is_still_an_inquiry() -> None:
    msg = mail(("Reply-To", "visitor@example.net"), sender="sales@acme.example")
    assert classify(msg, POLICY, robot_source=True).kind == "inquiry"
    assert classify(msg, POLICY).kind == "own"


def test_plain_person_mail_is_an_inquiry() -> None:
    assert classify(mail(), POLICY) == Verdict(Kind.INQUIRY, "no automatic-mail signal")


def test_wordpress_notification_from_a_robot_source_is_an_inquiry() -> None:
    msg = mail(
        ("Reply-To", "Sam <sam@example.net>"), ("Auto-Submitted", "auto-generated"), **WORDPRESS
    )
    verdict = classify(msg, POLICY, robot_source=True)
    assert verdict.kind == "inquiry"
    assert "robot source" in verdict.reason


def test_wordpress_notification_not_known_as_a_source_is_an_auto_reply() -> None:
    msg = mail(("Auto-Submitted", "auto-generated"), **WORDPRESS)
    assert classify(msg, POLICY) == Verdict(Kind.AUTO_REPLY, "Auto-Submitted: auto-generated")


@pytest.mark.parametrize(
    "headers",
    [
        [("List-Unsubscribe", "<mailto:u@forms.example>")],  # Formspree's lead mail has it
        [("List-Unsubscribe", "<https://f.example/u>"), ("List-Unsubscribe-Post", "One-Click")],
        [("X-Auto-Response-Suppress", "All")],
        [("Auto-Submitted", "auto-generated")],  # what form plugins send
    ],
)
def test_robot_source_wins_over_weak_automatic_signals(headers: list[tuple[str, str]]) -> None:
    msg = mail(*headers, sender="Wix Forms <no-reply@wixforms.example>")
    assert kind(msg) in ("auto_reply", "list")
    assert kind(msg, robot_source=True) == "inquiry"


@pytest.mark.parametrize(
    ("headers", "subject", "expected"),
    [
        ([("Auto-Submitted", "auto-replied")], "Re: your inquiry", "auto_reply"),
        ([("Auto-Submitted", "auto-notified")], "Re: your inquiry", "auto_reply"),
        ([("X-Autoreply", "yes")], "Re: your inquiry", "auto_reply"),
        ([("Precedence", "auto_reply")], "Re: your inquiry", "auto_reply"),
        ([], "Out of Office: Re: your inquiry", "auto_reply"),
        ([("List-Id", "<news.example.org>")], "Weekly news", "list"),
        ([("List-Post", "<mailto:l@example.org>")], "Weekly news", "list"),
        ([("Precedence", "bulk")], "Weekly news", "list"),
        ([("Precedence", "junk")], "Weekly news", "list"),
        ([("X-Mailman-Version", "2.1")], "Weekly news", "list"),
    ],
)
def test_robots_first_whatever_the_body_holds(
    headers: list[tuple[str, str]], subject: str, expected: str
) -> None:
    """An out-of-office or a list mail with a Name:/Email: block is never a form notification."""
    body = "Name: Victim Person\nEmail: victim@example.net\nMessage: click http://evil.example\n"
    msg = mail(*headers, subject=subject, body=body)
    assert kind(msg, robot_source=True) == expected


def test_bounce_from_a_robot_source_is_a_bounce() -> None:
    content_type, body = report("delivery-status", "message/delivery-status")
    msg = mail(sender="MAILER-DAEMON@mx.example.net", content_type=content_type, body=body)
    assert kind(msg, robot_source=True) == "bounce"


def test_spam_from_a_robot_source_is_spam() -> None:
    msg = mail(("X-Spam-Flag", "YES"), ("Auto-Submitted", "auto-generated"), **WORDPRESS)
    assert kind(msg, robot_source=True) == "spam"


def test_our_own_mail_wins_over_everything() -> None:
    msg = mail(("X-Inbox-Agent", "ack"), ("X-Spam-Flag", "YES"), ("Auto-Submitted", "auto-replied"))
    assert kind(msg, robot_source=True) == "own"


def test_bounce_wins_over_auto_reply_and_list() -> None:
    msg = mail(
        ("Auto-Submitted", "auto-replied"),
        ("Precedence", "bulk"),
        sender="Mail Delivery System <MAILER-DAEMON@mx.example.net>",
        subject="Undelivered Mail Returned to Sender",
    )
    assert classify(msg, POLICY) == Verdict(Kind.BOUNCE, "system sender mailer-daemon")


def test_auto_reply_wins_over_list() -> None:
    msg = mail(("Auto-Submitted", "auto-replied"), ("List-Id", "<widgets.lists.example>"))
    assert kind(msg) == "auto_reply"


def test_policy_and_verdict_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        POLICY.loop_header = "X-Other"  # type: ignore[misc]  # frozen: the error is the point
    with pytest.raises(dataclasses.FrozenInstanceError):
        Verdict(Kind.INQUIRY, "x").kind = Kind.SPAM  # type: ignore[misc]  # frozen, as above


# --- own -----------------------------------------------------------------------------------


def test_loop_header_is_own() -> None:
    assert classify(mail(("X-Inbox-Agent", "1")), POLICY) == Verdict(
        Kind.OWN, "X-Inbox-Agent header present"
    )


def test_configured_loop_header_is_own() -> None:
    policy = dataclasses.replace(POLICY, loop_header="X-Acme-Robot")
    assert kind(mail(("X-Acme-Robot", "yes")), policy) == "own"
    assert kind(mail(("X-Inbox-Agent", "1")), policy) == "inquiry"


def test_from_our_own_address_is_own() -> None:
    assert kind(mail(sender="Acme Sales <Sales@Acme.example>")) == "own"


def test_our_message_id_is_own() -> None:
    msg = parse_message(
        b"From: Jane <jane@example.org>\r\nTo: sales@acme.example\r\nSubject: hi\r\n"
        b"Message-ID: <ia.7.ack.0123abcd@agent.acme.example>\r\n\r\nHello\r\n"
    )
    assert classify(msg, POLICY) == Verdict(Kind.OWN, "Message-ID made by inbox-agent")


def test_a_colleague_on_our_domain_is_not_own() -> None:
    """Exchange and Workspace give every mail of the domain Message-IDs @ that domain."""
    msg = parse_message(
        b"From: Bob <bob@example.org>\r\nTo: sales@acme.example\r\nSubject: hi\r\n"
        b"Message-ID: <AM0PR01MB1234.123@agent.acme.example>\r\n\r\nHello\r\n"
    )
    assert classify(msg, POLICY).kind == "inquiry"


# --- bounce --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report_type", "part", "reason"),
    [
        ("delivery-status", "message/delivery-status", "multipart/report delivery-status"),
        ("feedback-report", "message/feedback-report", "multipart/report feedback-report"),
    ],
)
def test_multipart_report_is_a_bounce(report_type: str, part: str, reason: str) -> None:
    content_type, body = report(report_type, part)
    msg = mail(sender="reports@isp.example", subject="Report", content_type=content_type, body=body)
    assert classify(msg, POLICY) == Verdict(Kind.BOUNCE, reason)


def test_delivery_status_part_inside_multipart_mixed_is_a_bounce() -> None:
    _, body = report("delivery-status", "message/delivery-status")
    msg = mail(sender="gw@mx.example.net", content_type='multipart/mixed; boundary="b"', body=body)
    assert classify(msg, POLICY) == Verdict(Kind.BOUNCE, "message/delivery-status part")


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.example.net",
        "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
        "postmaster@example.jp",
        "post_master@vtext.example.com",
        "Mail-Daemon@example.org",
        "MAILER-DAEMON <>",  # no address at all, only the name
    ],
)
def test_system_sender_is_a_bounce(sender: str) -> None:
    assert kind(mail(sender=sender, subject="Re: your message")) == "bounce"


def test_mailer_daemon_return_path_is_a_bounce() -> None:
    msg = mail(("Return-Path", "<MAILER-DAEMON>"), sender="gateway@mx.example.net")
    assert classify(msg, POLICY) == Verdict(Kind.BOUNCE, "Return-Path is MAILER-DAEMON")


def test_x_failed_recipients_is_a_bounce() -> None:
    msg = mail(("X-Failed-Recipients", "jane@example.org"), sender="gw@mx.example.net")
    assert classify(msg, POLICY) == Verdict(Kind.BOUNCE, "X-Failed-Recipients header")


def test_empty_return_path_alone_is_a_bounce() -> None:
    msg = mail(("Return-Path", "<>"), sender="gw@mx.example.net", subject="Nyaan")
    assert classify(msg, POLICY) == Verdict(Kind.BOUNCE, "empty Return-Path (null sender)")


@pytest.mark.parametrize(
    "subject",
    [
        "Undelivered Mail Returned to Sender",
        "Delivery Status Notification (Failure)",
        "Mail delivery failed: returning message to sender",
        "Returned mail: see transcript for details",
        "Undeliverable: Your quote",
        "failure notice",
        "Nondeliverable mail",
        "Unzustellbar: Angebot",
        "Non recapitabile: Preventivo",
        "Non remis : Devis",
        "No se puede entregar: Presupuesto",
        "Onbestelbaar: Offerte",
        "Недоставленное сообщение",
        "メッセージを配信できません。",
        "complaint about message from 192.0.2.1",
    ],
)
def test_delivery_failure_subject_is_a_bounce(subject: str) -> None:
    assert classify(mail(sender="gw@mx.example.net", subject=subject), POLICY) == Verdict(
        Kind.BOUNCE, "delivery-failure subject"
    )


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Réponse automatique : Devis", "auto_reply"),
        ("自動応答: お問い合わせ", "auto_reply"),
        ("Недоставленное сообщение", "bounce"),
        ("Unzustellbar: Angebot", "bounce"),
    ],
)
def test_rfc2047_encoded_subjects(subject: str, expected: str) -> None:
    encoded = Header(subject, "utf-8").encode()
    assert kind(mail(sender="gw@mx.example.net", subject=encoded)) == expected


def test_raw_utf8_subject_is_still_read() -> None:
    raw = (
        "From: no-reply@mx.example.jp\r\nTo: sales@acme.example\r\n"
        "Subject: メールエラー通知\r\n\r\nお知らせ\r\n"
    ).encode()  # 8-bit header, not RFC 2047 encoded, as some Japanese carriers send it
    assert classify(parse_message(raw), POLICY) == Verdict(Kind.BOUNCE, "delivery-failure subject")


@pytest.mark.parametrize("sender", ["no-reply@carrier.example", "neko-admin@lists.example"])
def test_failure_text_from_a_system_sender_is_a_bounce(sender: str) -> None:
    msg = mail(sender=sender, subject="Notice", body="Your mail could not be delivered.\r\n")
    assert classify(msg, POLICY) == Verdict(
        Kind.BOUNCE, "delivery-failure text from a system sender"
    )


def test_failure_text_from_a_person_is_an_inquiry() -> None:
    body = "My last mail to you could not be delivered, so here it is again: a quote please.\r\n"
    assert kind(mail(body=body)) == "inquiry"


def test_read_receipt_with_null_sender_is_an_auto_reply_not_a_bounce() -> None:
    content_type, body = report("disposition-notification", "message/disposition-notification")
    msg = mail(("Return-Path", "<>"), subject="Disposition notification", content_type=content_type,
               body=body)  # fmt: skip
    assert classify(msg, POLICY) == Verdict(
        Kind.AUTO_REPLY, "read receipt (disposition-notification)"
    )


def test_rfc3834_auto_reply_with_null_sender_is_an_auto_reply_not_a_bounce() -> None:
    msg = mail(("Return-Path", "<>"), ("Auto-Submitted", "auto-replied"), subject="Re: hello")
    assert kind(msg) == "auto_reply"


# --- spam ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", [("X-Spam-Flag", "YES"), ("X-Spam-Status", "Yes, score=9.1 required=5.0")]
)
def test_server_spam_verdict_is_spam(header: tuple[str, str]) -> None:
    assert classify(mail(header), POLICY) == Verdict(Kind.SPAM, f"{header[0]}: {header[1]}")


@pytest.mark.parametrize(
    "header", [("X-Spam-Flag", "NO"), ("X-Spam-Status", "No, score=-2.9 required=5.0")]
)
def test_server_ham_verdict_is_not_spam(header: tuple[str, str]) -> None:
    assert kind(mail(header)) == "inquiry"


def test_custom_spam_policy() -> None:
    policy = dataclasses.replace(
        POLICY, spam_headers=(("X-Rspamd-Action", r"(?i)^\s*(reject|add header)"),)
    )
    assert kind(mail(("X-Rspamd-Action", "add header")), policy) == "spam"
    assert kind(mail(("X-Rspamd-Action", "no action")), policy) == "inquiry"
    assert kind(mail(("X-Spam-Flag", "YES")), policy) == "inquiry"  # not configured any more


def test_no_spam_headers_configured_means_no_spam() -> None:
    policy = dataclasses.replace(POLICY, spam_headers=())
    assert kind(mail(("X-Spam-Flag", "YES")), policy) == "inquiry"


# --- auto_reply ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (("Auto-Submitted", "auto-replied"), "Auto-Submitted: auto-replied"),
        (("Auto-Submitted", "auto-generated (vacation)"), "Auto-Submitted: auto-generated"),
        (("Auto-Submitted", "Auto-Notified"), "Auto-Submitted: auto-notified"),
        (("X-Autoreply", "yes"), "X-Autoreply header"),
        (("X-Autorespond", "Out of office"), "X-Autorespond header"),
        (("X-Autoresponder", "1"), "X-Autoresponder header"),
        (("X-Auto-Response-Suppress", "All"), "X-Auto-Response-Suppress: all"),
        (("X-Auto-Response-Suppress", "DR, OOF"), "X-Auto-Response-Suppress: oof"),
        (("X-Auto-Response-Suppress", "AutoReply"), "X-Auto-Response-Suppress: autoreply"),
        (("Precedence", "auto_reply"), "Precedence: auto_reply"),
    ],
)
def test_auto_reply_headers(header: tuple[str, str], reason: str) -> None:
    assert classify(mail(header, subject="Re: Question"), POLICY) == Verdict(
        Kind.AUTO_REPLY, reason
    )


@pytest.mark.parametrize(
    "header",
    [("Auto-Submitted", "no"), ("Auto-Submitted", "No"), ("X-Auto-Response-Suppress", "DR, RN")],
)
def test_not_auto_reply_headers(header: tuple[str, str]) -> None:
    assert kind(mail(header)) == "inquiry"


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Question about your widgets",
        "Automatic reply: Question about your widgets",
        "Auto reply: Nyaan",
        "AutoReply",
        "Away until May 5",
        "Vacation",
        "On vacation: back on Monday",
        "Automatische Antwort: Angebot",
        "Abwesenheitsnotiz: Angebot",
        "Réponse automatique : Devis",
        "Absence",
        "Absence du bureau",
        "Respuesta automática: Presupuesto",
        "Fuera de la oficina",
        "Risposta automatica: Preventivo",
        "Afwezig",
        "Automatisch antwoord: Offerte",
        "Resposta automática: Orçamento",
        "Automatiskt svar: Offert",
        "自動応答: お問い合わせ",
        "Read: Your quote",
        "Gelesen: Ihr Angebot",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    assert classify(mail(subject=subject), POLICY) == Verdict(
        Kind.AUTO_REPLY, "out-of-office or automatic-reply subject"
    )


@pytest.mark.parametrize(
    "subject",
    [
        "4000 Your Vacation Winning ! 35001",
        "Vacation rentals near the coast",
        "Absence management software for 40 staff",
        "Question about automatic reply features",
        "Out-of-stock items",
        "Ready: our order",
    ],
)
def test_person_subjects_are_not_auto_replies(subject: str) -> None:
    assert kind(mail(subject=subject)) == "inquiry"


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@example.com",
        "no-reply@example.com",
        "no_reply@example.com",
        "donotreply@example.com",
        "do-not-reply@example.com",
        "ads-noreply@ads.example",
        "noreply+abc@example.com",
        "no-responder@ferreteria.example",
    ],
)
def test_no_reply_sender_is_an_auto_reply(sender: str) -> None:
    assert classify(mail(sender=sender), POLICY) == Verdict(Kind.AUTO_REPLY, "no-reply sender")


@pytest.mark.parametrize(
    "sender", ["noreen@example.com", "nora@example.com", "replies@example.com"]
)
def test_people_whose_name_starts_with_no_are_not_no_reply(sender: str) -> None:
    assert kind(mail(sender=sender)) == "inquiry"


# --- list ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (("List-Id", "Widgets <widgets.lists.example>"), "List-Id header"),
        (("List-Unsubscribe", "<mailto:leave@news.example>"), "List-Unsubscribe header"),
        (("List-Post", "<mailto:widgets@lists.example>"), "List-Post header"),
        (("List-Help", "<mailto:widgets-request@lists.example>"), "List-Help header"),
        (("Precedence", "bulk"), "Precedence: bulk"),
        (("Precedence", "list"), "Precedence: list"),
        (("Precedence", "junk"), "Precedence: junk"),
        (("X-Mailing-List", "<widgets@lists.example>"), "X-Mailing-List header"),
        (
            ("Mailing-List", "contact widgets-help@lists.example; run by ezmlm"),
            "Mailing-List header",
        ),
        (("X-Loop", "widgets-request@lists.example"), "X-Loop from a list manager"),
        (("X-Loop", "majordomo@lists.example"), "X-Loop from a list manager"),
    ],
)
def test_list_headers(header: tuple[str, str], reason: str) -> None:
    assert classify(mail(header), POLICY) == Verdict(Kind.LIST, reason)


def test_x_loop_from_a_person_filter_is_not_a_list() -> None:
    assert kind(mail(("X-Loop", "jane@example.org"))) == "inquiry"


BY_TEXT = Path(__file__).parent / "data" / "bounces-by-text"


@pytest.mark.parametrize(
    "name", ["simple_20.txt", "simple_22.txt", "simple_35.txt", "simple_36.txt"]
)
def test_bounces_said_in_subject_and_text(name: str) -> None:
    msg = parse_message((BY_TEXT / name).read_bytes())
    assert kind(msg) == "bounce"
    assert kind(msg, robot_source=True) == "bounce"


def test_a_person_whose_delivery_failed_is_not_a_bounce() -> None:
    msg = mail(subject="Delivery failed", body="My parcel never came. Can you send it again?")
    assert kind(msg) == "inquiry"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("[#48213] Re: Your inquiry", "Thanks for your mail."),
        ("Re: Your inquiry [Ticket #48213]", "Thanks for your mail."),
        ("Re: Your inquiry (Case #00123456)", "Thanks."),
        ("Re: Your inquiry", "Hello,\n\nWe have received your request and a ticket was opened."),
        ("Re: Your inquiry", "Your support request has been received.\nTicket ID: 993"),
        ("Re: Su consulta", "Hola,\nhemos recibido su solicitud. Le responderemos pronto."),
        ("Re: Votre demande", "Bonjour,\nnous avons bien reçu votre demande."),
    ],
)
def test_helpdesk_auto_answers_without_rfc_3834_headers(subject: str, body: str) -> None:
    verdict = classify(mail(subject=subject, body=body), POLICY)
    assert verdict.kind == "auto_reply" and verdict.detector == "helpdesk_auto_answer"


def test_a_prospect_quoting_our_acknowledgment_is_no_auto_answer() -> None:
    body = (
        "Yes please, call me after 3.\n\nOn Fri, 20 Nov 2026 Acme wrote:\n"
        "> Thank you for contacting Acme. We have received your message.\n"
    )
    assert kind(mail(subject="Re: Question about your widgets", body=body)) == "inquiry"


def test_gtube_is_spam_even_from_a_robot_source() -> None:
    msg = mail(body=f"Hello\n{GTUBE_TEXT}\n")
    assert classify(msg, POLICY).reason == "GTUBE test string"
    assert kind(msg, robot_source=True) == "spam"


GTUBE_TEXT = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
OURS = dataclasses.replace(POLICY, authserv_ids=frozenset({"mx.acme.example"}))


@pytest.mark.parametrize(
    ("results", "forged"),
    [
        ("dkim=fail header.d=example.org; dmarc=fail header.from=example.org", True),
        ("spf=fail smtp.mailfrom=jane@example.org; dkim=none", True),
        ("spf=fail smtp.mailfrom=jane@example.org; dkim=pass header.d=example.org", False),
        ("dkim=pass header.d=example.org; dmarc=pass header.from=example.org", False),
        ("spf=softfail smtp.mailfrom=jane@example.org", False),
    ],
)
def test_our_servers_dmarc_or_spf_fail_is_spam(results: str, forged: bool) -> None:
    msg = mail(("Authentication-Results", f"mx.acme.example; {results}"))
    assert (kind(msg, OURS, robot_source=True) == "spam") is forged
    assert kind(msg) == "inquiry"  # no authserv-id configured: nothing to believe


def test_a_forged_fail_below_the_top_changes_nothing() -> None:
    msg = mail(
        ("Authentication-Results", "mx.acme.example; dkim=pass header.d=example.org"),
        ("Received", "from x by mx.acme.example"),
        ("Authentication-Results", "mx.acme.example; dmarc=fail header.from=example.org"),
    )
    assert kind(msg, OURS) == "inquiry"
