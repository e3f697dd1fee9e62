"""Text functions: measuring, cutting, searching, converting and joining text."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn
from uuid import UUID

from engine.extensions import (
    EvaluationContext,
    ExpressionTimeout,
    Kind,
    PatternRefused,
    compile_pattern,
    describe_value,
    library_function,
)
from plugins.functions.maths import Number, as_number, as_whole

CATEGORY = "Text"

#: The longest text a function builds; nested SUBSTITUTE or CONCAT calls grow exponentially.
MAX_TEXT_LENGTH = 100_000
#: The longest text VALUE reads as a number.
MAX_NUMBER_TEXT = 100
#: A bound for REGEX when the evaluation has no deadline (the regex module reads an
#: infinite timeout as already expired).
REGEX_CEILING = 5.0
#: How long REGEX matches on the request's own thread before it moves the match off the
#: server's event loop: nearly every match ends far sooner, and one that does not would
#: hold every other request on the loop until its deadline.
INLINE_MATCH_SECONDS = 0.002

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def _text(value: Any, function: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{function} takes text, not {describe_value(value)}; convert it with TEXT()")


def _count(value: Any, function: str, what: str) -> int:
    # A count below zero means "nothing" rather than an error: it usually comes from data.
    return max(as_whole(value, function, what), 0)


def _too_long(function: str) -> NoReturn:
    raise ValueError(f"{function} would build a text longer than {MAX_TEXT_LENGTH} characters")


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("LEN('abc')", 3),
        ("LEN(name)", 4, {"name": "Acme"}),
        ("LEN(name)", 0, {"name": None}),
    ],
)
def LEN(text: Any) -> int:
    """The number of characters of the text.

    Blank text has length 0.
    """
    value = _text(text, "LEN")
    return 0 if value is None else len(value)


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[
        ("LEFT('Tessera', 3)", "Tes"),
        ("LEFT('Tessera', 20)", "Tessera"),
        ("LEFT(code, 2)", None, {"code": None}),
    ],
)
def LEFT(text: Any, count: Any) -> str | None:
    """The first `count` characters of the text.

    A count below 0 counts as 0; blank text gives blank.
    """
    if type(text) is str and type(count) is int and count >= 0:
        return text[:count]
    value = _text(text, "LEFT")
    size = _count(count, "LEFT", "the count")
    return None if value is None else value[:size]


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[
        ("RIGHT('Tessera', 3)", "era"),
        ("RIGHT('Tessera', 0)", ""),
        ("RIGHT(code, 2)", None, {"code": None}),
    ],
)
def RIGHT(text: Any, count: Any) -> str | None:
    """The last `count` characters of the text.

    A count below 0 counts as 0; blank text gives blank.
    """
    value = _text(text, "RIGHT")
    size = _count(count, "RIGHT", "the count")
    if value is None:
        return None
    return value[len(value) - size :] if size < len(value) else value


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[
        ("MID('Tessera', 2, 3)", "ess"),
        ("MID('Tessera', 6, 10)", "ra"),
        ("MID(code, 1, 2)", None, {"code": None}),
    ],
)
def MID(text: Any, start: Any, length: Any) -> str | None:
    """`length` characters of the text from position `start` (the first character is 1).

    A start below 1 counts as 1 and a length below 0 as 0; blank text gives blank.
    """
    value = _text(text, "MID")
    first = max(as_whole(start, "MID", "the start"), 1) - 1
    size = _count(length, "MID", "the length")
    return None if value is None else value[first : first + size]


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[("UPPER('Acme Ltd')", "ACME LTD"), ("UPPER(name)", None, {"name": None})],
)
def UPPER(text: Any) -> str | None:
    """The text in upper case.

    Blank text gives blank.
    """
    value = _text(text, "UPPER")
    return None if value is None else value.upper()


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[("LOWER('Acme Ltd')", "acme ltd"), ("LOWER(email)", None, {"email": None})],
)
def LOWER(text: Any) -> str | None:
    """The text in lower case.

    Blank text gives blank.
    """
    value = _text(text, "LOWER")
    return None if value is None else value.lower()


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[("TRIM('  Acme  ')", "Acme"), ("TRIM(name)", None, {"name": None})],
)
def TRIM(text: Any) -> str | None:
    """The text without the spaces, tabs and line breaks at its start and end.

    Blank text gives blank.
    """
    value = _text(text, "TRIM")
    return None if value is None else value.strip()


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    examples=[
        ("CONTAINS('Acme Ltd', 'Ltd')", True),
        ("CONTAINS('Acme Ltd', 'ltd')", False),
        ("CONTAINS(name, 'Ltd')", False, {"name": None}),
    ],
)
def CONTAINS(text: Any, part: Any) -> bool:
    """Whether the text contains `part` (case-sensitive).

    Blank text contains nothing; a blank part is found in any text that is not blank.
    """
    value = _text(text, "CONTAINS")
    piece = _text(part, "CONTAINS") or ""
    return value is not None and piece in value


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    examples=[
        ("BEGINS('INV-2026-001', 'INV-')", True),
        ("BEGINS('Acme', 'ac')", False),
        ("BEGINS(code, 'INV-')", False, {"code": None}),
    ],
)
def BEGINS(text: Any, prefix: Any) -> bool:
    """Whether the text starts with `prefix` (case-sensitive).

    Blank text begins with nothing; any text that is not blank begins with a blank prefix.
    """
    value = _text(text, "BEGINS")
    start = _text(prefix, "BEGINS") or ""
    return value is not None and value.startswith(start)


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    examples=[
        ("ENDS('report.pdf', '.pdf')", True),
        ("ENDS('report.pdf', '.PDF')", False),
        ("ENDS(file_name, '.pdf')", False, {"file_name": None}),
    ],
)
def ENDS(text: Any, suffix: Any) -> bool:
    """Whether the text ends with `suffix` (case-sensitive).

    Blank text ends with nothing; any text that is not blank ends with a blank suffix.
    """
    value = _text(text, "ENDS")
    end = _text(suffix, "ENDS") or ""
    return value is not None and value.endswith(end)


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[
        ("SUBSTITUTE('a-b-c', '-', '/')", "a/b/c"),
        ("SUBSTITUTE(phone, ' ', '')", "0612345678", {"phone": "06 12 34 56 78"}),
        ("SUBSTITUTE(phone, ' ', '')", None, {"phone": None}),
    ],
)
def SUBSTITUTE(text: Any, old: Any, new: Any) -> str | None:
    """The text with every occurrence of `old` replaced by `new`.

    Blank text gives blank; a blank `old` changes nothing; a blank `new` removes `old`.
    """
    value = _text(text, "SUBSTITUTE")
    find = _text(old, "SUBSTITUTE")
    replacement = _text(new, "SUBSTITUTE") or ""
    if value is None or not find:
        return value
    if len(replacement) > len(find):
        # Check the size before building it: the growth is known from the count alone.
        grown = len(value) + value.count(find) * (len(replacement) - len(find))
        if grown > MAX_TEXT_LENGTH:
            _too_long("SUBSTITUTE")
    return value.replace(find, replacement)


def _number_text(number: Number) -> str:
    if isinstance(number, int):
        return str(number)
    # "f" never uses an exponent and keeps the scale: 2.50 stays "2.50", 1E+3 becomes "1000".
    return format(number, "f")


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[
        ("TEXT(42)", "42"),
        ("TEXT(amount)", "2.50", {"amount": Decimal("2.50")}),
        ("TEXT(closed)", "true", {"closed": True}),
        ("TEXT(DATE(2026, 3, 15))", "2026-03-15"),
        ("TEXT(amount)", "", {"amount": None}),
    ],
)
def TEXT(value: Any) -> str:
    """The value as text.

    Numbers never use an exponent and decimals keep their places (2.50 gives "2.50");
    dates and date-times are ISO 8601; true/false give "true"/"false"; lists are joined
    with ", ". Blank gives empty text.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, int | Decimal):
        return _number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(TEXT(item) for item in value)
    raise TypeError(f"TEXT cannot convert {describe_value(value)}")


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("VALUE('42')", 42),
        ("VALUE(' -3.50 ')", Decimal("-3.50")),
        ("VALUE(quantity)", None, {"quantity": None}),
    ],
)
def VALUE(text: Any) -> Number | None:
    """The number written in the text: a whole number or a decimal.

    Spaces around the number are ignored; exponents and thousands separators are not
    accepted. Blank text (or only spaces) gives blank; any other text is an error.
    """
    if isinstance(text, int | float | Decimal) and not isinstance(text, bool):
        return as_number(text, "VALUE")
    value = _text(text, "VALUE")
    if value is None or not value.strip():
        return None
    written = value.strip()
    if len(written) > MAX_NUMBER_TEXT or not _NUMBER.fullmatch(written):
        shown = written if len(written) <= 40 else written[:40] + "…"
        raise ValueError(f"VALUE: {shown!r} is not a number")
    if "." in written:
        return Decimal(written)
    return int(written)


