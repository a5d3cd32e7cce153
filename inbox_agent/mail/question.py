"""What a person asked: the new text of a message and a one-line echo of their question. Pure.

Vocabulary: the *new text* (``fresh_text``) is a message's text above the quoted history ("On …
wrote:", "-----Original Message-----", an Outlook "From: … Sent: …" block, in several languages),
without ``>`` lines. The *question* is one line of it that means something: the form's message
field, else (for a person's mail) the first line that is not a greeting, a closing, a link or a
known form field; for a robot's notification without a message field, its longest free-text
answer. Greetings ("Hello,", "Buenos días,") are taken off the front.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from inbox_agent.mail.fields import KEYS, TEXT_CAP, field_head, sanitize

QUESTION_CAP = 200
_REPLY_CUT = re.compile(
    r"^(?:-{2,}\s*(?:original message|forwarded message|mensaje original|message d'origine|"
    r"urspr\w+ngliche nachricht|messaggio originale|oorspronkelijk bericht|mensagem original)"
    r"\s*-{2,}|(?:on|el|le|am|em|il|op) .{4,200}(?:wrote|escribi\w|a \w?crit|schrieb|escreveu|"
    r"ha scritto|schreef)\b.{0,80}:\s*$|from: .+\n(?:sent|date|enviado|gesendet|envoy\w|data|"
    r"verzonden|inviato): )",
    re.IGNORECASE | re.MULTILINE,
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|dear|greetings|good (?:morning|afternoon|evening|day)|hola|"
    r"buen[oa]s (?:d[ií]as|tardes|noches)|estimad[oa]s?|bonjour|bonsoir|salut|ch[eè]re?s?|"
    r"madame|monsieur|hallo|guten (?:tag|morgen|abend)|sehr geehrte[rs]?|liebe[rs]?|moin|servus|"
    r"ol[aá]|oi|bom dia|boa tarde|prezad[oa]s?|car[oa]|ciao|buongiorno|buonasera|salve|"
    r"gentile|egregio|hoi|beste|geachte|goedemorgen|goedemiddag)\b"
    r"(?:[^,!.:;\n]{0,40}?(?:[,!.:;]+|$))",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^(?:thanks|thank you|many thanks|regards|best|cheers|kind regards|best regards|gracias|"
    r"saludos|un saludo|atentamente|danke|vielen dank|viele gr\w+e|mit freundlichen gr\w+en|"
    r"merci|cordialement|grazie|saluti|cordiali saluti|obrigad[oa]|atenciosamente|bedankt|"
    r"groeten|met vriendelijke groet)\b.{0,30}$",
    re.IGNORECASE,
)


def fresh_text(text: str) -> str:
    """The new text of a message: above the quoted history, without ``>`` lines."""
    text = text[:TEXT_CAP].replace("\r\n", "\n")
    cut = _REPLY_CUT.search(text)
    if cut:
        text = text[: cut.start()]
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith(">"))


def question(fields: Mapping[str, str], lines: list[str], robot: bool) -> str:
    message = fields.get("message", "").strip()
    if message:
        text = _strip_greeting(message)
        if _meaningful(text):
            return sanitize(text, QUESTION_CAP)
        # the field's first line is only a greeting ("Good morning,"): read on in the body
        start = next((i for i, line in enumerate(lines) if line.strip() == message), None)
        for line in lines[start + 1 :] if start is not None else ():
            head = field_head(line.strip())
            text = "" if head and head.known else _strip_greeting(line.strip())
            if _meaningful(text):
                return sanitize(text, QUESTION_CAP)
        return sanitize(message, QUESTION_CAP)
    if robot:  # the longest free-text answer, else nothing: the robot's own lines are no question
        free = [
            v
            for k, v in fields.items()
            if (k not in KEYS or k == "topic") and len(v.split()) >= 4 and "@" not in v
        ]
        return sanitize(max(free, key=len), QUESTION_CAP) if free else ""
    for line in lines:
        head = field_head(line.strip())
        text = "" if head and head.known else _strip_greeting(line.strip())
        if _meaningful(text):
            return sanitize(text, QUESTION_CAP)
    return ""


def _meaningful(text: str) -> bool:
    """Not empty, not a closing ("Thanks,"), a link or an ``[image]``; three letters at least."""
    if not text or _CLOSING.match(text) or text.startswith(("http", "www.", "[")):
        return False
    return len(re.findall(r"[^\W\d_]", text)) >= 3


def _strip_greeting(line: str) -> str:
    m = _GREETING.match(line)
    rest = line[m.end() :].strip() if m else line
    return rest[:1].upper() + rest[1:] if m else rest
