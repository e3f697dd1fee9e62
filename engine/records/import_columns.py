"""Check the columns of an imported file once, before any row: what each column fills.

A column is a field's api name, a field's label (exactly as stored), a writable system
key (`owner_id`), or a lookup followed to a unique field of its target (`account.code`,
see `lookup_keys.py`). Columns Tessera maintains (id, version, timestamps, and computed
fields: formulas, roll-ups, auto-numbers) and file fields (a file is uploaded to its
record, never imported) are ignored, so an export imports back. Any
other column is refused with every problem of the header at once, instead of the same
error on every row.

Columns are the importer's: a field they may not read is an unknown column (never an
ignored one), and hints name only fields they may read (`known_field`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.access import known_field, known_fields
from engine.catalog import READ_ONLY_SYSTEM_KEYS, WRITABLE_SYSTEM_KEYS, CompiledObject
from engine.errors import Problem, RecordValidationError
from engine.query import ObjectAccess
from engine.records.lookup_keys import KeyProblem, is_lookup_key, parse_lookup_key
from engine.records.object_rights import CallerObject
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


def ignored_keys(obj: CompiledObject, access: ObjectAccess) -> frozenset[str]:
    """Keys an import skips: system keys Tessera maintains, computed and file fields.

    Only fields the importer (`access`) may read: any other is reported as unknown.
    """
    skipped = {
        name
        for name in known_fields(obj, access)
        if obj.fields[name].state.definition.type in COMPUTED_TYPES
        or obj.fields[name].state.definition.type is FieldType.FILE
    }
    return READ_ONLY_SYSTEM_KEYS | skipped


def check_columns(target: CallerObject, header: Sequence[str]) -> ImportColumns:
    """Return how each column of `header` is read by the importer `target` is for.

    Raises:
        RecordValidationError: unknown columns (with a close name when there is one),
            dotted paths that cannot name a record, and columns filling the same field
            twice; every one of them, pointed at `/header/<column>`.
    """
    obj, access = target.obj, target.access
    skipped = ignored_keys(obj, access)
    by_label = _fields_by_label(obj, access)
    keys: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    filled: dict[str, str] = {}
    for column in header:
        pointer = f"/header/{column}"
        is_known = known_field(obj, access, column) is not None
        key = column if is_known or column in WRITABLE_SYSTEM_KEYS else None
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
                field = parse_lookup_key(target.catalog, obj, column, target.fields).lookup
            except KeyProblem as problem:
                problems.append(Problem(pointer, problem.code, problem.message))
                continue
            key = column
        if key is None or field is None:
            problems.append(Problem(pointer, "unknown-column", _unknown(obj, access, column)))
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


def _fields_by_label(obj: CompiledObject, access: ObjectAccess) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in known_fields(obj, access):
        label = obj.fields[name].state.definition.label
        if label:
            found.setdefault(label, []).append(name)
    return found


def _unknown(obj: CompiledObject, access: ObjectAccess, column: str) -> str:
    known = [*known_fields(obj, access), *WRITABLE_SYSTEM_KEYS]
    hint = did_you_mean(column, [*known, *_fields_by_label(obj, access)])
    return f"{obj.state.api_name!r} has no field {column!r}{hint}"
