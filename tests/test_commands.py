"""Commands by mail: parsing, the Authentication-Results trust check, internal-only mail."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from inbox_agent.mail.message import Message, parse_message
from inbox_agent.records import commands
from inbox_agent.records.commands import Command, parse_commands
from inbox_agent.records.trust import (
    NO_AUTHSERV_ID,
    TrustPolicy,
    internal_only,
    parse_authentication_results,
    trusted_sender,
)

STAFF = frozenset({"bob@example.com", "Alice@Example.com", "owner@example.com"})
OWN = frozenset({"sales@example.com"})
GMAIL = TrustPolicy(authserv_ids=frozenset({"mx.google.com"}))


def mail(
    headers: str = "",
    *,
    sender: str = "Bob Agent <bob@example.com>",
    to: str = "sales@example.com",
    body: str = "#status email\n",
) -> Message:
    """A message as raw bytes through the real parser; ``headers`` go on top, as a server adds."""
    top = headers.strip("\n") + "\n" if headers.strip() else ""
    raw = (
        f"{top}From: {sender}\nTo: {to}\nSubject: Re: your inquiry\n"
        "Date: Sun, 22 Nov 2026 09:00:00 +0000\nMessage-ID: <cmd-1@example.com>\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}"
    )
    return parse_message(raw.encode())


# --- parsing commands -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "name", "args"),
    [
        ("#status email", "status", ("email",)),
        ("#STATUS Follow Up", "status", ("follow_up",)),
        ("#status: follow-up", "status", ("follow_up",)),
        ("#stage prospect", "stage", ("prospect",)),
        ("#Stage CUSTOMER", "stage", ("customer",)),
        (
            "#quote 1500 Q-1042 https://docs.example.com/q/1042.pdf",
            "quote",
            ("1500", "Q-1042", "https://docs.example.com/q/1042.pdf"),
        ),
        ("#quote 1,500.00", "quote", ("1,500.00", "", "")),
        ("#quote R1500 Q-7", "quote", ("R1500", "Q-7", "")),
        ("#quote € 1.500,00 Q-8", "quote", ("€ 1.500,00", "Q-8", "")),
        ("#quote 1500 EUR", "quote", ("1500 EUR", "", "")),
        (
            "#quote $2,450 http://crm.example.com/q/9",
            "quote",
            ("$2,450", "", "http://crm.example.com/q/9"),
        ),
        ("#quote 1.500,- Q-3", "quote", ("1.500,-", "Q-3", "")),
        ("#quote 1500€", "quote", ("1500€", "", "")),
        ("#quote US$ 1,200", "quote", ("US$ 1,200", "", "")),
        ("#quote R$ 900,00 ORC-4", "quote", ("R$ 900,00", "ORC-4", "")),
        ("#quote Rs.15000", "quote", ("Rs.15000", "", "")),
        ("#quote 1'500.00 CHF Q-5", "quote", ("1'500.00 CHF", "Q-5", "")),
        (
            "#sale 1500 INV-7 <https://billing.example.com/i/7>",
            "sale",
            ("1500", "INV-7", "https://billing.example.com/i/7"),
        ),
        (
            "#sale 980.50 https://billing.example.com/i/8",
            "sale",
            ("980.50", "", "https://billing.example.com/i/8"),
        ),
        (
            "#lost too expensive, chose a local supplier",
            "lost",
            ("too expensive, chose a local supplier",),
        ),
        ("#assign bob@example.com", "assign", ("bob@example.com",)),
        ("#assign Alice <ALICE@Example.com>", "assign", ("alice@example.com",)),
        ("#assign Alice Moreau", "assign", ("Alice Moreau",)),
        ("#note called; decides on Friday", "note", ("called; decides on Friday",)),
        ("#record 12", "record", ("12",)),
        ("#record #0012", "record", ("12",)),
        ("#record Jane@Example.org", "record", ("jane@example.org",)),
        ("   #note indented by the client", "note", ("indented by the client",)),
        ("#status\u00a0email", "status", ("email",)),  # a non-breaking space from HTML mail
    ],
)
def test_commands(line: str, name: str, args: tuple[str, ...]) -> None:
    parsed = parse_commands(f"Hi,\n{line}\nThanks\n")
    assert parsed.errors == ()
    assert parsed.commands == (Command(name, args, line.strip()),)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (
            "#foo bar",
            "line 1: unknown command #foo; known: #assign, #lang, #lost, #note, #quote, #record",
        ),
        ("#Status", "#status needs one of: new, call, email, follow_up, revive, drip, done"),
        ("#status maybe", "got 'maybe'"),
        ("#stage contact", "#stage needs one of: lead, prospect, customer; got 'contact'"),
        ("#quote TBD", "#quote needs an amount first: a number"),
        ("#quote", "#quote needs an amount first"),
        ("#sale INV-7 1500", "#sale needs an amount first"),
        (
            "#quote 1500 ftp://files.example.com/q.pdf",
            "links must be http(s): 'ftp://files.example.com/q.pdf'",
        ),
        ("#quote 1500 javascript://x", "links must be http(s)"),
        ("#quote 1500 Q-1 Q-2", "unexpected 'Q-2'"),
        ("#sale 1500 https://a.example/1 https://a.example/2", "unexpected 'https://a.example/2'"),
        ("#lost", "#lost needs the reason (the objection)"),
        ("#note   ", "#note needs some text"),
        ("#assign", "#assign needs an agent's address or name"),
        ("#assign bob@", "#assign needs an agent's address or name; got 'bob@'"),
        ("#record twelve", "#record needs a record number or the prospect's address"),
        ("#record 0", "#record needs a record number"),
    ],
)
def test_command_errors(line: str, error: str) -> None:
    parsed = parse_commands(line)
    assert parsed.commands == ()
    assert len(parsed.errors) == 1 and error in parsed.errors[0], parsed.errors


@pytest.mark.parametrize(
    "text",
    [
        "#1 priority is the price",
        "# Heading in a plain-text mail",
        "We loved your #status update",
        "see #quote below",
        "#",
        "#.",
        "> #status done (quoted text is not new text anyway)",
        "#quoted, with a comma",  # a hashtag followed by punctuation is prose
    ],
)
def test_prose_is_not_a_command(text: str) -> None:
    assert parse_commands(text) == parse_commands("")


def test_currency_symbols_are_unicodes() -> None:
    symbols = re.compile(f"[{commands._SYMBOLS}]")
    expected = {chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Sc"}
    assert {chr(c) for c in range(0x10000) if symbols.fullmatch(chr(c))} == expected


def test_commands_in_order_with_errors_and_line_numbers() -> None:
    text = (
        "Jane signed today.\n"
        "#sale 1500 INV-7\n"
        "#foo\n"
        "#stage customer\n"
        "#status won\n"
        "#note paid by card\n"
    )
    parsed = parse_commands(text)
    assert [c.name for c in parsed.commands] == ["sale", "stage", "note"]
    assert [e.split(":")[0] for e in parsed.errors] == ["line 3", "line 5"]


def test_the_signature_is_not_read() -> None:
    parsed = parse_commands("#status call\n-- \nBob Agent\n#TeamSales #fridays\n")
    assert [c.name for c in parsed.commands] == ["status"] and parsed.errors == ()


def test_two_different_records_are_an_error() -> None:
    parsed = parse_commands("#record 12\n#record 13\n")
    assert parsed.errors == ("more than one #record: 12, 13",)
    assert parse_commands("#record 12\n#record #12\n").errors == ()


def test_crlf_and_empty_text() -> None:
    assert parse_commands("#status email\r\n#note x\r\n").commands[1].args == ("x",)
    assert parse_commands("") == parse_commands("\n\n")
    assert parse_commands("").commands == () and parse_commands("").errors == ()


# --- Authentication-Results, as real servers write them --------------------------------------

GMAIL_AR = """\
Authentication-Results: mx.google.com;
       dkim=pass header.i=@example.com header.s=google header.b=Xq3vB1Zk;
       spf=pass (google.com: domain of bob@example.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=bob@example.com;
       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=example.com
ARC-Authentication-Results: i=1; mx.google.com;
       dkim=pass header.i=@example.com header.s=google header.b=Xq3vB1Zk
"""  # noqa: E501

M365_AR = """\
Authentication-Results: spf=pass (sender IP is 40.107.22.51)
 smtp.mailfrom=example.com; dkim=pass (signature was verified)
 header.d=example.com;dmarc=pass action=none
 header.from=example.com;compauth=pass reason=100
Authentication-Results-Original: mail.partner.example; dkim=pass header.d=example.com
"""

FASTMAIL_AR = """\
Authentication-Results: mx3.messagingengine.com;
    arc=none (no signatures found);
    dkim=pass (2048-bit rsa key sha256) header.d=example.com
      header.i=@example.com header.b=kX0h1Y2z header.a=rsa-sha256
      header.s=fm3 x-bits=2048;
    dmarc=pass policy.published-domain-policy=quarantine
      policy.applied-disposition=none policy.evaluated-disposition=none
      (p=quarantine,d=none,d.eval=none) policy.policy-from=p
      header.from=example.com;
    iprev=pass smtp.remote-ip=103.168.172.144 (fout-a1-smtp.messagingengine.com);
    spf=pass smtp.mailfrom=bob@example.com
      smtp.helo=fout-a1-smtp.messagingengine.com;
    x-aligned-from=pass (Address match);
    x-me-sender=none
"""

RSPAMD_AR = """\
Authentication-Results: mail.example.com;
\tdkim=pass header.d=sendgrid.net header.s=smtpapi header.b=RfG2Ab9c;
\tdmarc=pass (policy=reject) header.from=example.com;
\tspf=pass (mail.example.com: domain of bounces@sendgrid.net designates 192.0.2.10 as permitted sender) smtp.mailfrom=bounces@sendgrid.net
"""  # noqa: E501

OPENDKIM_AR = """\
Authentication-Results: mail.example.com; dkim=pass (2048-bit key; unprotected)
 header.d=example.com header.i=@example.com header.a=rsa-sha256 header.s=default
 header.b=XyZ12345;
Authentication-Results: mail.example.com; dmarc=none (p=none dis=none)
 header.from=example.com
"""


@pytest.mark.parametrize(
    ("headers", "ids", "why"),
    [
        (GMAIL_AR, {"mx.google.com"}, "from mx.google.com: dkim=pass header.i=@example.com"),
        (M365_AR, {NO_AUTHSERV_ID}, "from (none): dkim=pass header.d=example.com"),
        (FASTMAIL_AR, {"mx3.messagingengine.com"}, "dkim=pass header.d=example.com"),
        (RSPAMD_AR, {"mail.example.com"}, "dmarc=pass header.from=example.com"),
        (OPENDKIM_AR, {"mail.example.com"}, "dkim=pass header.d=example.com"),
        (OPENDKIM_AR, {"MAIL.Example.COM "}, "dkim=pass"),  # ids compared without case
    ],
)
def test_real_server_headers_are_trusted(headers: str, ids: set[str], why: str) -> None:
    policy = TrustPolicy(authserv_ids=frozenset(ids))
    trusted, reason = trusted_sender(mail(headers), STAFF, policy)
    assert trusted, reason
    assert why in reason


def test_microsoft_365_needs_the_no_authserv_id_marker() -> None:
    policy = TrustPolicy(authserv_ids=frozenset({"mx.example.com"}))
    trusted, reason = trusted_sender(mail(M365_AR), STAFF, policy)
    assert not trusted
    assert reason == (
        "no Authentication-Results from mx.example.com (ignored those claiming (none))"
    )


def test_a_spoofed_header_from_a_foreign_server_is_ignored() -> None:
    spoof = (
        "Authentication-Results: mx.google.com; dkim=fail (bad signature) header.i=@example.com;\n"
        " dmarc=fail (p=QUARANTINE) header.from=example.com\n"
        "Authentication-Results: evil.example; dkim=pass header.d=example.com;"
        " dmarc=pass header.from=example.com\n"
    )
    trusted, reason = trusted_sender(mail(spoof), STAFF, GMAIL)
    assert not trusted
    assert "dkim=fail header.i=@example.com" in reason and "dmarc=fail" in reason
    only_foreign = "Authentication-Results: evil.example; dkim=pass header.d=example.com\n"
    trusted, reason = trusted_sender(mail(only_foreign), STAFF, GMAIL)
    assert (trusted, reason) == (
        False,
        "no Authentication-Results from mx.google.com (ignored those claiming evil.example)",
    )


def test_no_authentication_results_at_all() -> None:
    assert trusted_sender(mail(), STAFF, GMAIL) == (
        False,
        "no Authentication-Results from mx.google.com",
    )


@pytest.mark.parametrize(
    "result",
    [
        "dkim=pass header.d=other.example",
        "dkim=pass header.i=@mail.example.com",  # a subdomain is not the From domain
        "dkim=pass header.d=notexample.com",
        "dkim=pass header.d=evil.example header.i=@example.com",  # d is the signer
        "dkim=pass header.d= header.i=",
        "dkim=pass header.d=example.com.evil.net",
        "dkim=fail header.d=example.com",
        "dkim=neutral header.d=example.com",
        "dmarc=bestguesspass header.from=example.com",
        "dmarc=pass header.from=example.net",
        "spf=pass smtp.mailfrom=bob@example.com",  # SPF alone says nothing about From
        "arc=pass header.d=example.com",
        "none",
    ],
)
def test_results_that_do_not_vouch_for_the_from_domain(result: str) -> None:
    trusted, reason = trusted_sender(
        mail(f"Authentication-Results: mx.google.com; {result}"), STAFF, GMAIL
    )
    assert not trusted
    assert reason.startswith("no dkim=pass or dmarc=pass for example.com")


def test_the_reason_lists_what_was_seen() -> None:
    header = (
        "Authentication-Results: mx.google.com; dkim=pass header.d=mailchimp.example;"
        " dkim=fail header.d=example.com; dmarc=fail header.from=example.com"
    )
    assert trusted_sender(mail(header), STAFF, GMAIL) == (
        False,
        "no dkim=pass or dmarc=pass for example.com (dkim=pass header.d=mailchimp.example; "
        "dkim=fail header.d=example.com; dmarc=fail header.from=example.com)",
    )


def test_quoted_and_upper_case_values() -> None:
    header = (
        'Authentication-Results: MX.Google.COM 1; DKIM=PASS reason="good signature"'
        ' Header.D="Example.COM"'
    )
    assert trusted_sender(mail(header), STAFF, GMAIL)[0]


def test_a_comment_with_a_semicolon_does_not_split_a_result() -> None:
    header = (
        "Authentication-Results: mx.google.com; dkim=fail (sig; dmarc=pass header.from=example.com)"
        " header.d=example.com"
    )
    trusted, reason = trusted_sender(mail(header), STAFF, GMAIL)
    assert not trusted and "dkim=fail header.d=example.com" in reason


# --- who may give commands ------------------------------------------------------------------


def test_a_stranger_is_never_trusted() -> None:
    stranger = mail(GMAIL_AR, sender="Mallory <mallory@example.net>")
    assert trusted_sender(stranger, STAFF, GMAIL) == (
        False,
        "From mallory@example.net is not staff",
    )
    from_header = TrustPolicy(mode="from-header")
    assert not trusted_sender(stranger, STAFF, from_header)[0]
    assert not trusted_sender(stranger, STAFF, GMAIL, in_sent_folder=True)[0]


def test_staff_is_compared_without_case() -> None:
    assert trusted_sender(mail(GMAIL_AR, sender="ALICE@example.COM"), STAFF, GMAIL)[0]


def test_the_sent_folder_is_trusted() -> None:
    assert trusted_sender(mail(), STAFF, GMAIL, in_sent_folder=True) == (
        True,
        "found in the shared Sent folder",
    )


def test_from_header_mode_says_it_is_weaker() -> None:
    trusted, reason = trusted_sender(mail(), STAFF, TrustPolicy(mode="from-header"))
    assert trusted and "from-header mode" in reason and "not verified" in reason


def test_no_authserv_id_configured() -> None:
    trusted, reason = trusted_sender(mail(GMAIL_AR), STAFF, TrustPolicy())
    assert not trusted and reason.startswith("no authserv-id configured")


def test_two_from_addresses_are_refused() -> None:
    assert trusted_sender(
        mail(GMAIL_AR, sender="bob@example.com, mallory@example.net"), STAFF, GMAIL
    ) == (False, "more than one From address")
    doubled = mail(GMAIL_AR + "From: mallory@example.net\n")
    assert trusted_sender(doubled, STAFF, GMAIL) == (False, "more than one From address")


def test_no_from() -> None:
    raw = b"To: sales@example.com\nSubject: x\n\n#status done\n"
    assert trusted_sender(parse_message(raw), STAFF, GMAIL) == (False, "no From address")


def test_unknown_trust_mode() -> None:
    with pytest.raises(ValueError, match="unknown trust mode 'dkim'"):
        TrustPolicy(mode="dkim")


# --- the Authentication-Results parser itself ------------------------------------------------


def test_parser_reads_the_rfc_8601_examples() -> None:
    header = parse_authentication_results(
        "example.com; auth=pass (cram-md5) smtp.auth=sender@example.net;"
        ' spf=pass smtp.mailfrom=example.net; sender-id=pass header.from="example.net"'
    )
    assert header.authserv_id == "example.com"
    assert [(r.method, r.result) for r in header.results] == [
        ("auth", "pass"),
        ("spf", "pass"),
        ("sender-id", "pass"),
    ]
    assert header.results[2].props["header.from"] == "example.net"
    assert parse_authentication_results("example.org 1; none").results == ()


def test_parser_tolerates_broken_writers() -> None:
    yahoo = parse_authentication_results(
        "mta508.mail.kks.y.example.co.jp from=y.example.co.jp; domainkeys=pass (ok);"
        " dkim=pass (ok); header.i=@y.example.co.jp"
    )
    assert yahoo.authserv_id == "mta508.mail.kks.y.example.co.jp"
    assert [r.method for r in yahoo.results] == ["domainkeys", "dkim"]
    m365 = parse_authentication_results(
        "spf=none (sender IP is 192.0.2.6) smtp.mailfrom=a@example.ed.jp; example.com;"
        " dkim=none (message not signed) header.d=none;example.com; dmarc=none action=none"
    )
    assert m365.authserv_id == "" and [r.method for r in m365.results] == ["spf", "dkim", "dmarc"]
    empty_value = parse_authentication_results("x.example; spf=pass smtp.mailfrom=; dkim=none")
    assert empty_value.results[0].props["smtp.mailfrom"] == ""


def test_parser_never_hangs_or_raises_on_garbage() -> None:
    rng = random.Random(8601)
    alphabet = 'ab=;()"\\ .@-/\t'
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        header = parse_authentication_results(text)
        assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", r.method) for r in header.results)


# --- internal only ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "extra", "expected"),
    [
        ("sales@example.com", "", True),
        ("SALES@Example.com", "Cc: Bob <bob@example.com>\n", True),
        ("sales+p12@example.com", "", True),  # the plus-addressed Reply-To of a notification
        ("sales@example.com", "Cc: Jane <jane@example.org>\n", False),
        ("jane@example.org", "Cc: sales@example.com\n", False),
        ("sales@example.com", "Bcc: jane@example.org\n", False),  # a Sent copy keeps Bcc
        ("undisclosed-recipients:;", "", False),  # nobody visible: cannot tell
        ("owner@example.com, alice@example.com", "", True),
    ],
)
def test_internal_only(to: str, extra: str, expected: bool) -> None:
    assert internal_only(mail(extra, to=to), STAFF, OWN) is expected


def test_lang_sets_the_language_of_our_automatic_mail() -> None:
    [command] = parse_commands("#lang ES").commands
    assert command.args == ("es",)
    [error] = parse_commands("#lang spanish").errors
    assert "two-letter language code" in error


def test_a_forged_pass_below_a_genuine_fail_is_ignored() -> None:
    """A server that does not strip headers claiming its id: the topmost one counts."""
    forged = (
        "Authentication-Results: mx.google.com; dkim=fail header.i=@example.com;\n"
        " dmarc=fail header.from=example.com\n"
        "Authentication-Results: mx.google.com; dkim=pass header.i=@example.com;\n"
        " dmarc=pass header.from=example.com\n"
    )
    trusted, reason = trusted_sender(mail(forged), STAFF, GMAIL)
    assert not trusted and "dkim=fail" in reason


def test_a_forged_header_below_the_hop_our_server_recorded_is_ignored() -> None:
    forged = (
        "Received: from mail.evil.example by mx.google.com; Sun, 22 Nov 2026 09:00:01 +0000\n"
        "Authentication-Results: mx.google.com; spf=none smtp.mailfrom=evil.example\n"
        "Received: from localhost by mail.evil.example; Sun, 22 Nov 2026 09:00:00 +0000\n"
        "Authentication-Results: mx.google.com; dkim=pass header.i=@example.com;\n"
        " dmarc=pass header.from=example.com\n"
    )
    trusted, reason = trusted_sender(mail(forged), STAFF, GMAIL)
    assert not trusted
    assert "1 lower header(s) claiming mx.google.com ignored" in reason


def test_our_server_writing_one_header_per_method_still_counts() -> None:
    """OpenDKIM and OpenDMARC each add a header: for each method the topmost result counts."""
    split = (
        "Authentication-Results: mail.example.com; dmarc=pass header.from=example.com\n"
        "Authentication-Results: mail.example.com; dkim=pass header.d=example.com\n"
        "Authentication-Results: mail.example.com; dmarc=fail header.from=example.com\n"
    )
    policy = TrustPolicy(authserv_ids=frozenset({"mail.example.com"}))
    trusted, reason = trusted_sender(mail(split), STAFF, policy)
    assert trusted and "dmarc=pass" in reason
