"""Read the text a caller searches for: words, with no syntax to get wrong.

`q` is plain text. It is cut at white space into words, and a record is found when each
word occurs in one of its searchable fields. Quotes, `*`, `(`, `:`, `-`, `OR` and the like
are characters like any other: no database ever parses the text as a query language, so
no text can be a syntax error.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import Problem
from engine.query import InvalidQuery
from engine.storable_json import find_unstorable

#: The longest text searched for, in characters.
MAX_SEARCH_LENGTH = 200
#: The most words one search takes; each is matched against every searchable field.
MAX_WORDS = 10
#: Words shorter than this are found by scanning rather than through the trigram index.
TRIGRAM_LENGTH = 3


@dataclass(frozen=True)
class SearchText:
    """What a caller searches for.

    Attributes:
        text: the words joined by single spaces (what an exact or leading match compares).
        words: each distinct word once, in the order given (case ignored for repeats).
    """

    text: str
    words: tuple[str, ...]


def parse_search_text(raw: str | None, *, pointer: str = "/q") -> SearchText:
    """Return the words of `raw`.

    Raises:
        InvalidQuery: no text, text past `MAX_SEARCH_LENGTH` or `MAX_WORDS`, or text no
            database can hold (NUL, a lone surrogate).
    """
    if raw is None or not raw.strip():
        raise _invalid(pointer, "missing-text", "send the text to search for, e.g. q=acme")
    if len(raw) > MAX_SEARCH_LENGTH:
        raise _invalid(
            pointer,
            "too-long",
            f"search for at most {MAX_SEARCH_LENGTH} characters (got {len(raw):,}); "
            "a few distinctive words find more than a long text",
        )
    unstorable = find_unstorable(raw)
    if unstorable is not None:
        raise _invalid(pointer, unstorable.flaw.code, unstorable.reason)
    words: dict[str, str] = {}
    for word in raw.split():
        words.setdefault(word.casefold(), word)
    if len(words) > MAX_WORDS:
        raise _invalid(
            pointer,
            "too-many-words",
            f"search for at most {MAX_WORDS} words (got {len(words)})",
        )
    return SearchText(text=" ".join(raw.split()), words=tuple(words.values()))


def _invalid(pointer: str, code: str, message: str) -> InvalidQuery:
    return InvalidQuery(message, problems=[Problem(pointer, code, message)])
