"""The language a person wrote in, among the ones the business answers in. Pure.

Uses the maintained ``lingua-language-detector`` (accurate on short texts, where n-gram guessers
that know a hundred languages often fail), restricted to the business's languages (``[business]
languages``): a short Spanish inquiry is then told from Portuguese, and a message in a language
the business does not write is "" (the default templates). The detector is built once per
process for each set of languages; its models load on first use.

It runs in *low accuracy mode* (trigram models only): 28 MB per reader process instead of
206 MB for the seven default languages, and on 49 short inquiries in those languages (one or
two sentences, as people write them) it was right 47 times against the full models' 48 — each
missing one Portuguese line taken for Spanish or English. A wrong guess costs an
acknowledgment in the wrong language; an agent's `#lang xx` corrects the record.
"""

from __future__ import annotations

import functools
import re

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

MIN_LETTERS = 12  # fewer letters than this say nothing reliable
MIN_CONFIDENCE = 0.5
_URL = re.compile(r"https?://\S+|\S+@\S+")


@functools.lru_cache(maxsize=4)
def _detector(languages: tuple[str, ...]) -> LanguageDetector | None:
    known = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
             for code in languages if hasattr(IsoCode639_1, code.upper())]  # fmt: skip
    if len(known) < 2:
        return None
    return LanguageDetectorBuilder.from_languages(*known).with_low_accuracy_mode().build()


def language_of(text: str, languages: tuple[str, ...]) -> str:
    """The ISO 639-1 code of ``text``'s language, or "" when it is not clear (or only one
    language is configured: then every prospect gets the default templates)."""
    plain = _URL.sub(" ", text)[:2000]
    if sum(c.isalpha() for c in plain) < MIN_LETTERS:
        return ""
    detector = _detector(tuple(sorted(set(languages))))
    if detector is None:
        return ""
    ranked = detector.compute_language_confidence_values(plain)
    if not ranked or ranked[0].value < MIN_CONFIDENCE:
        return ""
    return str(ranked[0].language.iso_code_639_1.name).lower()
