"""Decode JSON that comes from outside Tessera, strictly and in one place.

Every JSON document a caller sends (request bodies, the `filter` and `cursor` query
parameters, JSON Lines imports) is decoded here, so what one path refuses every path
refuses: text that is not UTF-8, JSON that does not parse, and whatever
`engine.storable_json` finds no database can store (NUL characters, lone surrogates,
`NaN`, `Infinity`, numbers too large for a double or of too many digits, nesting past
`MAX_JSON_DEPTH`).

Each refusal is an `InvalidJson` whose problem names where the bad part is (a JSON
pointer when the document decoded, else the character position).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from typing import Any

from engine.errors import InvalidRequest, Problem
from engine.storable_json import (
    MAX_INT_DIGITS,
    MAX_JSON_DEPTH,
    Flaw,
    UnreadNumber,
    find_unstorable,
)

# Only an escaped surrogate can decode to a lone one; valid pairs decode to one character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
# Strings and numbers of a document that decoded, in order: finds the n-th number's place.
_STRING_OR_NUMBER = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN|-?[0-9][0-9.eE+-]*')


class InvalidJson(InvalidRequest):
    """A JSON document Tessera refuses, with what is wrong and, when known, where in the text.

    Attributes:
        reason: what is wrong, without naming the document ("NaN is not a JSON number …").
        position: the character offset in the text where the problem starts, for text
            that does not parse and for numbers no column holds; else None (the problem's
            pointer says where).
    """

    def __init__(
        self, detail: str, *, problem: Problem, reason: str, position: int | None = None
    ) -> None:
        super().__init__(detail, problems=[problem])
        self.reason = reason
        self.position = position

    @property
    def is_unparsable(self) -> bool:
        """Whether the text does not parse as JSON at all (rather than holding a bad value)."""
        return self.problems[0].code == "invalid-json"

    def with_hint(self, hint: str) -> InvalidJson:
        """The same refusal with `hint` after its message: how to send the document right."""
        problem = self.problems[0]
        return InvalidJson(
            f"{self.detail}; {hint}",
            problem=replace(problem, detail=f"{problem.detail}; {hint}"),
            reason=self.reason,
            position=self.position,
        )


def decode_json(data: bytes | str, *, pointer: str = "", what: str = "the body") -> Any:
    """Return the value of a JSON document, refusing what no database can store.

    `pointer` locates the document in the request (`/filter` for the filter parameter),
    `what` names it in messages.

    Raises:
        InvalidJson: the document is not strict JSON, holds a NUL or a lone surrogate
            or a number no column holds, or nests deeper than `MAX_JSON_DEPTH`.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8 text (byte {exc.start} cannot be decoded)"
            raise _refuse(
                pointer, "invalid-encoding", f"{what} is {reason}", reason=reason
            ) from exc
    else:
        text = data
    numbers = _NumberGuard()
    try:
        value = json.loads(
            text,
            parse_constant=numbers.refuse,
            parse_float=numbers.float,
            parse_int=numbers.int,
        )
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {explain(exc)}"
        where = f" ({location(exc)})" if exc.doc.strip() else ""
        message = f"{what} is {reason}{where}"
        raise _refuse(pointer, "invalid-json", message, reason=reason, position=exc.pos) from exc
    except RecursionError as exc:
        reason = f"nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects"
        raise _refuse(pointer, "too-deep", f"{what} {reason}", reason=reason) from exc
    # Escapes are the only way in for NUL and lone surrogates, unless the caller decoded
    # the text itself (a command line's surrogateescape).
    has_escapes = (
        "\\u0000" in text
        or bool(_SURROGATE_ESCAPE.search(text))
        or find_unstorable(text) is not None
    )
    found = find_unstorable(value, has_clean_leaves=not has_escapes and not numbers.seen)
    if found is not None:
        part = found.part
        position = _number_position(text, part.ordinal) if isinstance(part, _BadNumber) else None
        problem = Problem(found.pointer(pointer), found.flaw.code, found.reason)
        raise InvalidJson(
            f"{what} is refused: {found.reason}",
            problem=problem,
            reason=found.reason,
            position=position,
        )
    return value


