"""Decode JSON that comes from outside Tessera, strictly and in one place.

Every JSON document a caller sends (request bodies, the `filter` and `cursor` query
parameters, JSON Lines imports) is decoded here, so what one path refuses every path
refuses:

- text that is not UTF-8, NUL characters and lone surrogates (`"\\ud800"`): no database
  text type stores them, and SQLite would even keep a row it then cannot read back;
- `NaN`, `Infinity` and numbers too large for a double: not JSON, and no column holds them;
- documents nested deeper than `MAX_JSON_DEPTH` levels, and numbers of more digits than
  Python converts (the decoder would fail deep inside instead).

Each refusal is an `InvalidRequest` whose problem names where the bad part is (a JSON
pointer when the document decoded, else the character position).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from engine.errors import InvalidRequest, Problem

#: How deeply arrays and objects may nest in a document from outside.
MAX_JSON_DEPTH = 64
# Python converts at most 4,300 digits to an int by default; no column holds even 40.
_MAX_INT_DIGITS = 1000

# Only an escaped surrogate can decode to a lone one; valid pairs decode to one character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def decode_json(data: bytes | str, *, pointer: str = "", what: str = "the body") -> Any:
    """Return the value of a JSON document, refusing what no database can store.

    `pointer` locates the document in the request (`/filter` for the filter parameter),
    `what` names it in messages.

    Raises:
        InvalidRequest: the document is not strict JSON, holds a NUL or a lone surrogate
            or a number no column holds, or nests deeper than `MAX_JSON_DEPTH`.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _refuse(
                pointer,
                "invalid-encoding",
                f"{what} is not UTF-8 text (byte {exc.start} cannot be decoded)",
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
        raise _refuse(
            pointer, "invalid-json", f"{what} is not valid JSON: {exc.msg} at character {exc.pos}"
        ) from exc
    except RecursionError as exc:
        raise _too_deep(pointer, what) from exc
    # Escapes are the only way in for NUL and lone surrogates, unless the caller decoded
    # the text itself (a command line's surrogateescape).
    has_escapes = (
        "\\u0000" in text
        or bool(_SURROGATE_ESCAPE.search(text))
        or (not text.isascii() and bool(_SURROGATE.search(text)))
    )
    problem = _first_problem(value, pointer, has_escapes=has_escapes, has_bad_numbers=numbers.seen)
    if problem is not None:
        raise InvalidRequest(f"{what} is refused: {problem.detail}", problems=[problem])
    return value


def unstorable_text_problem(text: str) -> str | None:
    """Return why no database can store `text` (NUL, a lone surrogate), or None."""
    if "\x00" in text:
        return "text cannot contain the NUL character (\\u0000)"
    if not text.isascii() and _SURROGATE.search(text):
        return "text cannot contain a lone surrogate (\\ud800-\\udfff); send valid Unicode"
    return None


class _BadNumber:
    """Stands in for a number no column holds, until the walk finds where it is."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason


class _NumberGuard:
    """The decoder's number hooks: bad numbers become `_BadNumber`s instead of failing."""

    def __init__(self) -> None:
        self.seen = False

    def refuse(self, name: str) -> _BadNumber:
        self.seen = True
        return _BadNumber(
            name, f"{name} is not a JSON number (NaN or Infinity cannot be stored); send a number"
        )

    def float(self, text: str) -> float | _BadNumber:
        number = float(text)
        if math.isfinite(number):
            return number
        self.seen = True
        return _BadNumber(text, f"{text} is too large for a number; send a finite number")

    def int(self, text: str) -> int | _BadNumber:
        if len(text) <= _MAX_INT_DIGITS:
            return int(text)
        self.seen = True
        return _BadNumber(text, f"a number has {len(text)} digits; at most {_MAX_INT_DIGITS}")


def _refuse(pointer: str, code: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, problems=[Problem(pointer, code, message)])


def _too_deep(pointer: str, what: str) -> InvalidRequest:
    return _refuse(
        pointer,
        "too-deep",
        f"{what} nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects",
    )


def _first_problem(
    value: Any, pointer: str, *, has_escapes: bool, has_bad_numbers: bool
) -> Problem | None:
    """Return the problem of the first lone surrogate, bad number or too-deep part, or None.

    The common case (no surrogate escape in the text, no bad number, shallow nesting) costs
    one pass over the containers; the full walk that locates a problem runs only when there
    is one.
    """
    if not has_escapes and not has_bad_numbers and _depth(value) <= MAX_JSON_DEPTH:
        return None
    for where, item, depth in _walk(value, pointer):
        if depth >= MAX_JSON_DEPTH and isinstance(item, dict | list):
            return Problem(
                where,
                "too-deep",
                f"nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects",
            )
        if has_escapes and isinstance(item, str):
            reason = unstorable_text_problem(item)
            if reason is not None:
                return Problem(where, "invalid-character", reason)
        if isinstance(item, _BadNumber):
            return Problem(where, "invalid-number", item.reason)
    return None


def _depth(value: Any) -> int:
    """Return how deeply arrays and objects nest in `value`, counting past the limit at most.

    Level by level, containers only: a bulk body of 10,000 flat records costs a few ms.
    """
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level and depth <= MAX_JSON_DEPTH:
        depth += 1
        deeper = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) is dict or type(child) is list:
                    deeper.append(child)
        level = deeper
    return depth


def _walk(value: Any, pointer: str) -> Iterator[tuple[str, Any, int]]:
    """Yield (pointer, value, depth) of every part; object keys come as their own parts."""
    pending: list[tuple[str, Any, int]] = [(pointer, value, 0)]
    while pending:
        where, item, depth = pending.pop()
        yield where, item, depth
        if isinstance(item, dict):
            for key, child in item.items():
                child_pointer = f"{where}/{_escape(key)}"
                yield child_pointer, key, depth + 1
                pending.append((child_pointer, child, depth + 1))
        elif isinstance(item, list):
            pending.extend(
                (f"{where}/{index}", child, depth + 1) for index, child in enumerate(item)
            )


def _escape(key: str) -> str:
    """Return `key` as a JSON pointer segment (RFC 6901), a lone surrogate spelled `\\ud800`."""
    segment = key.replace("~", "~0").replace("/", "~1")
    return segment.encode("utf-8", "backslashreplace").decode("utf-8")