def regex_pattern_problem(pattern: Any) -> str | None:
    """Why a literal REGEX pattern would fail, checked when the expression is saved."""
    if not isinstance(pattern, str):
        return None
    if not pattern:
        return "REGEX needs a pattern"
    try:
        compile_pattern(pattern)
    except PatternRefused as refused:
        return f"REGEX: {refused}"
    return None


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    needs_context=True,
    is_costly=True,
    literal_checks={1: regex_pattern_problem},
    examples=[
        ("REGEX('AB-1234', '[A-Z]{2}-[0-9]{4}')", True),
        ("REGEX('AB-1234 x', '[A-Z]{2}-[0-9]{4}')", False),
        ("REGEX(code, '[0-9]+')", False, {"code": None}),
    ],
)
def REGEX(context: EvaluationContext, text: Any, pattern: Any) -> bool:
    """Whether the whole text matches the regular expression `pattern`.

    The pattern must match the entire text (no ^ or $ needed). Blank text matches
    nothing. A pattern is at most 1,000 characters, nests groups at most 20 deep and
    expands to at most 5,000 items when its counted repetitions ({n}, {m,n}) multiply;
    verbose mode is not allowed. A pattern that runs past the evaluation's time limit
    stops it.
    """
    value = _text(text, "REGEX")
    expression = _text(pattern, "REGEX")
    if not expression:
        raise ValueError("REGEX needs a pattern")
    try:
        compiled = context.patterns.compile(expression)
    except PatternRefused as refused:
        raise ValueError(f"REGEX: {refused}") from refused
    # Compiling is part of the evaluation: the deadline is read after it.
    timeout = min(context.remaining(), REGEX_CEILING)
    if value is None:
        return False
    try:
        try:
            return compiled.fullmatch(value, timeout=min(timeout, INLINE_MATCH_SECONDS)) is not None
        except TimeoutError:
            if timeout <= INLINE_MATCH_SECONDS:
                raise
        # A slow match goes on where it holds no other request up; `concurrent` lets
        # the regex module release the GIL while it matches.
        left = min(context.remaining(), REGEX_CEILING)
        found = context.budget.run_blocking(
            lambda: compiled.fullmatch(value, timeout=left, concurrent=True)
        )
        return found is not None
    except TimeoutError as error:
        raise ExpressionTimeout(f"REGEX ran past the time limit on {expression!r}") from error


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[
        (
            "CONCAT(first_name, ' ', last_name)",
            "Ada Lovelace",
            {"first_name": "Ada", "last_name": "Lovelace"},
        ),
        ("CONCAT('INV-', 42)", "INV-42"),
        (
            "CONCAT(first_name, ' ', last_name)",
            " Lovelace",
            {"first_name": None, "last_name": "Lovelace"},
        ),
    ],
)
def CONCAT(part: Any, *parts: Any) -> str:
    """The parts joined into one text.

    Parts that are not text are converted as by TEXT(); blank parts count as empty text.
    """
    pieces = [item if type(item) is str else TEXT(item) for item in (part, *parts)]
    joined = "".join(pieces)
    if len(joined) > MAX_TEXT_LENGTH:
        _too_long("CONCAT")
    return joined


@library_function(
    category=CATEGORY,
    returns=Kind.TEXT,
    examples=[
        ("LPAD('42', 5, '0')", "00042"),
        ("LPAD('7', 3)", "  7"),
        ("LPAD('123456', 4)", "1234"),
        ("LPAD(code, 5, '0')", None, {"code": None}),
    ],
)
def LPAD(text: Any, length: Any, pad: Any = " ") -> str | None:
    """The text padded on the left with `pad` up to `length` characters.

    Text longer than `length` is cut to its first `length` characters. Blank text gives
    blank; the pad must not be empty.
    """
    value = _text(text, "LPAD")
    size = _count(length, "LPAD", "the length")
    filler = _text(pad, "LPAD")
    if not filler:
        raise ValueError("LPAD needs a pad of at least one character")
    if size > MAX_TEXT_LENGTH:
        _too_long("LPAD")
    if value is None:
        return None
    if len(value) >= size:
        return value[:size]
    missing = size - len(value)
    return (filler * (missing // len(filler) + 1))[:missing] + value
