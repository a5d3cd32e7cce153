"""The person behind an inquiry: form fields, addresses, names, phones, the question, and the
sanitizing that keeps header injection and control characters out of everything returned."""

from __future__ import annotations

from typing import TypedDict, Unpack

import pytest

from inbox_agent.mail.contact import Contact, extract_contact, fresh_text
from inbox_agent.mail.fields import form_fields, sanitize
from inbox_agent.mail.message import Address, Message, parse_message
from tests.mailgen import form_notification, inquiry

OWN = frozenset({"sales@shop.example"})


class _Fields(TypedDict, total=False):
    """The ``Message`` fields these tests set, besides the text."""

    message_id: str
    subject: str
    from_: Address | None
    reply_to: tuple[Address, ...]


def message(text: str = "", **fields: Unpack[_Fields]) -> Message:
    values: _Fields = {
        "message_id": "m@x",
        "subject": "Inquiry",
        "from_": Address("WordPress", "wordpress@shop.example"),
    }
    values.update(fields)
    return Message(text=text, **values)


def robot(text: str = "", **fields: Unpack[_Fields]) -> Contact:
    return extract_contact(
        message(text, **fields), robot=True, default_region="ZA", own_addresses=OWN
    )


def person(raw: bytes, region: str = "ZA") -> Contact:
    return extract_contact(
        parse_message(raw), robot=False, default_region=region, own_addresses=OWN
    )


# ---------------------------------------------------------------- form fields


def test_label_value_lines_in_many_languages() -> None:
    text = (
        "Nombre: Lucía\nApellidos: Fernández\nCorreo electrónico: l@x.example\nTeléfono: 612\n"
        "Courriel : c@x.example\nE-Mail-Adresse: e@x.example\nNachricht: Hallo\n"
        "Your Name (required): Sam\n**Company:** Acme\nFavourite Colour: Blue\n"
    )
    assert form_fields(text) == {
        "name": "Lucía",
        "last_name": "Fernández",
        "email": "l@x.example",  # the first value of a key wins
        "phone": "612",
        "message": "Hallo",
        "company": "Acme",
        "favourite colour": "Blue",  # an unknown label is kept, in lower case
    }


def test_values_on_the_next_line_tabs_dashes_and_bare_labels() -> None:
    text = (
        "Message Body:\nFirst line of the message\nsecond line\n\n"
        "Phone\t+27 82 555 0147\n"
        "--- Company ---\n\nAcme Ltd\n\n"
        "Email\nsam@x.example\n"
        "Subject:\n"  # no value: nothing recorded
        "\n\n\n"
    )
    assert form_fields(text) == {
        "message": "First line of the message second line",
        "phone": "+27 82 555 0147",
        "company": "Acme Ltd",
        "email": "sam@x.example",
    }


def test_quoted_lines_and_prose_are_not_fields() -> None:
    text = "> Name: Old\nWe met at the fair: you had a blue stand.\nhttps://x.example/a:b\n10:30 ok"
    assert "name" not in form_fields(text)
    assert set(form_fields(text)) <= {"we met at the fair"}


def test_fresh_text_drops_the_quoted_history() -> None:
    text = (
        "Yes please.\n\nOn Mon, 5 Jan 2026 at 10:00, Sales <sales@shop.example> wrote:\n> Phone: 1"
    )
    assert fresh_text(text).strip() == "Yes please."
    outlook = "Thanks\n\nFrom: Sales <sales@shop.example>\nSent: Monday\nPhone: +27 11 555 0000"
    assert fresh_text(outlook).strip() == "Thanks"


# ---------------------------------------------------------------- the address


def test_robot_takes_the_form_email_never_from() -> None:
    contact = robot("Name: Sam Smith\nEmail: Sam.Smith@Example.NET\n")
    assert (contact.email, contact.name, contact.surname) == (
        "sam.smith@example.net",
        "Sam",
        "Smith",
    )


def test_robot_without_an_email_field_falls_back_to_a_reply_to_that_is_not_ours() -> None:
    replies = (Address("", "sales@shop.example"), Address("Thandi Nkosi", "thandi@example.net"))
    contact = robot("Message: hello there, a question about prices", reply_to=replies)
    assert (contact.email, contact.name, contact.surname) == (
        "thandi@example.net",
        "Thandi",
        "Nkosi",
    )


def test_robot_reply_to_that_is_the_robot_itself_or_a_no_reply_gives_nothing() -> None:
    robots = (
        Address("Wix", "no-reply@wixsiteautomations.com"),
        Address("", "wordpress@shop.example"),
    )
    contact = robot("Message: hi", reply_to=robots)
    assert (contact.email, contact.name) == ("", "")


def test_robot_without_any_address_is_empty_and_never_named_after_the_robot() -> None:
    contact = robot(
        "A new submission arrived.", from_=Address("WordPress", "wordpress@shop.example")
    )
    assert (contact.email, contact.name, contact.surname) == ("", "", "")


