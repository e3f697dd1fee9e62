"""Lookup values given by key: the target's id, one of its unique fields, or its name.

In every record body (single and bulk writes) and imported file a lookup (or
master-detail) field takes:

- `"account": "<uuid>"`: a value that parses as a UUID is the target's id;
- `"account": "Acme"`: any other text is matched, exactly, against the target's name
  field (its field called `name`); several matches are an error, as is a target
  without a name field;
- `"account.code": "C-001"`: the key follows the lookup, as a dotted path does in
  filters, to a unique field of the target (or to its name field, matched as above).

Values are resolved for a whole batch at once, one query per lookup column, inside the
caller's scope: a record the caller cannot see is not found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import select

from engine.access import known_field
from engine.catalog import (
    Catalog,
    CompiledObject,
    ValueProblem,
    coerce_record_id,
    coerce_value,
)
from engine.errors import Problem
from engine.query import FieldAccess, ObjectAccess, comparable_definition
from engine.suggestions import did_you_mean
from metadata.models import REFERENCE_TYPES, FieldType

if TYPE_CHECKING:
    from engine.records.pipeline import SavePipeline, WriteRequest

#: Distinct values of one lookup column read by one query: a whole batch (at most 10,000
#: records) fits in one, well inside both databases' limits on bound parameters.
_QUERY_SIZE = 10_000


#: Field types whose values are lists or documents (a file's metadata among them): no
#: lookup key matches them.
_UNMATCHABLE = frozenset({FieldType.MULTI_PICKLIST, FieldType.JSON, FieldType.FILE})


class KeyProblem(Exception):
    """A key that names no field, or follows a lookup to a field that cannot name a record."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LookupKey:
    """A key naming a lookup's target by one of the target's fields: `account.code`.

    Attributes:
        lookup: the lookup (or master-detail) field of the record.
        by: the target's field the value is matched against (`id` for ids).
    """

    lookup: str
    by: str


def is_lookup_key(key: str) -> bool:
    """Whether `key` is a dotted path (api names never hold a dot)."""
    return "." in key


def matching_fields(target: CompiledObject, access: ObjectAccess | None = None) -> list[str]:
    """The fields of `target` a lookup key may follow to: `id`, its unique fields, its name.

    With the caller's `access` to `target`, only the fields they may query: a hint never
    names a hidden field.
    """
    return ["id"] + [
        name
        for name, compiled in target.fields.items()
        if (compiled.state.definition.unique or name == target.name_field)
        and compiled.state.definition.type not in _UNMATCHABLE
        and (access is None or access.can_query(name))
    ]


def parse_lookup_key(
    catalog: Catalog, obj: CompiledObject, key: str, access: FieldAccess | None = None
) -> LookupKey:
    """Return the lookup and target field `key` (such as `account.code`) names.

    With the caller's `access`, fields they may not read are answered as unknown ones.

    Raises:
        KeyProblem: the first part is no lookup of `obj`, the path follows more than one
            lookup, or it ends at a field that is neither unique nor the name field.
    """
    head, _, tail = key.partition(".")
    compiled = obj.fields.get(head)
    on_obj = access.on(obj) if access is not None else None
    if compiled is None or (on_obj is not None and not on_obj.can_read(head)):
        known = list(obj.fields) if on_obj is None else on_obj.readable_fields(obj)
        raise KeyProblem(
            "unknown-field",
            f"{obj.state.api_name!r} has no field {head!r} (in {key!r})"
            + did_you_mean(head, known),
        )
    definition = compiled.state.definition
    if definition.type not in REFERENCE_TYPES:
        raise KeyProblem(
            "not-a-lookup",
            f"{head!r} in {key!r} is not a lookup field of {obj.state.api_name!r}: only a "
            "lookup's record can be named by one of its fields",
        )
    target = catalog.objects[definition.target or ""]
    on_target = access.on(target) if access is not None else None
    allowed = matching_fields(target, on_target)
    hint = f"use one of {', '.join(f'{head}.{name}' for name in allowed)}"
    if "." in tail:
        raise KeyProblem(
            "path-too-long", f"{key!r} follows more than one lookup; an input key follows one"
        )
    if tail in allowed:
        return LookupKey(lookup=head, by=tail)
    if tail in target.fields and (on_target is None or on_target.can_read(tail)):
        raise KeyProblem(
            "not-unique",
            f"{tail!r} is not a unique field of {target.state.api_name!r}, so it may name "
            f"several records; {hint}",
        )
    raise KeyProblem(
        "unknown-field",
        f"{target.state.api_name!r} has no field {tail!r} (in {key!r})"
        + did_you_mean(tail, allowed)
        + f"; {hint}",
    )


