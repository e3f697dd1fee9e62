"""Find the part of a JSON value that no database can store: one walk for every way in.

Request bodies (once decoded), record values and metadata defaults are all checked by
`find_unstorable`, so what one path refuses every path refuses:

- text holding a NUL character (PostgreSQL refuses it in text and jsonb) or a lone
  surrogate (`"\\ud800"`, which JSON can carry but UTF-8 cannot encode), in values and keys;
- `NaN` and infinite numbers: JSON has neither, and no column holds them;
- integers of more than `MAX_INT_DIGITS` digits: Python reads back at most 4,300, and no
  column holds even 40;
- arrays and objects nested deeper than `MAX_JSON_DEPTH` levels.

The walk returns the first such part, in document order, as an `UnstorablePart`: what is
wrong (a `Flaw`), where (a path from the value's root) and why (a message for users).
Each caller maps it to its own error: a request body's 422, a record value's problem, a
metadata option's problem. The module imports nothing of Tessera, so every layer of the
engine may use it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: How deeply arrays and objects may nest in any JSON value Tessera takes in.
MAX_JSON_DEPTH = 64
#: The most digits an integer in a JSON value may have.
MAX_INT_DIGITS = 1000

_CONTAINERS = (dict, list, tuple)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Integers of fewer bits always have fewer digits; only longer ones are compared exactly.
_SAFE_INT_BITS = math.floor(MAX_INT_DIGITS * math.log2(10))
_TOO_MANY_DIGITS = 10**MAX_INT_DIGITS


class Flaw(StrEnum):
    """What makes a part of a JSON value unstorable."""

    NUL_CHARACTER = "nul-character"
    LONE_SURROGATE = "lone-surrogate"
    NOT_FINITE = "not-finite"
    TOO_MANY_DIGITS = "too-many-digits"
    TOO_DEEP = "too-deep"

    @property
    def code(self) -> str:
        """The problem code requests and record values report it with."""
        return _CODES[self]


_CODES = {
    Flaw.NUL_CHARACTER: "invalid-character",
    Flaw.LONE_SURROGATE: "invalid-character",
    Flaw.NOT_FINITE: "invalid-number",
    Flaw.TOO_MANY_DIGITS: "invalid-number",
    Flaw.TOO_DEEP: "too-deep",
}

PathPart = str | int


@dataclass(frozen=True)
class UnstorablePart:
    """The first part of a value that no database stores: what is wrong, where, and why.

    Attributes:
        flaw: what is wrong.
        path: where, as object keys and array indexes from the value's root; a problem
            in an object key ends with that key.
        reason: why, in words for users ("text cannot contain the NUL character …").
        part: the offending part itself (a string, a number, a container).
    """

    flaw: Flaw
    path: tuple[PathPart, ...]
    reason: str
    part: Any

    def pointer(self, base: str = "") -> str:
        """Return where the part is as a JSON pointer (RFC 6901) below `base`.

        A lone surrogate in a key is spelled `\\ud800`, so the pointer itself is storable.
        """
        return base + "".join(f"/{_escape(str(segment))}" for segment in self.path)


@dataclass(frozen=True)
class UnreadNumber:
    """A number in JSON text that no column holds, kept as written until a walk finds it.

    A decoder returns one in place of `NaN`, `1e400` or a number of 5,000 digits, so that
    the walk can say where it is instead of the decoder failing without a location.
    """

    text: str
    flaw: Flaw
    reason: str


def find_unstorable(value: Any, *, has_clean_leaves: bool = False) -> UnstorablePart | None:
    """Return the first part of `value` no database can store, in document order, or None.

    `value` is made of dicts, lists (or tuples), strings, numbers, booleans and None, as
    JSON decodes to; `UnreadNumber`s stand where a decoder met a number no column holds.
    With `has_clean_leaves` the caller knows no string or number is unstorable (a decoder
    that saw no escape and no bad number), and only the nesting is measured: one pass over
    the containers, the located walk running only past the limit.
    """
    if isinstance(value, str):
        reason = _text_problem(value)
        return None if reason is None else UnstorablePart(reason[0], (), reason[1], value)
    if has_clean_leaves and _depth(value) <= MAX_JSON_DEPTH:
        return None
    return _walk(value)


def _walk(value: Any) -> UnstorablePart | None:
    """Visit every part in document order without recursion; stop at the first problem.

    Paths are kept as linked pairs (parent path, key) and spelled out only for a problem.
    """
    pending: list[tuple[Any, int, Any]] = [(value, 0, None)]
    while pending:
        item, depth, links = pending.pop()
        if isinstance(item, _CONTAINERS):
            if depth >= MAX_JSON_DEPTH:
                return _found(
                    Flaw.TOO_DEEP,
                    links,
                    f"nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects",
                    item,
                )
            if isinstance(item, dict):
                children: list[tuple[Any, int, Any]] = []
                for key, child in item.items():
                    if isinstance(key, str):
                        reason = _text_problem(key)
                        if reason is not None:
                            return _found(reason[0], (links, key), reason[1], key)
                    children.append((child, depth + 1, (links, key)))
            else:
                children = [(child, depth + 1, (links, index)) for index, child in enumerate(item)]
            # The stack pops last-in first: push in reverse to visit in document order.
            children.reverse()
            pending.extend(children)
            continue
        problem = _leaf_problem(item)
        if problem is not None:
            return _found(problem[0], links, problem[1], item)
    return None


def _leaf_problem(item: Any) -> tuple[Flaw, str] | None:
    if isinstance(item, str):
        return _text_problem(item)
    if isinstance(item, float):
        if math.isfinite(item):
            return None
        return Flaw.NOT_FINITE, "NaN and infinite numbers are not JSON"
    if isinstance(item, int) and not isinstance(item, bool):
        if item.bit_length() <= _SAFE_INT_BITS or abs(item) < _TOO_MANY_DIGITS:
            return None
        return (
            Flaw.TOO_MANY_DIGITS,
            f"a number has more than {MAX_INT_DIGITS} digits; at most {MAX_INT_DIGITS}",
        )
    if isinstance(item, UnreadNumber):
        return item.flaw, item.reason
    return None


def _text_problem(text: str) -> tuple[Flaw, str] | None:
    if "\x00" in text:
        return Flaw.NUL_CHARACTER, "text cannot contain the NUL character (\\u0000)"
    if not text.isascii() and (found := _SURROGATE.search(text)):
        if "\udc80" <= found.group() <= "\udcff":
            # What a file's byte that is no UTF-8 decodes to (errors="surrogateescape").
            return (
                Flaw.LONE_SURROGATE,
                "text cannot contain a lone surrogate (\\ud800-\\udfff), which is also how a "
                "byte that is not UTF-8 reads; save the file as UTF-8 or send valid Unicode",
            )
        return (
            Flaw.LONE_SURROGATE,
            "text cannot contain a lone surrogate (\\ud800-\\udfff); send valid Unicode",
        )
    return None


def _found(flaw: Flaw, links: Any, reason: str, part: Any) -> UnstorablePart:
    path: list[PathPart] = []
    while links is not None:
        links, segment = links
        path.append(segment)
    path.reverse()
    return UnstorablePart(flaw, tuple(path), reason, part)


def _depth(value: Any) -> int:
    """Return how deeply arrays and objects nest in `value`, counting past the limit at most.

    Level by level, containers only: a bulk body of 10,000 flat records costs a few ms.
    """
    level = [value] if isinstance(value, _CONTAINERS) else []
    depth = 0
    while level and depth <= MAX_JSON_DEPTH:
        depth += 1
        deeper = []
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, _CONTAINERS):
                    deeper.append(child)
        level = deeper
    return depth


def _escape(segment: str) -> str:
    """Return `segment` as a JSON pointer segment, a lone surrogate spelled `\\ud800`."""
    escaped = segment.replace("~", "~0").replace("/", "~1")
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")
