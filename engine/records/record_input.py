"""Turn a record's JSON body into column values, reporting every problem at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.access import known_field, known_fields
from engine.catalog import READ_ONLY_SYSTEM_KEYS, WRITABLE_SYSTEM_KEYS, CompiledObject
from engine.catalog.values import ValueProblem, coerce_record_id, files_endpoint_hint
from engine.errors import Problem
from engine.query import ObjectAccess
from engine.suggestions import did_you_mean
from metadata.models import COMPUTED_TYPES, FieldType


@dataclass
class ParsedInput:
    """Column values keyed by field api name, and the problems found."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def parse_record_input(
    obj: CompiledObject,
    body: Mapping[str, Any],
    *,
    access: ObjectAccess,
    is_create: bool,
    from_text: bool = False,
    pointer: str = "",
) -> ParsedInput:
    """Validate and coerce a body: unknown and read-only keys, types, literal defaults.

    A field the writer (`access`) may not read is answered as an unknown one, and the
    hint names only fields they may read.

    Required fields are checked later, once defaults of every kind are filled
    (`engine/records/required_fields.py`).
    """
    parsed = ParsedInput()
    for key, raw in body.items():
        where = f"{pointer}/{key}"
        if key in READ_ONLY_SYSTEM_KEYS:
            parsed.problems.append(
                Problem(
                    where, "read-only", f"{key!r} is maintained by Tessera and cannot be written"
                )
            )
            continue
        if key in WRITABLE_SYSTEM_KEYS:
            _coerce_owner(parsed, key, None if from_text and raw == "" else raw, where)
            continue
        compiled = known_field(obj, access, key)
        if compiled is None:
            parsed.problems.append(
                Problem(where, "unknown-field", _unknown_message(obj, access, key))
            )
            continue
        definition = compiled.state.definition
        if definition.type in COMPUTED_TYPES:
            parsed.problems.append(
                Problem(
                    where,
                    "read-only",
                    f"{key!r} is computed by Tessera ({definition.type}) and cannot be written",
                )
            )
            continue
        if definition.type is FieldType.FILE:
            # Even null: clearing the column here would leave its blob behind.
            parsed.problems.append(
                Problem(
                    where,
                    "read-only",
                    f"{key!r} is a file field; {files_endpoint_hint(obj.state.api_name, key)}",
                )
            )
            continue
        try:
            parsed.values[key] = compiled.coerce(raw, from_text)
        except ValueProblem as problem:
            parsed.problems.append(Problem(where, problem.code, problem.message))
    if is_create:
        for name, default in obj.input.defaults:
            if name not in body:
                parsed.values[name] = default
    return parsed


def _coerce_owner(parsed: ParsedInput, key: str, raw: Any, where: str) -> None:
    try:
        parsed.values[key] = None if raw is None else coerce_record_id(raw)
    except ValueProblem as problem:
        parsed.problems.append(Problem(where, problem.code, problem.message))


def _unknown_message(obj: CompiledObject, access: ObjectAccess, key: str) -> str:
    hint = did_you_mean(key, [*known_fields(obj, access), *WRITABLE_SYSTEM_KEYS])
    return f"{obj.state.api_name!r} has no field {key!r}{hint}"
