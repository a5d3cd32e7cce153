"""Form fields: the ``Label: value`` lines of a notification body, in many languages. Pure.

Vocabulary: a *form field* is a ``Label: value`` line of a notification body (also ``Label:`` with
the value on the next line, ``Label<TAB>value``, WPForms' ``--- Label ---`` and, for labels we
know, a bare label line above its value, which is how HTML tables of one cell per row read). Labels
in several languages map to *canonical keys* (``name``, ``first_name``, ``last_name``, ``email``,
``phone``, ``company``, ``message``, ``subject``, ``from``; ``topic`` for the product, service,
vehicle or property asked about; ``heard`` for "How did you hear about us?"; ``utm_source``,
``utm_campaign``, ``gclid``, ``fbclid`` for the campaign data a form passes on); other labels are
kept in lower case. ``form_items`` keeps every field with its label as written (what the agent's
notification shows); ``form_fields`` maps each key to its first value. Values are sanitized
(``sanitize``): one line, no control characters, capped.

The *sub-source* of a form lead is the channel behind it: ``utm_source`` (with ``utm_campaign``:
``facebook / spring_sale``), else a Google or Facebook click id (``google ads``, ``facebook``),
else the "How did you hear about us?" answer, in lower case.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from inbox_agent.mail.sources import fold

FIELD_CAP, MESSAGE_CAP = 300, 2000
TEXT_CAP = 50_000  # characters of body text looked at
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp"})  # controls, invisible formatting, line separators

_ALIASES: dict[str, str] = {
    fold(alias): key
    for key, aliases in {
        "name": "name|full name|contact name|nombre|nombre completo|nombre y apellido|nombre y "
        "apellidos|nom|nom complet|nom et prenom|vollstandiger name|vor- und nachname|nome|nome "
        "completo|naam|volledige naam|from name|sender name|consumer name|customer name|guest "
        "name|client name|nome e cognome|ονοματεπωνυμο|ονομα",
        "first_name": "first name|firstname|given name|first|nombre de pila|prenom|vorname|"
        "primeiro nome|nome proprio|voornaam",
        "last_name": "last name|lastname|surname|family name|last|apellido|apellidos|nom de "
        "famille|nachname|familienname|sobrenome|apelido|cognome|achternaam",
        "email": "email|e-mail|email address|e-mail address|mail|correo|correo electronico|"
        "e-mail-adresse|email-adresse|e-mail adresse|courriel|adresse e-mail|adresse email|"
        "adresse electronique|endereco de email|endereco de e-mail|indirizzo email|indirizzo "
        "e-mail|e-mailadres|emailadres|email id|e-mail id|your e-mail|ηλεκτρονικο ταχυδρομειο",
        "phone": "phone|phone number|telephone|telephone number|tel|tel.|mobile|mobile number|"
        "mobile phone|cell|cell phone|cellphone|whatsapp|telefono|movil|celular|numero de "
        "telefono|portable|numero de telephone|telefon|telefonnummer|handy|handynummer|"
        "mobilnummer|telefone|telemovel|cellulare|numero di telefono|telefoonnummer|mobiel|"
        "mobiele nummer|phone/whatsapp|phone#|phone #|phone no|contact number|contact phone|"
        "daytime phone|best phone|mobile no|celular / whatsapp|telefone / whatsapp|whatsapp / "
        "celular|telefone celular|numero de celular|telefono movil|telefono celular|"
        "numero de movil|telephone portable|numero de portable|mobiltelefon|rufnummer|"
        "cellulare / whatsapp|telefoonnummer / whatsapp|τηλεφωνο|κινητο",
        "company": "company|company name|organization|organisation|business|business name|"
        "empresa|compania|nombre de la empresa|societe|entreprise|firma|unternehmen|firmenname|"
        "organizacao|azienda|societa|bedrijf|bedrijfsnaam",
        "message": "message|message body|comments|comment|comment or message|comments or "
        "questions|questions or comments|enquiry|inquiry|details|project details|additional "
        "information|how can we help|how can we help you|what can we help you with|questions|"
        "question|mensaje|comentario|comentarios|consulta|mensagem|comentarios|commentaire|"
        "commentaires|votre message|"
        "nachricht|ihre nachricht|anfrage|ihre anfrage|kommentar|mitteilung|messaggio|richiesta|"
        "commento|bericht|opmerking|opmerkingen|vraag|uw bericht|your message|additional comments|"
        "σωμα μηνυματος|μηνυμα",
        "subject": "subject|asunto|objet|sujet|betreff|assunto|oggetto|onderwerp|topic|θεμα",
        "from": "from|de la part de|absender|απο",
        "topic": "service|services|service needed|service required|service requested|product|"
        "products|product of interest|vehicle|vehicle of interest|property|property name|"
        "property address|listing|treatment|what would you like done|what do you need|"
        "type of work|project type|servicio|servicios|producto|tratamiento|tipo de servicio|"
        "type de travaux|prestation|produit|leistung|dienstleistung|produkt|servico|servicos|"
        "produto|produto de interesse|tipo de servico|veiculo|servizio|prodotto|dienst|product",
        "heard": "how did you hear about us|how did you hear of us|how did you find us|"
        "how did you hear about us?|where did you hear about us|how you heard about us|"
        "referral source|referred by|como nos conociste|como se entero de nosotros|"
        "como nos encontraste|como nos encontro|comment nous avez-vous connus|"
        "comment nous avez-vous connu|comment avez-vous entendu parler de nous|"
        "wie haben sie von uns erfahren|wie sind sie auf uns aufmerksam geworden|"
        "como nos conheceu|como ficou sabendo de nos|como soube de nos|come ci hai conosciuto|"
        "come ci ha conosciuto|come hai saputo di noi|hoe heeft u ons gevonden|hoe kent u ons|"
        "hoe heb je ons gevonden",
        "utm_source": "utm_source|utm source|source|campaign source",
        "utm_campaign": "utm_campaign|utm campaign|campaign|campaign name",
        "gclid": "gclid",
        "fbclid": "fbclid",
    }.items()
    for alias in aliases.split("|")
}
KEYS = frozenset(_ALIASES.values())
_POSSESSIVE = re.compile(
    r"^(your|tu|su|votre|ton|ihr|ihre|dein|deine|seu|sua|il tuo|la tua|il suo|uw|je) "
)
_MARKS = re.compile(r"\((required|optional|obligatorio|opcional|requis|pflichtfeld)\)|\*")
_LABEL = r"[¿¡]?[^\W\d_][\w .'/&()#?¿-]{0,48}?"
_INLINE = re.compile(rf"^[*_\s]*(?P<label>{_LABEL})[*_\s]*(?::|\uff1a)[*_]*(?:\s+(?P<value>.*))?$")
_TABBED = re.compile(rf"^(?P<label>{_LABEL})\t+(?P<value>\S.*)$")
_DASHED = re.compile(r"^-{3}\s*(?P<label>[^-].{0,48}?)\s*-{3}$")
_URL = re.compile(r"(?i)^(https?:|www\.)")


class FormField(NamedTuple):
    label: str  # as written, marks and colons left out
    key: str  # canonical key, or the label in lower case
    value: str


def sanitize(value: str, cap: int) -> str:
    """One line: control and format characters become spaces, white space collapses, capped."""
    text = value[: cap * 4 + 100]
    if not text.isprintable():
        text = "".join(" " if unicodedata.category(c) in _UNSAFE else c for c in text)
    text = " ".join(text.split())
    return text if len(text) <= cap else text[: cap - 1].rstrip() + "…"


def _plain(label: str) -> str:
    return " ".join(_MARKS.sub(" ", label).split()).rstrip(":?").strip().lstrip("¿¡").strip()


def label_key(label: str) -> tuple[str, bool]:
    """(canonical or lower-cased key, known) of a form label."""
    plain = _plain(label).lower()
    if plain.startswith(("utm_", "utm ")) or plain in ("gclid", "fbclid"):
        return plain.replace(" ", "_"), plain.replace(" ", "_") in KEYS
    folded = fold(plain.replace("_", " "))
    for candidate in (folded, _POSSESSIVE.sub("", folded)):
        if candidate in _ALIASES:
            return _ALIASES[candidate], True
    return plain.replace("_", " "), False


class _Head(NamedTuple):
    label: str
    key: str
    value: str  # on the label's own line
    known: bool  # a canonical key
    spans: bool  # the value may run over the next lines, up to a blank line ("Message Body:")


def field_head(line: str) -> _Head | None:
    """How a line starts a form field, if it does."""
    for pattern in (_INLINE, _TABBED, _DASHED):
        m = pattern.match(line)
        if m and len(m["label"].split()) <= 6:
            key, known = label_key(m["label"])
            value = (m.groupdict().get("value") or "").strip()
            return _Head(_plain(m["label"]), key, value, known, not value)
    if len(line) <= 40 and (found := label_key(line))[1]:  # a bare known label: one value line
        return _Head(_plain(line), found[0], "", True, False)
    return None


def form_fields(text: str) -> dict[str, str]:
    """Labelled fields of a notification body; the first value of each key wins."""
    fields: dict[str, str] = {}
    for item in form_items(text):
        fields.setdefault(item.key, item.value)
    return fields


def form_items(text: str) -> tuple[FormField, ...]:
    """Every labelled field of a notification body, in order, repeats left out."""
    lines = [
        "" if ln.lstrip().startswith(">") else ln.strip() for ln in text[:TEXT_CAP].splitlines()
    ]
    items: dict[tuple[str, str], FormField] = {}
    i = 0
    while i < len(lines):
        head = field_head(lines[i]) if lines[i] else None
        i += 1
        if head is None:
            continue
        parts = [head.value] if head.value else []
        if not head.value:  # the value is on the next lines, perhaps after a blank line or two
            skipped = 0
            while i < len(lines) and not lines[i] and skipped < 2:
                i, skipped = i + 1, skipped + 1
        while i < len(lines) and (not parts or head.spans):
            if not lines[i]:
                # a message runs over paragraphs: one blank line inside it is fine
                more = head.key == "message" and parts and i + 1 < len(lines) and lines[i + 1]
                if not more or lines[i + 1].startswith("--"):
                    break
                i += 1
                continue
            nested = field_head(lines[i])
            if (nested and (nested.value or nested.known)) or lines[i].startswith("--"):
                break
            parts.append(lines[i])
            i += 1
        cleaned = sanitize(" ".join(parts), MESSAGE_CAP if head.key == "message" else FIELD_CAP)
        if cleaned:
            items.setdefault((head.key, cleaned), FormField(head.label, head.key, cleaned))
    return tuple(items.values())


def sub_source(fields: dict[str, str]) -> str:
    """The channel behind a form lead (see the module docstring), or ''."""
    source, campaign = (fields.get(k, "") for k in ("utm_source", "utm_campaign"))
    if source and not _URL.match(source):
        extra = f" / {campaign}" if campaign and not _URL.match(campaign) else ""
        return sanitize(f"{source}{extra}", 100).lower()
    if fields.get("gclid"):
        return "google ads"
    if fields.get("fbclid"):
        return "facebook"
    heard = fields.get("heard", "")
    return "" if _URL.match(heard) else sanitize(heard, 100).lower()
