"""The language a person wrote in, among the ones the business answers in. Pure.

Uses the maintained ``lingua-language-detector`` (accurate on short texts, where n-gram guessers
that know a hundred languages often fail), restricted to the business's languages (``[business]
languages``): a short Spanish inquiry is then told from Portuguese, and a message in a language
the business does not write is "" (the default templates). The detector is built once per
process for each set of languages; its models load on first use.
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
    return LanguageDetectorBuilder.from_languages(*known).build()


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
