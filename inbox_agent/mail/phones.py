"""Phone numbers in what a person wrote: found, normalised when that is safe, never lost. Pure.

Vocabulary: a ``Phone`` is a number *as written* (``raw``) and its E.164 form (``e164``) when the
number is valid: written with its country code (``+1 415 …``, ``00 27 …``) or valid in the
business's ``region`` (``[classify] default_region``). A number that is not valid there keeps
``e164 = ""`` and its ``raw`` text: no country code is ever guessed, because a wrong one turns a
number into someone else's. Numbers are found in a *field* (a form's phone field, an ADF
``<phone>``), in *free text* (libphonenumber's ``PhoneNumberMatcher``) and in *links* (``tel:``
targets and ``phone=`` query parameters of a notification's buttons).

In free text a match is no phone when the words just before it on its line name something else
(an order, an invoice, a postcode, a tax id such as a Brazilian CPF/CNPJ, a reference, a fax), when
it follows ``#``, when it has the shape of a CPF or CNPJ, or when it is a toll-free or premium line
(a platform's support number, not a person's). A number that is not valid in the region is taken
from free text only when a phone word ("call", "phone", "WhatsApp", "Telefone", …) comes just
before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberType

PHONE_CAP = 40  # characters of a number as written
_TEXT_CAP = 20_000  # characters of free text searched
_MAX_TRIES = 200  # candidates PhoneNumberMatcher looks at, per text
_SHAPE = re.compile(r"\+?\(?\d[\d\s().\-/]{3,24}\d")
_TAX_ID = re.compile(r"^\d{3}\.\d{3}\.\d{3}-\d{2}$|^\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}$")
_DATE = re.compile(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$")
_FIVE_DIGITS = re.compile(r"(?:\d\D*){5}")
_RAW_DIGITS = 7  # a number kept as written (not valid in the region) has this many digits at least
_PHONE_WORDS = (
    r"phone|telephone|tel|mobile|cell|cellphone|call|ring|text|sms|whatsapp|reach me|"
    r"(?:best|my|our|direct|contact) number|"
    r"reached|contact|telefone|celular|contato|telefono|tel[eé]fono|m[oó]vil|llamar|"
    r"t[eé]l[eé]phone|portable|appeler|telefon|handy|mobil|anrufen|cellulare|chiamare|"
    r"telefoonnummer|mobiel|bellen"
)
_NOT_PHONE_WORDS = (
    r"order|invoice|ref|reference|id|po|zip|postal|postcode|post code|zip code|vat|iban|account|"
    r"fax|confirmation|booking|reservation|ticket|case|mls|mlsid|stock|vin|ad|cpf|cnpj|cep|rg|"
    r"pedido|n[uú]mero do pedido|nota|fatura|factura|nif|nie|dni|rut|rfc|c[oó]digo postal|"
    r"commande|facture|code postal|siret|bestellung|bestelnummer|rechnung|plz|postleitzahl|"
    r"kundennummer|ordine|fattura|cap|partita iva|codice fiscale|ordernummer|factuur|kvk|plot|"
    r"unit|suite|apt|lot|serial|model|year"
)
_OURS = (  # the words before a business's own number
    r"call us|contact us|reach us|phone us|our (?:phone|number|office|team)|customer service|"
    r"customer care|support|help ?line|hotline|ll[aá]menos|cont[aá]ctenos|appelez-nous|"
    r"rufen sie uns|ligue para n[oó]s|chiamaci|bel ons"
)
_CUES = re.compile(rf"(?i)\b(?:(?P<other>{_OURS}|{_NOT_PHONE_WORDS})|(?P<phone>{_PHONE_WORDS}))\b")
_PHONE_CUE = re.compile(rf"(?i)\b(?:{_PHONE_WORDS})\b")
_CONTEXT = 40  # characters before a number looked at for cue words
_NOT_PERSONAL = frozenset({PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE})
_PHONE_PARAMS = frozenset({"phone", "tel", "telephone", "mobile", "cell", "phonenumber"})


@dataclass(frozen=True)
class Phone:
    raw: str  # as written, one line
    e164: str = ""  # "+14155550199" when valid, else ""


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _e164(raw: str, region: str) -> str:
    """E.164 when the number is valid as written (its own country code) or in ``region``."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region.upper())
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return str(phonenumbers.format_number(number, PhoneNumberFormat.E164))