@dataclass
class ResolvedLookups:
    """Bodies whose lookup keys became ids, and the problems found, one list per body."""

    bodies: list[Any]
    problems: list[list[Problem]]


@dataclass
class _Wanted:
    """One lookup value to find: in which body, for which field, matched how."""

    index: int
    pointer: str
    lookup: str
    key: str
    by: str
    raw: Any


def resolve_request_lookups(pipeline: SavePipeline, request: WriteRequest) -> None:
    """Turn the lookup keys of one record's body into ids, its problems into the request's."""
    resolved = resolve_lookups(pipeline, [request.body], pointers=[request.pointer])
    request.body = resolved.bodies[0]
    request.problems.extend(resolved.problems[0])


def resolve_lookups(
    pipeline: SavePipeline,
    bodies: Sequence[Any],
    *,
    first_index: int = 0,
    pointers: Sequence[str] | None = None,
) -> ResolvedLookups:
    """Turn lookup keys of `bodies` into ids: `account.code` and names become `account`.

    A value that names no record, or several, is a problem at the lookup field
    (`/<index>/account`, or under the body's own entry of `pointers`); the body is left
    without that field. Ids are left to the pipeline, which checks that they exist.
    """
    obj = pipeline.obj
    fields = pipeline.fields
    lookups = {
        name
        for name, compiled in obj.fields.items()
        if compiled.state.definition.type in REFERENCE_TYPES
    }
    resolved = ResolvedLookups(bodies=list(bodies), problems=[[] for _ in bodies])
    wanted: list[_Wanted] = []
    parsed: dict[str, LookupKey | KeyProblem] = {}

    def read(key: str, raw: Any) -> LookupKey | KeyProblem | None:
        if key in lookups:
            target = pipeline.catalog.objects[obj.fields[key].state.definition.target or ""]
            return LookupKey(lookup=key, by=_plain_match(raw, target, fields.on(target)))
        if not is_lookup_key(key):
            return None
        if key not in parsed:
            try:
                parsed[key] = parse_lookup_key(pipeline.catalog, obj, key, fields)
            except KeyProblem as problem:
                parsed[key] = problem
        return parsed[key]

    for index, body in enumerate(bodies):
        if not isinstance(body, Mapping) or not any(
            key in lookups or is_lookup_key(key) for key in body
        ):
            continue
        pipeline.context.budget.checkpoint()
        pointer = f"/{first_index + index}" if pointers is None else pointers[index]
        problems = resolved.problems[index]
        copy = dict(body)
        given: dict[str, str] = {}
        for key, raw in body.items():
            found = read(key, raw)
            if found is None:
                continue
            if isinstance(found, KeyProblem):
                del copy[key]
                problems.append(Problem(f"{pointer}/{key}", found.code, found.message))
                continue
            lookup = found.lookup
            # Absent when an earlier key repeated this lookup and took it out of the body.
            copy.pop(key, None)
            if lookup in given:
                copy.pop(lookup, None)
                problems.append(
                    Problem(
                        f"{pointer}/{lookup}",
                        "repeated-key",
                        f"{lookup!r} is given twice ({given[lookup]!r} and {key!r}); give it once",
                    )
                )
                continue
            given[lookup] = key
            if raw is None or (pipeline.from_text and raw == "") or found.by == "id":
                copy[lookup] = raw  # the pipeline coerces ids and checks they exist
                continue
            wanted.append(
                _Wanted(
                    index=index,
                    pointer=f"{pointer}/{lookup}",
                    lookup=lookup,
                    key=key,
                    by=found.by,
                    raw=raw,
                )
            )
        resolved.bodies[index] = copy
    _find(pipeline, wanted, resolved, fields)
    return resolved


