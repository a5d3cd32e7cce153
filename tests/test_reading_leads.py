"""A lead is never dropped for its sender, and the person is never the business or the platform:
the reading (mail.reading) of robot mail that names a person, with the shipped rules.toml."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from inbox_agent.config import Settings
from inbox_agent.exceptions import ParseError
from inbox_agent.mail.classify import Kind
from inbox_agent.mail.contact import Origin
from inbox_agent.mail.reading import ReadingRules, read_message
from inbox_agent.mail.sources import parse_source_rules
from inbox_agent.rules import reading_rules
from tests.mailgen import inquiry

CORPUS = Path(__file__).parent / "data" / "corpus"
# labels no website rule of rules.toml takes for a form (no name field above the e-mail)
FORM = "Cliente: Carlos Pereira\nE-mail: carlos@example.net\nTelefone: (11) 98555-0123\n"


@pytest.fixture
def rules(settings: Settings) -> ReadingRules:
    """The shipped rules for a business at acme-widgets.example, in Brazil."""
    return reading_rules(
        replace(
            settings,
            mailbox=replace(settings.mailbox, address="sales@acme-widgets.example"),
            business=replace(settings.business, website="https://www.acme-widgets.example"),
            classify=replace(settings.classify, default_region="BR"),
        )
    )


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@leads.provider.example",
        "naoresponda@leads.provider.example",
        "nepasrepondre@leads.provider.example",
        "keineantwort@leads.provider.example",
        "do-not-reply@leads.provider.example",
    ],
)
def test_a_no_reply_robot_naming_a_person_is_an_inquiry_from_them(
    sender: str, rules: ReadingRules
) -> None:
    """The lead is the person's record — but a robot no rule knows cannot choose whom we mail
    (the open-relay rule): no acknowledgment until the owner names the platform."""
    reading = read_message(inquiry(sender=sender, subject="Novo lead", body=FORM), rules)
    assert reading.kind == Kind.INQUIRY, reading.verdict
    assert reading.contact is not None
    assert (reading.contact.email, reading.contact.phone) == (
        "carlos@example.net",
        "+5511985550123",
    )
    assert reading.contact.origin == Origin.FORM
    assert reading.source.name == "provider.example"  # no rule knows it: its domain, not "email"
    assert reading.source.robot and not reading.source.known_sender
    assert reading.action == "none"
    assert "a sender the rules do not know" in reading.action_reason


def test_a_platform_the_owner_names_gets_its_leads_acknowledged(rules: ReadingRules) -> None:
    known, problems = parse_source_rules(
        [{"name": "provider", "robot": True, "from": ["*@leads.provider.example"]}], "rules.toml"
    )
    assert not problems
    rules = replace(rules, sources=known + rules.sources)
    raw = inquiry(sender="naoresponda@leads.provider.example", subject="Novo lead", body=FORM)
    reading = read_message(raw, rules)
    assert (reading.kind, reading.action) == (Kind.INQUIRY, "acknowledge"), reading.action_reason
    assert reading.contact is not None and reading.contact.email == "carlos@example.net"
    assert reading.source.name == "provider" and reading.source.known_sender


@pytest.mark.parametrize(
    "body",
    [
        "Your weekly report: 12 new visitors.\nUnsubscribe: https://x.example/u",
        "Name: Carlos Pereira\nTelefone: (11) 98555-0123\n",  # a person, but no address
        "E-mail: support@leads.provider.example\nName: Support team\n",  # the platform's own
        "E-mail: sales@acme-widgets.example\nName: Sales\n",  # ours
        "E-mail: alice@example.com\nMessage: assigned to you\n",  # an agent
        "Contact us at help@other.example if you have questions.",  # an address, no person field
    ],
)
def test_a_no_reply_robot_naming_no_person_stays_robot_mail(body: str, rules: ReadingRules) -> None:
    raw = inquiry(sender="noreply@leads.provider.example", body=body)
    reading = read_message(raw, rules)
    assert reading.action == "none", reading.verdict
    # the generic form rules may still call it a form: then there is no one to answer
    assert reading.kind == Kind.AUTO_REPLY or (reading.contact and not reading.contact.email)


def test_json_and_html_table_bodies_name_a_person(rules: ReadingRules) -> None:
    json_body = '{"nome":"Ana Souza","email":"ana@example.net","celular":"(11) 98765-4321"}'
    reading = read_message(inquiry(sender="naoresponda@x.example", body=json_body), rules)
    assert reading.contact is not None and reading.kind == Kind.INQUIRY
    assert (reading.contact.email, reading.contact.origin) == ("ana@example.net", Origin.PAYLOAD)
    assert reading.contact.phone_raw == "(11) 98765-4321"


def test_a_known_platform_notice_is_not_a_person_writing(rules: ReadingRules) -> None:
    # Formspree's own notice: the sender a rule names, but no rule fired and nobody is named
    raw = inquiry(
        sender="Formspree <submissions@formspree.io>",
        subject="Formspree Notice: Approaching submission limit.",
        body="You've reached 90% of the Formspree free monthly limit.",
    )
    reading = read_message(raw, rules)
    assert (reading.kind, reading.action) == (Kind.AUTO_REPLY, "none")


def test_our_own_domain_naming_someone_else_is_the_site_form(rules: ReadingRules) -> None:
    raw = inquiry(
        sender="Acme <web@acme-widgets.example>",
        subject="Contact",
        body="Name: Sam Smith\nEmail: sam@example.net\nMessage: Do you ship to Durban?\n",
    )
    reading = read_message(raw, rules)
    assert (reading.kind, reading.source.name) == (Kind.INQUIRY, "website")
    assert reading.contact is not None and reading.contact.email == "sam@example.net"
    # a colleague at our domain writing about a customer is no robot: and never the person
    raw = inquiry(sender="Bob <bob@acme-widgets.example>", body="Can someone call Mrs Dube?")
    reading = read_message(raw, rules)
    assert reading.contact is not None and reading.contact.email == ""


def test_a_shared_mailbox_at_gmail_does_not_make_every_gmail_user_ours(
    settings: Settings,
) -> None:
    rules = reading_rules(
        replace(
            settings,
            mailbox=replace(settings.mailbox, address="acmewidgets@gmail.com"),
            business=replace(settings.business, website=""),
        )
    )
    reading = read_message(inquiry(sender="Jane <jane.doe@gmail.com>"), rules)
    assert reading.contact is not None and reading.contact.email == "jane.doe@gmail.com"
    assert reading.action == "acknowledge"


def test_a_relay_is_answered_only_when_nothing_else_names_the_person(rules: ReadingRules) -> None:
    relay = "Priya <2g9k4x7tq1zp8@convo.zillow.com>"
    only = read_message(inquiry(sender=relay, subject="New tour request for 1 Main St"), rules)
    assert only.contact is not None and only.source.name == "zillow"
    assert (only.contact.email, only.contact.origin) == ("2g9k4x7tq1zp8@convo.zillow.com", "relay")
    real = read_message(
        inquiry(sender=relay, subject="New tour request", body="Email: priya@example.net\n"), rules
    )
    assert real.contact is not None and real.contact.email == "priya@example.net"
    support = read_message(
        inquiry(sender=relay, subject="New tour request", body="Email: help@zillow.com\n"), rules
    )
    assert support.contact is not None and support.contact.relay  # never Zillow's own support@


def test_relay_and_links_keys_are_parsed_and_checked() -> None:
    rules, problems = parse_source_rules(
        [
            {"name": "x", "robot": True, "from": ["*@x.example"], "relay": ["*@r.x.example"]},
            {"name": "y", "robot": True, "links": ["^https://y\\.example/"]},
            {"name": "z", "relay": ["*@z.example"]},  # a relay is no condition
            {"name": "w", "links": ["("]},
        ],
        "rules.toml",
    )
    assert [r.name for r in rules] == ["x", "y"]
    assert [p.key for p in problems] == ["sources[2]", "sources[3].links[0]"]


@pytest.mark.parametrize("category", ["a-bounces", "b-auto-replies", "f-mailing-lists"])
def test_real_robot_mail_is_never_acknowledged_through_the_whole_reading(
    category: str, rules: ReadingRules
) -> None:
    """The corpus figures stay at 100 % with the lead rescue on: no bounce, auto-reply or list
    message of ``tests/data/corpus`` becomes an acknowledged inquiry."""
    for path in sorted(p for p in (CORPUS / category).rglob("*") if p.is_file()):
        try:
            reading = read_message(path.read_bytes(), rules)
        except ParseError:
            continue
        if path.name.startswith("is-not-bounce-"):
            continue  # sisimai's negative controls: a person's mail
        assert reading.action == "none", (path.name, reading.verdict, reading.source)
        assert reading.kind != Kind.INQUIRY, (path.name, reading.verdict)
