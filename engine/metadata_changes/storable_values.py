"""Refuse metadata values that would reach a record's column but no database can store.

A default, a picklist value and an auto-number format end up in every record that takes
them. PostgreSQL refuses a NUL character in text and JSON, no UTF-8 database stores a
lone surrogate (`"\\ud800"`, which JSON can carry but UTF-8 cannot encode), and JSON has
no NaN or Infinity (Python's parser accepts them); each would fail every later save, so
the metadata is refused when it is saved.
"""

from __future__ import annotations

import math
from typing import Any

from engine.errors import Problem
from metadata.models import FieldDef

_NUL = "\x00"


def check_storable_values(definition: FieldDef, pointer: str) -> list[Problem]:
    """Return a problem for each option whose text a record's column could not hold."""
    problems = []
    if definition.default is not None:
        problems += _check(definition.default, f"{pointer}/default", "the default")
    for index, value in enumerate(definition.values or ()):
        problems += _check(
            value.value, f"{pointer}/values/{index}/value", f"picklist value {index + 1}"
        )
    if definition.format is not None:
        problems += _check(definition.format, f"{pointer}/format", "the format")
    return problems


def _check(value: Any, pointer: str, what: str) -> list[Problem]:
    if any(isinstance(item, float) and not math.isfinite(item) for item in _leaves(value)):
        return [
            Problem(
                pointer,
                "unstorable-value",
                f"{what} contains NaN or Infinity, which JSON does not have; use a number or null",
            )
        ]
    for text in (item for item in _leaves(value) if isinstance(item, str)):
        if _NUL in text:
            return [
                Problem(
                    pointer,
                    "unstorable-text",
                    f"{what} contains a NUL character (\\u0000), which no text column "
                    "stores; remove it",
                )
            ]
        if _has_lone_surrogate(text):
            return [
                Problem(
                    pointer,
                    "unstorable-text",
                    f"{what} contains a lone surrogate (\\ud800-\\udfff), which is not a "
                    "character and cannot be stored; send the character it was meant to "
                    "be, or remove it",
                )
            ]
    return []


def _leaves(value: Any) -> list[Any]:
    """Every scalar in a JSON value, object keys included."""
    found: list[Any] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        else:
            found.append(item)
    return found


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