def test_robot_own_address_in_the_form_is_skipped() -> None:
    contact = robot("Email: sales@shop.example\n", reply_to=(Address("", "buyer@example.org"),))
    assert contact.email == "buyer@example.org"


def test_cf7_from_line_gives_address_and_name() -> None:
    contact = robot(
        "From: Thandi Nkosi <thandi@example.net>\nSubject: Mugs\n\nMessage Body:\nPrices?"
    )
    assert (contact.email, contact.name, contact.surname) == (
        "thandi@example.net",
        "Thandi",
        "Nkosi",
    )
    assert contact.question == "Prices?"


def test_a_person_is_answered_at_reply_to_unless_it_is_ours() -> None:
    raw = inquiry(
        sender="Jane Doe <jane@example.org>", headers={"Reply-To": "Jane <jane.home@example.org>"}
    )
    assert person(raw).email == "jane.home@example.org"
    raw = inquiry(sender="Jane Doe <jane@example.org>", headers={"Reply-To": "sales@shop.example"})
    assert (person(raw).email, person(raw).name, person(raw).surname) == (
        "jane@example.org",
        "Jane",
        "Doe",
    )
    assert person(inquiry(sender="Sales <sales@shop.example>")).email == ""
    raw = inquiry(sender="Jane Doe <jane@example.org>", headers={"Reply-To": "noreply@x.example"})
    assert person(raw).email == "jane@example.org"


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("display", "name", "surname"),
    [
        ("Okafor, Chidi", "Chidi", "Okafor"),
        ("Dr. Jane van Wyk", "Jane", "van Wyk"),
        ("Cher", "Cher", ""),
        ("WordPress", "", ""),
        ("Acme Sales Team", "", ""),
        ("jane@example.org", "", ""),
    ],
)
def test_display_names(display: str, name: str, surname: str) -> None:
    contact = person(inquiry(sender=f'"{display}" <jane@example.org>'))
    assert (contact.name, contact.surname) == (name, surname)


def test_first_name_beside_a_name_field_makes_it_the_surname() -> None:
    assert (
        robot("Prénom: Marie\nNom: Dupont\nCourriel: m@x.example").name,
        robot("Prénom: Marie\nNom: Dupont\nCourriel: m@x.example").surname,
    ) == ("Marie", "Dupont")
    german = robot("Vorname: Jonas\nName: Schmidt\nE-Mail: j@x.example")
    assert (german.name, german.surname) == ("Jonas", "Schmidt")
    spanish = robot("Nombre: Lucía\nApellidos: Fernández Ruiz\nCorreo: l@x.example")
    assert (spanish.name, spanish.surname) == ("Lucía", "Fernández Ruiz")
    full = robot("First name: Ana\nName: Ana García\nEmail: a@x.example")
    assert (full.name, full.surname) == ("Ana", "García")


# ---------------------------------------------------------------- phones


def test_phone_from_the_form_is_e164() -> None:
    assert robot("Phone: 082 555 0147\nEmail: a@x.example").phone == "+27825550147"
    assert robot("Phone: +44 20 7946 0958").phone == "+442079460958"


@pytest.mark.parametrize("value", ["2024-05-01", "90210", "12", "call me", "0000000000"])
def test_invalid_phones_are_rejected(value: str) -> None:
    assert robot(f"Phone: {value}\nEmail: a@x.example").phone == ""


def test_phone_in_the_signature_of_a_person() -> None:
    body = "Hi,\n\nDo you stock blue widgets?\n\nRegards\nChidi Okafor\n+234 803 555 0123\n"
    assert person(inquiry(body=body)).phone == "+2348035550123"


def test_signature_phone_ignores_quotes_order_numbers_and_dates() -> None:
    body = (
        "Where is my order?\n\nOrder 4155552671\nFax: +27 21 555 0100\nSent 2026-01-05 10:30\n"
        "> +27 82 555 0147\n"
    )
    assert person(inquiry(body=body), region="US").phone == ""


def test_robot_footer_phone_is_not_the_person() -> None:
    assert robot("Email: a@x.example\n\nAcme Widgets, call us on +27 21 555 0198").phone == ""


def test_bad_form_phone_falls_back_to_the_signature_for_a_person() -> None:
    body = "Phone: 12\n\nPlease call me about prices.\n\nJane\n082 555 0147\n"
    assert person(inquiry(body=body)).phone == "+27825550147"


# ---------------------------------------------------------------- company and question


def test_company_only_when_labelled() -> None:
    assert robot("Company: Okafor Trading Ltd\nEmail: a@x.example").company == "Okafor Trading Ltd"
    body = "Do you ship?\n\nChidi\nOkafor Trading Ltd\n"
    assert person(inquiry(body=body)).company == ""


