"""Check the columns of an imported file once, before any row: what each column fills.

A column is a field's api name, a field's label (exactly as stored), a writable system
key (`owner_id`), or a lookup followed to a unique field of its target (`account.code`,
see `lookup_keys.py`). Columns Tessera maintains (id, version, timestamps, and computed
fields: formulas, roll-ups, auto-numbers) and file fields (a file is uploaded to its
record, never imported) are ignored, so an export imports back. Any
other column is refused with every problem of the header at once, instead of the same
error on every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.catalog import READ_ONLY_SYSTEM_KEYS, WRITABLE_SYSTEM_KEYS, Catalog, CompiledObject
from engine.errors import Problem, RecordValidationError
from engine.records.lookup_keys import KeyProblem, is_lookup_key, parse_lookup_key
from engine.suggestions import did_you_mean
from metadata.models import COMPUTED_TYPES, FieldType


@dataclass(frozen=True)
class ImportColumns:
    """How a file's columns are read.

    Attributes:
        keys: the record key each read column fills, by column (api names, dotted paths).
        ignored: the columns Tessera maintains, skipped on every row.
    """

    keys: Mapping[str, str]
    ignored: tuple[str, ...]

    def record(self, row: Mapping[str | None, object]) -> dict[str, object]:
        """The record a row of the file gives: its read columns, under their keys."""
        keys = self.keys
        return {
            keys[column]: value
            for column, value in row.items()
            if column is not None and column in keys
        }


def ignored_keys(obj: CompiledObject) -> frozenset[str]:
    """Keys an import skips: system keys Tessera maintains, computed and file fields."""
    skipped = {
        name
        for name, compiled in obj.fields.items()
        if compiled.state.definition.type in COMPUTED_TYPES
        or compiled.state.definition.type is FieldType.FILE
    }
    return READ_ONLY_SYSTEM_KEYS | skipped


def check_columns(catalog: Catalog, obj: CompiledObject, header: Sequence[str]) -> ImportColumns:
    """Return how each column of `header` is read.

    Raises:
        RecordValidationError: unknown columns (with a close name when there is one),
            dotted paths that cannot name a record, and columns filling the same field
            twice; every one of them, pointed at `/header/<column>`.
    """
    skipped = ignored_keys(obj)
    by_label = _fields_by_label(obj)
    keys: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    filled: dict[str, str] = {}
    for column in header:
        pointer = f"/header/{column}"
        key = column if column in obj.fields or column in WRITABLE_SYSTEM_KEYS else None
        if key is None and column in skipped:
            key = column
        if key is None and column in by_label:
            names = by_label[column]
            if len(names) > 1:
                problems.append(
                    Problem(
                        pointer,
                        "ambiguous-column",
                        f"{column!r} is the label of several fields ({', '.join(names)}); "
                        "use the api name of one",
                    )
                )
                continue
            key = names[0]
        field = key
        if key is None and is_lookup_key(column):
            try:
                field = parse_lookup_key(catalog, obj, column).lookup
            except KeyProblem as problem:
                problems.append(Problem(pointer, problem.code, problem.message))
                continue
            key = column
        if key is None or field is None:
            problems.append(Problem(pointer, "unknown-column", _unknown(obj, column)))
            continue
        if key in skipped:
            ignored.append(column)
            continue
        # A lookup may have several key columns (`account`, `account.code`): each row
        # gives one of them a value (a row filling two is refused by the bulk write).
        if key in filled:
            problems.append(
                Problem(
                    pointer,
                    "repeated-column",
                    f"{column!r} and {filled[key]!r} both fill {field!r}; keep one of them",
                )
            )
            continue
        filled[key] = column
        keys[column] = key
    if problems:
        raise RecordValidationError(
            f"the file's header has {len(problems)} column(s) that {obj.state.api_name!r} "
            "cannot take; nothing was imported",
            problems=problems,
        )
    return ImportColumns(keys=keys, ignored=tuple(ignored))


def _fields_by_label(obj: CompiledObject) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, compiled in obj.fields.items():
        label = compiled.state.definition.label
        if label:
            found.setdefault(label, []).append(name)
    return found


def _unknown(obj: CompiledObject, column: str) -> str:
    known = [*obj.fields, *WRITABLE_SYSTEM_KEYS]
    labels = {
        compiled.state.definition.label: name
        for name, compiled in obj.fields.items()
        if compiled.state.definition.label
    }
    hint = did_you_mean(column, [*known, *labels])
    return f"{obj.state.api_name!r} has no field {column!r}{hint}"
