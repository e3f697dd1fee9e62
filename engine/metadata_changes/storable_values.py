"""Refuse metadata options that no database can store, whichever way the metadata came in.

A default, a picklist value and an auto-number format end up in every record that takes
them; labels, help texts, descriptions and messages in Tessera's own tables. PostgreSQL
refuses a NUL character in text, no UTF-8 database stores a lone surrogate (`"\\ud800"`,
which JSON can carry but UTF-8 cannot encode), JSON has no NaN or Infinity (Python's
parser accepts them), an integer of thousands of digits cannot be read back, and nesting
is bounded as for any JSON value; each would fail the change or every later save, so the
metadata is refused when it is saved. Request bodies are refused earlier by their
decoder, with the same walk (`engine.storable_json`); this covers every other caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import Problem
from engine.storable_json import (
    MAX_INT_DIGITS,
    MAX_JSON_DEPTH,
    Flaw,
    PathPart,
    UnstorablePart,
    find_unstorable,
)
from metadata.models import FieldDef

#: How messages name an option.
_OPTION_NAMES = {
    "default": "the default",
    "format": "the format",
    "help_text": "the help text",
    "plural_label": "the plural label",
    "rollup": "the roll-up",
}


def check_storable_values(definition: FieldDef, pointer: str) -> list[Problem]:
    """Return a problem for each option of a field that no database could store.

    The api name is left to its own check, which refuses anything but a plain name.
    """
    return check_storable_options(definition.model_dump(exclude={"api_name"}), pointer)


def check_storable_options(options: Mapping[str, Any], pointer: str) -> list[Problem]:
    """Return a problem for each option (of an object, field or rule) no database stores."""
    problems = []
    for option, value in options.items():
        found = find_unstorable(value)
        if found is not None:
            where = found.pointer(f"{pointer}/{option}")
            problems.append(_problem(found, where, _name(option, found.path)))
    return problems


def _name(option: str, path: tuple[PathPart, ...]) -> str:
    if option == "values" and path and isinstance(path[0], int):
        # A picklist value is named by its place, as a person counts: from 1.
        value = f"picklist value {path[0] + 1}"
        return value if path[1:2] == ("value",) else f"the label of {value}"
    return _OPTION_NAMES.get(option, f"the {option}")


def _problem(found: UnstorablePart, pointer: str, what: str) -> Problem:
    if found.flaw is Flaw.NUL_CHARACTER:
        return Problem(
            pointer,
            "unstorable-text",
            f"{what} contains a NUL character (\\u0000), which no text column stores; remove it",
        )
    if found.flaw is Flaw.LONE_SURROGATE:
        return Problem(
            pointer,
            "unstorable-text",
            f"{what} contains a lone surrogate (\\ud800-\\udfff), which is not a character "
            "and cannot be stored; send the character it was meant to be, or remove it",
        )
    if found.flaw is Flaw.NOT_FINITE:
        message = f"{what} contains NaN or Infinity, which JSON does not have; use a number or null"
    elif found.flaw is Flaw.TOO_MANY_DIGITS:
        message = (
            f"{what} contains a number of more than {MAX_INT_DIGITS} digits, which cannot "
            "be read back; use a shorter number, or text"
        )
    else:
        message = (
            f"{what} nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects; flatten it"
        )
    return Problem(pointer, "unstorable-value", message)
