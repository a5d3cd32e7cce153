"""Sources and interests: the shipped rules (rules.toml) against hand-made samples of
every platform's notification, then the rule language itself: parsing problems and matching."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, TypedDict, Unpack

import pytest

from inbox_agent.exceptions import Problem
from inbox_agent.mail.contact import extract_contact
from inbox_agent.mail.message import Address, Message, parse_message
from inbox_agent.mail.sources import (
    BODY_CAP,
    InterestRule,
    SourceRule,
    match_interest,
    match_source,
    parse_interest_rules,
    parse_source_rules,
)
from tests.mailgen import form_notification, inquiry

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / "tests" / "data" / "handmade" / "forms"
OWN = frozenset({"sales@acme-widgets.example"})


def shipped() -> tuple[tuple[SourceRule, ...], tuple[InterestRule, ...]]:
    raw = tomllib.loads((ROOT / "rules.toml").read_text(encoding="utf-8"))
    sources, problems = parse_source_rules(raw["sources"], "rules.toml")
    assert problems == []
    interests, problems = parse_interest_rules(raw["interests"], "rules.toml")
    assert problems == []
    return sources, interests


SOURCES, INTERESTS = shipped()


class Expect(NamedTuple):
    file: str  # tests/data/handmade/forms/<file>.eml
    region: str  # the business's default phone region
    source: str
    robot: bool
    interest: str
    email: str
    name: str
    surname: str
    phone: str
    company: str
    question: str  # what the question starts with ('' for none)


EXPECTED = [Expect(*row) for row in [
    ("cf7", "ZA", "website", True, "quote", "thandi.nkosi@example.net", "Thandi", "Nkosi",
     "+27825550147", "", "Could you send me a quote for 200 branded mugs"),
    ("wpforms", "ZA", "website", True, "technical_assistance", "pieter@vdm-engineering.example",
     "Pieter", "van der Merwe", "+27215550198", "VDM Engineering (Pty) Ltd",
     "Our conveyor controller shows error E42"),
    ("gravity", "US", "website", True, "quote", "maria.souza@example.com", "Maria", "Souza",
     "+14155550132", "Souza Family Bakery", "Please send pricing for a 10 kW rooftop system"),
    ("wix", "ZA", "website", True, "product_information", "ana.garcia@example.org", "Ana",
     "García", "+14155550171", "", "Do you offer drought-resistant lawn options"),
    ("squarespace", "US", "website", True, "product_information", "james.oconnor@example.org",
     "James", "O'Connor", "", "", "Do you make the Hudson dining table in walnut"),
    ("webflow", "DE", "website", True, "quote", "lukas.becker@example.de", "Lukas", "Becker",
     "+4930901820", "", "We need a quote for redesigning our company website"),
    ("hubspot", "GB", "website", True, "technical_assistance", "priya.sharma@example.co.uk",
     "Priya", "Sharma", "+442079460958", "Sharma Logistics Ltd",
     "Our tracking portal shows an error"),
    ("facebook_lead", "ZA", "facebook", True, "quote", "sipho.dlamini@example.co.za", "Sipho",
     "Dlamini", "+27715550123", "", "Solar geyser installation pricing"),
    ("linkedin_lead", "DE", "linkedin", True, "product_information", "hannah.mueller@example.de",
     "Hannah", "Müller", "+49891234567", "Müller Maschinenbau GmbH", ""),
    ("google_ads_lead", "PT", "google_ads", True, "quote", "carlos.mendes@example.pt", "Carlos",
     "Mendes", "+351912345678", "", "A quote for a new kitchen installation"),
    ("twitter", "ZA", "twitter", True, "product_information", "", "", "", "", "", ""),
    ("referral", "ZA", "referral", False, "quote", "grace.mokoena@example.com", "Grace",
     "Mokoena", "+27115550100", "", "David Smith from Smith & Co referred me to you."),
    ("direct_email", "NG", "email", False, "product_information", "chidi.okafor@example.ng",
     "Chidi", "Okafor", "+2348035550123", "", "Do you have the blue widget (model BW-200)"),
    ("generic_es", "ES", "website", True, "quote", "lucia.fernandez@example.es", "Lucía",
     "Fernández Ruiz", "+34612345678", "Reformas Fernández", "Necesito un presupuesto"),
    ("generic_de", "DE", "website", True, "technical_assistance", "jonas.schmidt@example.de",
     "Jonas", "Schmidt", "+493012345678", "Schmidt Gastronomie GmbH",
     "Unsere Kühlanlage funktioniert nicht mehr."),
]]  # fmt: skip


def test_the_rules_start_with_their_first_table() -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    first = text.index("[[sources]]")  # tests/realconfig.py cuts the shipped file here
    assert text[first - 1] == "\n"
    assert text[first:].startswith("[[sources]]\nname =")


def test_every_sample_has_an_expectation() -> None:
    assert sorted(p.stem for p in FORMS.glob("*.eml")) == sorted(e.file for e in EXPECTED)


@pytest.mark.parametrize("expect", EXPECTED, ids=[e.file for e in EXPECTED])
def test_sample(expect: Expect) -> None:
    msg = parse_message((FORMS / f"{expect.file}.eml").read_bytes())
    found = match_source(msg, SOURCES)
    assert (found.name, found.robot) == (expect.source, expect.robot), found.reason
    assert match_interest(msg, INTERESTS) == expect.interest
    contact = extract_contact(
        msg, robot=found.robot, default_region=expect.region, own_addresses=OWN
    )
    assert (contact.email, contact.name, contact.surname) == (
        expect.email,
        expect.name,
        expect.surname,
    )
    assert (contact.phone, contact.company) == (expect.phone, expect.company)
    assert contact.question.startswith(expect.question)
    assert len(contact.question) <= 200 and "\n" not in contact.question
    if not expect.question:
        assert contact.question == ""


def test_the_project_fixtures_agree() -> None:
    form = parse_message(form_notification())
    assert (match_source(form, SOURCES).name, match_source(form, SOURCES).robot) == (
        "website",
        True,
    )
    assert match_interest(form, INTERESTS) == "quote"
    person = parse_message(inquiry())
    assert match_source(person, SOURCES).name == "email"


def test_a_person_mentioning_facebook_or_a_form_is_no_robot() -> None:
    for subject, body in [
        ("Saw your Facebook lead magnet", "Hi, what lead times do you have on oak tables?"),
        ("Problem with the form submission on your site", "Your contact form gives an error."),
        ("Google lead?", "Is this the right address for new orders?"),
    ]:
        found = match_source(parse_message(inquiry(subject=subject, body=body)), SOURCES)
        assert (found.name, found.robot) == ("email", False), subject


@pytest.mark.parametrize(
    "subject",
    [
        "New Entry: Contact Form",
        "New submission from Request a Quote",
        'New message from "Acme Widgets"',
        "Ninja Forms Submission",
        "[Contact] New Form Submission",
        "Form Submission - Contact Us",
        "Nuevo mensaje del formulario de contacto",
        "Neue Anfrage über Kontaktformular",
    ],
)
def test_form_plugin_subjects(subject: str) -> None:
    raw = inquiry(sender="Acme <webmaster@acme.example>", subject=subject, body="Name\nSam")
    found = match_source(parse_message(raw), SOURCES)
    assert (found.name, found.robot) == ("website", True)


def test_a_wordpress_notice_without_an_email_field_is_not_a_form() -> None:
    raw = inquiry(
        sender="WordPress <wordpress@acme.example>",
        subject="[Acme] Some plugins were automatically updated",
        body="Howdy! Some plugins have automatically updated to their latest versions.",
    )
    assert match_source(parse_message(raw), SOURCES).name == "email"


# ---------------------------------------------------------------- parsing problems


def keys(problems: list[Problem]) -> list[str]:
    return [p.key for p in problems]


def test_every_problem_is_reported_with_its_place() -> None:
    raw = [
        {
            "name": "web",
            "robot": "yes",
            "subjct": ["x"],
            "subject": ["ok", "(bad"],
            "match": "most",
        },
        "not a table",
        {"name": "x y", "from": "wordpress@*", "headers": {"Bad Name": "x", "X-Ok": 3}},
        {"name": "empty"},
        {"robot": True, "body": ["[unclosed"]},
    ]
    rules, problems = parse_source_rules(raw, "rules.toml")
    assert rules == ()
    assert keys(problems) == [
        "sources[0].subjct",
        "sources[0].robot",
        "sources[0].match",
        "sources[0].subject[1]",
        "sources[1]",
        "sources[2].name",
        "sources[2].from",
        "sources[2].headers.Bad Name",
        "sources[2].headers.X-Ok",
        "sources[3]",
        "sources[4].name",
        "sources[4].body[0]",
    ]
    assert all(p.file == "rules.toml" for p in problems)
    assert "did you mean 'subject'?" in problems[0].message
    assert "not a valid regular expression" in problems[3].message
    assert "no conditions" in problems[9].message


def test_sources_must_be_a_list() -> None:
    assert keys(parse_source_rules({"name": "x"}, "f")[1]) == ["sources"]
    assert parse_source_rules([], "f") == ((), [])


def test_interest_problems() -> None:
    raw = [
        {"name": "q"},
        {"name": "t", "keywords": []},
        {"name": "u", "keywords": ["ok", 3], "keyword": ["x"]},
    ]
    rules, problems = parse_interest_rules(raw, "f")
    assert rules == ()
    assert keys(problems) == [
        "interests[0].keywords",
        "interests[1].keywords",
        "interests[2].keyword",
        "interests[2].keywords[1]",
    ]
    assert "did you mean 'keywords'?" in problems[2].message
    assert keys(parse_interest_rules("quote", "f")[1]) == ["interests"]


def test_a_good_rule_survives_a_bad_neighbour() -> None:
    rules, problems = parse_source_rules(
        [{"name": "a", "subject": ["("]}, {"name": "b", "subject": ["x"]}], "f"
    )
    assert [r.name for r in rules] == ["b"] and keys(problems) == ["sources[0].subject[0]"]


# ---------------------------------------------------------------- matching


class _Fields(TypedDict, total=False):
    """The ``Message`` fields these tests set."""

    message_id: str
    subject: str
    from_: Address | None
    reply_to: tuple[Address, ...]
    cc: tuple[Address, ...]
    delivered_to: tuple[str, ...]
    text: str
    headers: Mapping[str, tuple[str, ...]]


def message(**fields: Unpack[_Fields]) -> Message:
    values: _Fields = {
        "message_id": "m@x",
        "subject": "",
        "from_": Address("", "a@b.example"),
    }
    values.update(fields)
    return Message(**values)


def rules(*tables: dict[str, object]) -> tuple[SourceRule, ...]:
    parsed, problems = parse_source_rules(list(tables), "f")
    assert problems == []
    return parsed


def test_any_fires_on_one_condition_and_all_needs_every_one() -> None:
    table = {
        "name": "fb",
        "robot": True,
        "from": ["*@facebookmail.com", "*@meta.com"],
        "subject": ["lead"],
    }
    msg = message(from_=Address("Meta", "notify@meta.com"), subject="Weekly page insights")
    assert match_source(msg, rules(table)).name == "fb"
    assert match_source(msg, rules({**table, "match": "all"})).name == "email"
    both = message(from_=Address("Meta", "notify@meta.com"), subject="A new lead")
    found = match_source(both, rules({**table, "match": "all"}))
    assert (found.name, found.robot) == ("fb", True)
    assert found.reason == "from matches *@meta.com and subject matches lead"


def test_first_rule_wins_and_the_default_is_a_person() -> None:
    table = rules({"name": "one", "subject": ["x"]}, {"name": "two", "subject": ["x"]})
    assert match_source(message(subject="x"), table).name == "one"
    nothing = match_source(message(subject="y"), table, default="direct")
    assert (nothing.name, nothing.robot, nothing.reason) == (
        "direct",
        False,
        "no source rule matched",
    )


def test_globs_are_case_insensitive_and_to_covers_cc_and_delivered_to() -> None:
    table = rules({"name": "web", "to": ["SALES+WEB@*"]}, {"name": "wp", "from": ["WordPress@*"]})
    assert match_source(message(cc=(Address("", "sales+web@shop.example"),)), table).name == "web"
    assert match_source(message(delivered_to=("sales+web@shop.example",)), table).name == "web"
    assert match_source(message(from_=Address("", "wordpress@shop.example")), table).name == "wp"
    assert match_source(message(from_=None), table).name == "email"


def test_reply_to_and_headers() -> None:
    table = rules(
        {"name": "rt", "reply_to": ["*@leads.example"]},
        {"name": "hd", "headers": {"X-Mailer": "(?i)wpforms"}},
    )
    assert match_source(message(reply_to=(Address("", "x@leads.example"),)), table).name == "rt"
    msg = message(headers={"x-mailer": ("PHPMailer", "WPForms 1.8")})
    assert match_source(msg, table).reason == "header x-mailer matches (?i)wpforms"


def test_the_body_is_searched_only_up_to_the_cap() -> None:
    table = rules({"name": "deep", "body": ["needle"]})
    assert match_source(message(text="x" * (BODY_CAP - 10) + "needle"), table).name == "deep"
    assert match_source(message(text="x" * BODY_CAP + "needle"), table).name == "email"


def interests(*tables: dict[str, object]) -> tuple[InterestRule, ...]:
    parsed, problems = parse_interest_rules(list(tables), "f")
    assert problems == []
    return parsed


def test_keywords_are_whole_words_ignoring_case_and_accents() -> None:
    table = interests({"name": "quote", "keywords": ["quote", "cotización", "repar*", "how much"]})
    assert match_interest(message(subject="Please QUOTE 40 units"), table) == "quote"
    assert match_interest(message(subject="I quoted you earlier"), table) == "product_information"
    assert match_interest(message(text="Necesito una cotizacion"), table) == "quote"
    assert match_interest(message(text="¿Me envían una COTIZACIÓN?"), table) == "quote"
    assert match_interest(message(text="Reparatur bitte"), table) == "quote"
    assert match_interest(message(text="How\n  much is it?"), table) == "quote"
    assert match_interest(message(text="It doesn\u2019t work"), INTERESTS) == "technical_assistance"
    assert match_interest(message(text="nothing here"), table, default="info") == "info"
    assert match_interest(message(text="quote"), (), default="info") == "info"


def test_the_first_interest_with_a_keyword_wins() -> None:
    table = interests(
        {"name": "quote", "keywords": ["price"]}, {"name": "tech", "keywords": ["broken"]}
    )
    assert (
        match_interest(message(text="It is broken; what is the price of a new one?"), table)
        == "quote"
    )
    assert match_interest(message(text="It is broken."), table) == "tech"


def test_a_known_sender_is_a_named_platform_or_the_businesss_own_domain() -> None:
    from inbox_agent.mail.sources import known_sender

    rules = SOURCES
    assert known_sender(_from("Leads <lead@facebookmail.com>"), rules)
    assert known_sender(_from("form-submission@squarespace.info"), rules)
    assert not known_sender(_from("wordpress@evil.example"), rules)  # wordpress@* fits anyone
    assert known_sender(_from("wordpress@acme.example"), rules, frozenset({"acme.example"}))
    assert known_sender(_from("forms@shop.acme.example"), rules, frozenset({"acme.example"}))
    assert not known_sender(_from("x@notacme.example"), rules, frozenset({"acme.example"}))
    assert not known_sender(_from("jane@example.org"), rules)


def _from(sender: str) -> Message:
    return parse_message(inquiry(sender=sender))