def _plain_match(raw: Any, target: CompiledObject, access: ObjectAccess) -> str:
    """How a plain lookup value is matched: as an id when it is one (or is no text), else
    against the field that names the target's records (`engine/catalog/display_names.py`;
    an empty name when it has none, or when it is one the writer, `access`, may not read:
    the answer is then the same as for a target without one)."""
    if not isinstance(raw, str):
        return "id"
    try:
        coerce_record_id(raw)
    except ValueProblem:
        name = target.name_field
        return name if name is not None and known_field(target, access, name) else ""
    return "id"


def _find(
    pipeline: SavePipeline, wanted: list[_Wanted], resolved: ResolvedLookups, fields: FieldAccess
) -> None:
    """Match every wanted value with one query per (lookup, target field); set the ids.

    Hints name only the target fields the caller (`fields`) may query.
    """
    groups: dict[tuple[str, str], list[_Wanted]] = defaultdict(list)
    for item in wanted:
        groups[(item.lookup, item.by)].append(item)
    for (lookup, by), items in groups.items():
        target = pipeline.catalog.objects[pipeline.obj.fields[lookup].state.definition.target or ""]
        compiled = target.fields.get(by)
        if compiled is None or compiled.state.definition.type in _UNMATCHABLE:
            for item in items:
                resolved.problems[item.index].append(
                    _no_name_field(item, target, fields.on(target))
                )
            continue
        definition = comparable_definition(compiled.state.definition)
        values: dict[int, Any] = {}
        for position, item in enumerate(items):
            try:
                values[position] = coerce_value(definition, item.raw, from_text=pipeline.from_text)
            except ValueProblem as problem:
                resolved.problems[item.index].append(
                    Problem(item.pointer, problem.code, f"{item.key}: {problem.message}")
                )
        matches = _matches(pipeline, target, compiled.column, set(values.values()))
        for position, value in values.items():
            item = items[position]
            ids = matches.get(value, [])
            if len(ids) == 1:
                resolved.bodies[item.index][lookup] = str(ids[0])
                continue
            resolved.problems[item.index].append(
                _unmatched(item, target, len(ids), fields.on(target))
            )


def _matches(
    pipeline: SavePipeline, target: CompiledObject, column: Any, values: set[Any]
) -> dict[Any, list[UUID]]:
    """The ids of the records of `target` (inside the scope) holding each of `values`."""
    found: dict[Any, list[UUID]] = defaultdict(list)
    ordered = sorted(values, key=repr)
    visible = pipeline.scope.predicate(target, target.table)
    for start in range(0, len(ordered), _QUERY_SIZE):
        query = select(column, target.table.c.id).where(
            column.in_(ordered[start : start + _QUERY_SIZE])
        )
        if visible is not None:
            query = query.where(visible)
        for value, record_id in pipeline.connection.execute(query):
            found[value].append(record_id)
    return found


def _unmatched(item: _Wanted, target: CompiledObject, count: int, access: ObjectAccess) -> Problem:
    name = target.state.api_name
    if count == 0:
        return Problem(
            item.pointer,
            "unknown-record",
            f"no {name} record has {item.by} {item.raw!r}",
        )
    unique = [
        f"{item.lookup}.{field}"
        for field in matching_fields(target, access)
        if field != target.name_field or target.fields[field].state.definition.unique
    ]
    return Problem(
        item.pointer,
        "ambiguous-record",
        f"{count} {name} records have {item.by} {item.raw!r}; name one by its id "
        f"or by a unique field ({', '.join(unique)})",
    )


def _no_name_field(item: _Wanted, target: CompiledObject, access: ObjectAccess) -> Problem:
    unique = [f"{item.lookup}.{field}" for field in matching_fields(target, access)]
    return Problem(
        item.pointer,
        "invalid-id",
        f"{item.raw!r} is not an id, and {target.state.api_name!r} has no field that names "
        f"its records to match it with; give the record's id, or a key such as "
        f"{', '.join(unique)}",
    )
