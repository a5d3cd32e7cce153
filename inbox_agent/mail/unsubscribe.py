"""Does a person's mail ask us to stop writing to them? Pure.

Two ways in (issue 11's stop conditions):

- **The unsubscribe link.** Our follow-ups carry ``List-Unsubscribe: <mailto:sales@…?subject=
  unsubscribe IA-<n> <token>>`` (``sending.letters``); a mail client's "Unsubscribe" button
  sends exactly that subject. ``unsubscribe_link`` reads the record number and token from it;
  the decision checks the token against the record.
- **Their words.** "Unsubscribe", "remove me from your list", "please stop emailing me", "not
  interested", and their equivalents in the languages the rules cover (en, de, fr, es, pt, nl,
  it). Before a rule fires, ask who could make it fire: a prospect writing "Stop by our shop?"
  or "I'm not interested in the blue one, do you have red?" must not be unsubscribed. So a
  *clear* phrase ("unsubscribe", "stop emailing me") counts in a short message only
  (``CLEAR_WORDS``), a *bare* one ("stop", "not interested", "no thanks") only when it is
  nearly the whole message (``BARE_WORDS``) and asks nothing. Only the new text counts (the
  quoted history is cut off by the caller), and only from a person: an out-of-office or a read
  receipt never reaches here.

A false "stop" costs little — no more automatic mail, and the agent is told, who can phone — and
a missed one costs a lot (mail to someone who asked us to stop), so the phrases are generous
within those limits.
"""

from __future__ import annotations

import re

from inbox_agent.mail.sources import fold

CLEAR_WORDS = 60  # a clear phrase counts in a message of at most this many words
BARE_WORDS = 10  # a bare "stop" / "not interested" counts only in a message this short
# (its first line, then at most a closing and a name)

_UNSUBSCRIBE_SUBJECT = re.compile(
    r"^\s*(?:re:\s*)?unsubscribe\s+IA-(\d{1,9})\s+([0-9a-f]{12})\s*$", re.IGNORECASE
)

# On folded text (lower case, no accents). Each alternative is one way of saying "stop".
_CLEAR = re.compile(
    r"\b(?:"
    # English
    r"unsubscribe|unsubscribing|opt(?:[- ]?out)\b|remove me\b|take me off|"
    r"stop (?:e-?mailing|mailing|sending|contacting|writing to|messaging|spamming) (?:me|us)|"
    r"(?:do not|don'?t|never) (?:e-?mail|contact|write to|message) (?:me|us) (?:again|any ?more)|"
    r"no (?:more|further) (?:e-?mails?|mails?|messages)|"
    r"(?:i am|i'm|we are|we're) no longer interested|"
    # German
    r"abmelden|abbestellen|austragen|"
    r"(?:keine|nicht mehr) (?:e-?mails?|mails?|nachrichten|werbung)(?: mehr)?\b|"
    r"(?:schreiben|kontaktieren|mailen) sie mi(?:ch|r) nicht mehr|kein interesse mehr|"
    # French
    r"desabonn\w*|desinscri\w*|"
    r"ne (?:plus|pas) m'(?:envoyer|ecrire|contacter)|"
    r"(?:arretez|cessez) de m'(?:envoyer|ecrire|contacter)|retirez[- ]moi|"
    r"ne m'(?:ecrivez|envoyez|contactez) plus|"
    # Spanish
    r"(?:darme|denme|dame|deme) de baja|dar(?:me)? de baja|borr(?:enme|adme)|"
    r"no me (?:escriban|envien|manden|contacten|escribas|envies) mas|"
    r"dej(?:en|a|ad) de (?:escribirme|enviarme|mandarme|contactarme)|"
    r"cancelar (?:la |mi )?suscripcion|desuscribir\w*|"
    # Portuguese
    r"descadastr\w*|cancelar (?:a |minha )?inscricao|"
    r"nao (?:me )?(?:envie|enviem|mande|mandem|escreva|escrevam|contate|contatem) mais|"
    r"parem? de me (?:enviar|mandar|escrever|contatar)|"
    r"(?:me )?(?:tire|tirem|remova|removam)(?:-me)? da (?:sua |vossa )?lista|"
    # Dutch
    r"afmelden|uitschrijven|geen (?:e-?mails?|mails?|berichten) meer|"
    r"stop met (?:mailen|e-?mailen|mij te (?:mailen|e-?mailen))|niet meer (?:mailen|e-?mailen|"
    r"contacteren|benaderen)|"
    # Italian
    r"disiscriv\w*|cancellatemi|cancellami|rimuovetemi|"
    r"non (?:scrivetemi|contattatemi|inviatemi|mandatemi) piu|"
    r"smettete(?:la)? di (?:scrivermi|contattarmi|inviarmi|mandarmi)"
    r")"
)
_BARE = re.compile(
    r"^(?:please |pls |bitte |por favor |s'il vous plait |per favore |alstublieft )?(?:"
    r"stop|stopp|stop it|arretez|basta|pare|parem|para|"
    r"no thanks?|no thank you|nein danke|non merci|no gracias|nao obrigad[oa]|nee bedankt|"
    r"no grazie|"
    r"not interested|(?:i am|i'm|we are|we're) not interested|no interest|"
    r"kein interesse|nicht interessiert|"
    r"pas interesse(?:e|s|es)?|(?:je ne suis|nous ne sommes) pas interesse(?:e|s|es)?|"
    r"ca ne m'interesse pas|"
    r"no me interesa|no estoy interesad[oa]|no estamos interesad[oa]s|"
    r"nao tenho interesse|nao estou interessad[oa]|sem interesse|"
    r"geen interesse|niet geinteresseerd|"
    r"non mi interessa|non (?:sono|siamo) interessat[oaie]"
    r")(?: anymore| any more| mehr| plus| mas| mais| meer| piu)?"
    r"(?: please| bitte| por favor| merci| thanks?| thank you| gracias| obrigad[oa]| grazie)?$"
)
_WORD = re.compile(r"\w+(?:'\w+)?")


def unsubscribe_link(subject: str) -> tuple[int, str] | None:
    """The record number and token of a mail sent by our ``List-Unsubscribe`` link."""
    found = _UNSUBSCRIBE_SUBJECT.match(subject)
    return (int(found.group(1)), found.group(2).lower()) if found else None


def asks_to_stop(fresh: str, subject: str = "") -> str | None:
    """The words with which a person's new text (or its subject, when the text is empty) asks
    us to stop writing, or None."""
    lines = [_said(line) for line in _body(fresh if fresh.strip() else subject).splitlines()]
    lines = [line for line in lines if line]
    said = " ".join(lines)
    words = len(_WORD.findall(said))
    clear = _CLEAR.search(said)
    if clear and words <= CLEAR_WORDS:
        return clear.group(0)
    if lines and words <= BARE_WORDS and "?" not in said:
        bare = _BARE.match(" ".join(_PUNCTUATION.sub(" ", lines[0]).split()))
        if bare:  # "Not interested." then, at most, a closing and a name
            return bare.group(0)
    return None


def _body(text: str) -> str:
    """No subject prefix (``Re:``), no signature after ``-- ``."""
    text = text.split("\n-- \n", 1)[0]
    return _PREFIX.sub("", text)


def _said(line: str) -> str:
    return " ".join(fold(line).split())


_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|fw|fwd|rv|r|antw|wg)\s*:\s*)+", re.IGNORECASE)
_PUNCTUATION = re.compile(r"[.!,;:\u00a1]+")
