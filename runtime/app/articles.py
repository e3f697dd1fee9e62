"""Put "a" or "an" before an object's label in the generated English summaries."""

from __future__ import annotations

import unicodedata

# Letters whose English name starts with a vowel sound: "an SMS", "an FAQ", "a URL".
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
# Vowels said as a consonant ("a user", "a unit", "a European", "a one-off").
_CONSONANT_SOUND_PREFIXES = (
    "uni",
    "use",
    "usu",
    "uti",
    "ute",
    "ura",
    "ure",
    "uri",
    "uro",
    "uku",
    "ubi",
    "eu",
    "ewe",
    "one",
    "once",
)
# A silent h: "an hour", "an honest".
_VOWEL_SOUND_PREFIXES = ("hour", "honest", "honor", "honour", "heir")


def with_indefinite_article(label: str) -> str:
    """Return `label` after "a" or "an", or alone when it does not start with a Latin letter.

    Labels in other scripts (a Chinese `客户`) or starting with a digit take no article:
    "Create 客户" reads right where "Create a 客户" would not.
    """
    words = label.split()
    if not words:
        return label
    first = words[0].strip("\"'()[]")
    initial = unicodedata.normalize("NFKD", first[:1])[:1]
    if not (initial.isascii() and initial.isalpha()):
        return label
    return f"{_article(first)} {label}"


def _article(word: str) -> str:
    # A lone letter or an acronym is spelled out: its first letter's name decides.
    if len(word) == 1 or word.isupper():
        return "an" if word[0].upper() in _VOWEL_SOUND_LETTERS else "a"
    lowered = unicodedata.normalize("NFKD", word).lower()
    if lowered.startswith(_VOWEL_SOUND_PREFIXES):
        return "an"
    if lowered[0] in "aeiou" and not lowered.startswith(_CONSONANT_SOUND_PREFIXES):
        return "an"
    return "a"
