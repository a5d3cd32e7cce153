"""Structured lead payloads (mail.payloads): ADF/XML and JSON-like bodies."""

from __future__ import annotations

from pathlib import Path

from inbox_agent.mail.message import parse_message
from inbox_agent.mail.payloads import find_payload

NOTIFICATIONS = Path(__file__).parent / "data" / "notifications"


def test_the_adf_specification_sample_though_not_well_formed_xml() -> None:
    msg = parse_message((NOTIFICATIONS / "adf-1.eml").read_bytes())
    found = find_payload(msg.text, msg.payloads)
    assert found is not None and found.kind == "adf"
    assert (found.name, found.surname, found.email, found.phone) == (
        "John",
        "Doe",
        "",
        "393-999-3922",
    )
    assert found.topic == "1999 Chevrolet Blazer"  # and never the vendor, "Acura of Bellevue"
    assert "Acura" not in " ".join(v for _, v in found.fields)


def test_adf_in_an_attachment() -> None:
    msg = parse_message((NOTIFICATIONS / "adf-2.eml").read_bytes())
    assert "kevin" not in msg.text.lower()  # the text parts are the plugin's placeholders
    found = find_payload(msg.text, msg.payloads)
    assert found is not None
    assert (found.email, found.phone, found.topic) == (
        "kevin.okafor@example.net", "(732) 555-0164", "2024 Honda CR-V EX-L",
    )  # fmt: skip
    assert ("Stock", "H24117") in found.fields
    assert found.comments.startswith("Is this one still available?")


def test_adf_names_by_part_and_cdata() -> None:
    text = (
        '<?ADF VERSION "1.0"?><adf><prospect><customer><contact>'
        '<name part="last">Souza</name><name part="first">Ana</name>'
        "<email><![CDATA[ana@example.net]]></email><phone type='cellphone'>(11) 98765-4321</phone>"
        "</contact></customer><vendor><contact><email>dealer@example.com</email></contact>"
        "</vendor></prospect></adf>"
    )
    found = find_payload(text)
    assert found is not None
    assert (found.name, found.surname, found.email) == ("Ana", "Souza", "ana@example.net")


def test_json_like_bodies() -> None:
    strict = '{"nome": "Carlos Pereira", "email": "c@example.com", "telefone": "(11) 3555-0123"}'
    found = find_payload(f"Novo lead\n{strict}\n")
    assert found is not None and found.kind == "json"
    assert (found.name, found.surname, found.phone) == ("Carlos", "Pereira", "(11) 3555-0123")
    loose = "{'Nome': 'Ana Souza', 'E-mail': 'ana@example.net', 'Celular': '(11) 98765-4321',}"
    found = find_payload(loose)
    assert found is not None and (found.email, found.phone) == (
        "ana@example.net",
        "(11) 98765-4321",
    )


def test_no_payload_in_ordinary_text_or_css() -> None:
    assert find_payload("Hello, {can you} help? body {color: red}") is None
    assert find_payload('{"order": "12345", "status": "shipped"}') is None  # no person in it
    assert find_payload("<adf>but no prospect</adf>") is None
