"""Walk the field names of a filter document (`and`/`or` lists and `not` included)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_COMBINATORS = ("and", "or")


def filter_fields(document: Mapping[str, Any]) -> set[str]:
    """The first names of every field path a filter reads (`account.industry` → `account`)."""
    found: set[str] = set()

    def collect(head: str) -> str:
        found.add(head)
        return head

    map_filter_keys(document, collect)
    return found


def map_filter_keys(document: Mapping[str, Any], rename: Callable[[str], str]) -> dict[str, Any]:
    """Return a filter whose field paths start with `rename(first name)` instead."""
    mapped: dict[str, Any] = {}
    for key, value in document.items():
        if key in _COMBINATORS and isinstance(value, list):
            mapped[key] = [
                map_filter_keys(item, rename) if isinstance(item, Mapping) else item
                for item in value
            ]
        elif key == "not" and isinstance(value, Mapping):
            mapped[key] = map_filter_keys(value, rename)
        else:
            head, dot, rest = key.partition(".")
            mapped[rename(head) + dot + rest] = value
    return mapped