@pytest.mark.parametrize(
    ("body", "question"),
    [
        ("Hi,\n\nDo you ship to Lagos?\n", "Do you ship to Lagos?"),
        ("Hello team\n\nDo you ship to Lagos?\n", "Do you ship to Lagos?"),
        ("Dear Sir or Madam,\nDo you ship to Lagos?", "Do you ship to Lagos?"),
        ("Hi, do you ship to Lagos?", "Do you ship to Lagos?"),
        ("Hola, ¿envían a Madrid?", "¿envían a Madrid?"),
        ("Guten Tag,\nLiefern Sie nach Berlin?", "Liefern Sie nach Berlin?"),
        ("[image: logo]\nhttps://x.example\nThanks,\n", ""),
        ("Hello I would like to know the price of your widget model X please", "Hello I would"),
    ],
)
def test_question_skips_greetings(body: str, question: str) -> None:
    found = person(inquiry(body=body)).question
    assert found.startswith(question) and (question or found == "")


def test_question_from_the_message_field_is_one_capped_line() -> None:
    contact = robot("Email: a@x.example\nMessage:\n" + "word " * 100 + "\nmore\n")
    assert len(contact.question) == 200 and contact.question.endswith("…")
    assert "\n" not in contact.question


def test_robot_question_falls_back_to_a_free_text_answer_only() -> None:
    text = "Email: a@x.example\nCompany: A Long Company Ltd\nWhat do you need?: Four new oak desks"
    assert robot(text).question == "Four new oak desks"
    assert robot("Email: a@x.example\nCompany: A Long Company Name Ltd").question == ""


# ---------------------------------------------------------------- sanitizing


def test_injection_in_a_form_name_stays_on_its_line() -> None:
    contact = robot(
        "Name: John\r\nBcc: victim@example.org\r\nEmail: john@example.org\r\nBcc: x@y.example"
    )
    assert (contact.name, contact.surname, contact.email) == ("John", "", "john@example.org")


def test_injection_in_a_display_name_is_dropped() -> None:
    sender = Address("John\r\nBcc: x@y.example", "john@example.org")
    msg = message("Do you ship?", from_=sender)
    contact = extract_contact(msg, robot=False, own_addresses=OWN)
    assert (contact.email, contact.name, contact.surname) == ("john@example.org", "", "")
    joined = Address("John Bcc: x@y.example", "john@example.org")  # as message.py unfolds it
    contact = extract_contact(message("Hi", from_=joined), robot=False, own_addresses=OWN)
    assert (contact.name, contact.surname) == ("", "")


def test_injection_in_the_email_field_keeps_only_the_address() -> None:
    assert robot("Email: victim@example.org%0ABcc:x@y.example").email == "victim@example.org"
    assert robot("Email: not an address").email == ""


def test_everything_is_one_clean_capped_line() -> None:
    evil = "A\u202eB\x00C\x1bD\tE"
    contact = robot(
        f"First name: {evil}{'x' * 300}\nLast name: Smith\nCompany: {evil}{'y' * 300}\n"
        f"Email: a@x.example\nMessage: {evil}"
    )
    for value in (contact.name, contact.company, contact.question, *contact.fields.values()):
        assert not any(ord(c) < 32 or c == "\u202e" for c in value)
    assert len(contact.name) == 100 and len(contact.company) == 200
    assert contact.question == "A B C D E"
    split = robot("Name: Ann\u2028Bcc: x@y.example\nEmail: a@x.example")  # U+2028 ends a line
    assert (split.name, split.email) == ("Ann", "a@x.example")


def test_sanitize() -> None:
    assert sanitize("  a\r\n b\x0b\u200bc  ", 10) == "a b c"
    assert sanitize("abcdefghijkl", 5) == "abcd…"


def test_contact_pickles_for_the_reader_workers() -> None:
    import pickle

    contact = robot("Email: a@x.example")
    assert pickle.loads(pickle.dumps(contact)) == contact


def test_the_contact_says_where_the_address_was_found() -> None:
    from inbox_agent.mail.contact import Origin

    direct = parse_message(inquiry(sender="Jane <jane@example.org>"))
    assert extract_contact(direct, robot=False).origin == Origin.FROM
    replied = parse_message(inquiry(sender="Jane <jane@example.org>",
                                    headers={"Reply-To": "jd@example.net"}))  # fmt: skip
    found = extract_contact(replied, robot=False)
    assert (found.email, found.origin) == ("jd@example.net", Origin.REPLY_TO)
    form = parse_message(form_notification())
    found = extract_contact(form, robot=True)
    assert (found.email, found.origin) == ("sam@example.net", Origin.FORM)
    nobody = parse_message(inquiry(sender="Shop <sales@acme.example>"))
    assert extract_contact(nobody, robot=True, own_addresses=frozenset({"sales@acme.example"})
                           ).origin == Origin.NONE  # fmt: skip