def field_phone(value: str, region: str) -> Phone | None:
    """The number in a form field's value (``Phone: (415) 555-0199 (mobile)``), or None."""
    found = _SHAPE.search(value[:200])
    if found is None:
        return None
    raw = " ".join(found.group(0).split())[:PHONE_CAP]
    digits = "".join(c for c in raw if c.isdigit())
    if (
        not 5 <= len(digits) <= 17
        or _TAX_ID.match(raw)
        or _DATE.match(raw)
        or len(set(digits)) == 1
    ):
        return None
    e164 = _e164(raw, region)
    return Phone(raw, e164) if e164 or len(digits) >= _RAW_DIGITS else None


def _context_says_other(text: str, start: int) -> bool:
    """The cue word nearest before ``start`` on its line names something that is no phone."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - _CONTEXT) : start]
    if before.rstrip().endswith("#"):
        return True
    cues = list(_CUES.finditer(before))
    return bool(cues) and cues[-1].group("other") is not None


def _personal(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.number_type(number) not in _NOT_PERSONAL


def _numeric_lines(text: str) -> str:
    """Only the lines that can hold a phone number (five digits at least): libphonenumber's
    matcher costs in proportion to its text, and most of a message has no digits."""
    return "\n".join(line for line in text.splitlines() if _FIVE_DIGITS.search(line))


def text_phone(text: str, region: str) -> Phone | None:
    """The first phone number in free text, valid ones first; None when there is none."""
    text = _numeric_lines(text[:_TEXT_CAP])
    if not text:
        return None
    region = region.upper()
    try:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=Leniency.VALID, max_tries=_MAX_TRIES
        ):
            raw = match.raw_string
            if _TAX_ID.match(raw) or _context_says_other(text, match.start):
                continue
            if _personal(match.number):
                e164 = phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
                return Phone(" ".join(raw.split())[:PHONE_CAP], str(e164))
        # numbers that are not valid in the region: only right after a phone word
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=Leniency.POSSIBLE, max_tries=_MAX_TRIES
        ):
            raw = match.raw_string
            line_start = text.rfind("\n", 0, match.start) + 1
            before = text[max(line_start, match.start - _CONTEXT) : match.start]
            if (
                _digits(raw) < _RAW_DIGITS
                or _TAX_ID.match(raw)
                or _context_says_other(text, match.start)
            ):
                continue
            if _PHONE_CUE.search(before):
                return Phone(" ".join(raw.split())[:PHONE_CAP], _e164(raw, region))
    except Exception:  # libphonenumber on odd input: a phone is never worth a crash
        return None
    return None


def link_phone(links: Iterable[str], region: str) -> Phone | None:
    """A number behind a ``tel:`` link or in a ``phone=`` query parameter of a link."""
    for link in links:
        if link.lower().startswith(("tel:", "sms:")):
            value = unquote(link.partition(":")[2]).split("?")[0]
            if found := field_phone(value, region):
                return found
            continue
        try:
            query = urlsplit(link).query
        except ValueError:
            continue
        for key, value in parse_qsl(query):
            if key.lower() in _PHONE_PARAMS and (found := field_phone(value, region)):
                return found
    return None


def first_phone(candidates: Iterable[Phone | None]) -> Phone | None:
    """The first valid number among the candidates, else the first one at all."""
    found = [c for c in candidates if c is not None]
    return next((c for c in found if c.e164), found[0] if found else None)