def explain(error: json.JSONDecodeError) -> str:
    """Say what was expected where a document stops being JSON, in plain words.

    `expected ',' or '}' after an object member`, rather than the decoder's "Expecting
    ',' delimiter"; `location` says where (`line 3, column 5`).
    """
    text, position = error.doc, error.pos
    if not text.strip():
        return "the document is empty; send a JSON value such as {}"
    message = error.msg
    if message.startswith("Expecting ',' delimiter"):
        if _innermost_container(text, position) == "{":
            expected = "expected ',' or '}' after an object member"
        else:
            expected = "expected ',' or ']' after an array item"
    elif message.startswith("Expecting ':' delimiter"):
        expected = "expected ':' between a key and its value"
    elif message.startswith("Expecting property name"):
        expected = "expected a key in double quotes" + _hint(text, position)
    elif message.startswith("Expecting value"):
        expected = f"expected {_A_VALUE}" + _hint(text, position)
    elif message.startswith("Extra data"):
        return "unexpected text after the end of the document"
    elif message.startswith("Unterminated string"):
        return 'a string starts here and is never closed with "'
    elif message.startswith("Invalid control character"):
        expected = "a line break or tab inside a string must be escaped as \\n or \\t"
    elif "escape" in message:
        expected = 'an invalid escape in a string: use \\\\, \\", \\n, \\t or \\uXXXX'
    else:
        expected = message[0].lower() + message[1:]
    if not text[position:].strip():
        expected = f"the document ends too early: {expected}"
    return expected


def location(error: json.JSONDecodeError) -> str:
    """Where a document stops being JSON: `line 3, column 5`, or `column 5` on one line."""
    if "\n" in error.doc.strip():
        return f"line {error.lineno}, column {error.colno}"
    return f"column {error.colno}"


_A_VALUE = "a value (text in double quotes, a number, true, false, null, an object or an array)"


def _hint(text: str, position: int) -> str:
    """What JSON spells differently from what is at `position` (quotes, trailing commas)."""
    found = text[position] if position < len(text) else ""
    if found in ("]", "}") and text[:position].rstrip().endswith(","):
        return f"; JSON allows no comma before {found!r}"
    if found == "'":
        return '; JSON quotes keys and strings with " only'
    if found.isalpha() or found == "_":
        return (
            '; JSON writes keys and text in double quotes ("name"), '
            "and true, false and null in lower case"
        )
    return ""


def _innermost_container(text: str, position: int) -> str | None:
    """Return the bracket (`{` or `[`) open at `position` in `text`, outside strings."""
    stack: list[str] = []
    in_string = escaped = False
    for character in text[:position]:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "{[":
            stack.append(character)
        elif character in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _refuse(
    pointer: str, code: str, message: str, *, reason: str, position: int | None = None
) -> InvalidJson:
    return InvalidJson(
        message, problem=Problem(pointer, code, message), reason=reason, position=position
    )


@dataclass(frozen=True)
class _BadNumber(UnreadNumber):
    """An `UnreadNumber` that knows which number of the text it is (counting from 0)."""

    ordinal: int = 0


class _NumberGuard:
    """The decoder's number hooks: bad numbers become `_BadNumber`s instead of failing.

    The decoder calls a hook for each number in the order of the text; counting them
    tells where a bad number is in the text, so an import can say its column.
    """

    def __init__(self) -> None:
        self.seen = False
        self.count = 0

    def refuse(self, name: str) -> _BadNumber:
        self.count += 1
        return self._bad(
            name,
            Flaw.NOT_FINITE,
            f"{name} is not a JSON number (NaN or Infinity cannot be stored); send a number",
        )

    def float(self, text: str) -> float | _BadNumber:
        self.count += 1
        number = float(text)
        if math.isfinite(number):
            return number
        return self._bad(
            text, Flaw.NOT_FINITE, f"{text} is too large for a number; send a finite number"
        )

    def int(self, text: str) -> int | _BadNumber:
        self.count += 1
        if len(text) <= MAX_INT_DIGITS:
            return int(text)
        return self._bad(
            text, Flaw.TOO_MANY_DIGITS, f"a number has {len(text)} digits; at most {MAX_INT_DIGITS}"
        )

    def _bad(self, text: str, flaw: Flaw, reason: str) -> _BadNumber:
        self.seen = True
        return _BadNumber(text, flaw, reason, ordinal=self.count - 1)


def _number_position(text: str, ordinal: int) -> int | None:
    """Return where the `ordinal`-th number (from 0) of a decoded document starts in `text`."""
    seen = 0
    for token in _STRING_OR_NUMBER.finditer(text):
        if token.group().startswith('"'):
            continue
        if seen == ordinal:
            return token.start()
        seen += 1
    return None
