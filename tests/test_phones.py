"""Phone numbers (mail.phones) and whose domain an address is at (mail.domains)."""

from __future__ import annotations

import pytest

from inbox_agent.mail.domains import business_domains, registrable, same_owner
from inbox_agent.mail.phones import Phone, field_phone, link_phone, text_phone


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("082 555 0147", "ZA", Phone("082 555 0147", "+27825550147")),
        ("+1 415 555 0172", "ZA", Phone("+1 415 555 0172", "+14155550172")),  # its own code
        ("0027 82 555 0147", "US", Phone("0027 82 555 0147", "+27825550147")),
        ("(415) 555-0199", "ZA", Phone("(415) 555-0199", "")),  # not valid in ZA: as written
        ("555-0199", "US", Phone("555-0199", "")),  # no area code: kept, never completed
        ("(11) 98765-4321 (WhatsApp)", "BR", Phone("(11) 98765-4321", "+5511987654321")),
        ("2024-05-01", "US", None),  # a date
        ("12/03/2026", "GB", None),
        ("123.456.789-09", "BR", None),  # a CPF
        ("12.345.678/0001-90", "BR", None),  # a CNPJ
        ("0000000000", "US", None),
        ("90210", "US", None),  # too short to keep when not valid
        ("call me", "US", None),
    ],
)
def test_field_phone(value: str, region: str, expected: Phone | None) -> None:
    assert field_phone(value, region) == expected


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        # the cases
        ("You can reach me on +27 82 555 0147", "ZA", Phone("+27 82 555 0147", "+27825550147")),
        ("Best number is (503) 555-0148, mornings", "US", Phone("(503) 555-0148", "+15035550148")),
        ("Best number is (503) 555-0148, mornings", "ZA", Phone("(503) 555-0148", "")),
        # digit runs that are no phones, before the phone
        (
            "Order #100045, ZIP 97214. Call me on (503) 555-0148",
            "US",
            Phone("(503) 555-0148", "+15035550148"),
        ),
        (
            "CPF 123.456.789-09, pedido 2026031400123, CEP 13010-111. WhatsApp (11) 98765-4321",
            "BR",
            Phone("(11) 98765-4321", "+5511987654321"),
        ),
        ("Order number 0825550147", "ZA", None),
        ("Invoice 4155552671 is overdue", "US", None),
        ("Fax: +27 21 555 0100", "ZA", None),
        ("Acme Widgets, call us on +27 21 555 0198", "ZA", None),  # the business's own line
        ("please call our customer service at 1-888-501-7368", "US", None),  # toll-free
        ("Arriving on the 22:40 train, booking 4192837465", "IT", None),
        ("We are at 4127 SE Division St, 97214.", "US", None),
    ],
)
def test_text_phone(text: str, region: str, expected: Phone | None) -> None:
    assert text_phone(text, region) == expected


def test_link_phone_reads_tel_links_and_phone_parameters() -> None:
    zillow = "https://www.zillow.com/x?name=Priya%20Raman&phone=(805)555-0198&date=03/23/19"
    assert link_phone(["https://x.example/a", zillow], "US") == Phone(
        "(805)555-0198", "+18055550198"
    )
    assert link_phone(["tel:+27825550147"], "US") == Phone("+27825550147", "+27825550147")
    assert link_phone(["https://x.example/?date=03/23/19&id=12345678"], "US") is None


def test_registrable_domains() -> None:
    assert registrable("messaging.yelp.com") == "yelp.com"
    assert registrable("mail.loja.com.br") == "loja.com.br"
    assert registrable("reply.example.co.uk") == "example.co.uk"
    # documentation domains: each subdomain is its own owner, as the examples mean it
    assert registrable("mail.shop.example.com") == "shop.example.com"
    assert same_owner("support@zillow.com", "zms-1@reply.zillow.com")
    assert not same_owner("a@gmail.com", "b@gmail.com")  # nobody owns a public mail domain
    assert not same_owner("a@shop.example.com", "b@people.example.com")


def test_public_mail_domains_are_never_the_business_own() -> None:
    assert business_domains({"gmail.com", "acme.example", ""}) == frozenset({"acme.example"})
