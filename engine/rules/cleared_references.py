"""Lookups a deletion empties: `on_delete: set_null` references to the deleted records.

The database would empty them itself (ON DELETE SET NULL, kept as a safety net), but
behind the engine's back: the records would keep their version and stamps, no after-write
hook would see them, and what reads the lookup would go stale. So a deletion empties them
first, through `CascadeWrites`: each record gets a new version and the deleting user's
`updated_at` and `updated_by`, and stage 9 sees it with the origin `reference-cleared`.
Once the rows are gone, the cascade recomputes the records' formulas and what reads them
(roll-ups filtering on the lookup, formulas of other records reading through it).

Which lookups to look at comes from the compiled rules (`ObjectRules.cleared`) of the
deleted object and of every object whose records go along with it: deleting a record of
an object no such lookup targets costs nothing, and one that nothing points at costs one
index-backed statement per lookup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select

from engine.catalog import Catalog, CompiledObject
from engine.extensions import WriteOrigin
from engine.rules.cascade import Cascade
from engine.rules.cascade_writes import CascadeWrites
from engine.rules.detail_records import DetailRecords, detail_objects
from engine.rules.stored_rows import load_rows_where

_CHUNK = 500

#: Records a lookup may point at: their ids, or a query selecting them.
_Targets = Sequence[UUID] | Select[Any]


@dataclass(frozen=True)
class Deletion:
    """What one deletion removes.

    Attributes:
        obj: the object whose records are deleted.
        ids: the records deleted.
        query: a query of the records of `ids` that the deletion will really remove (its
            version and scope checks), so nothing is emptied when it removes none.
        details: the records that go along with them (master-detail), when they had to
            be found (see `needs_details`).
    """

    obj: CompiledObject
    ids: Sequence[UUID]
    query: Select[Any]
    details: Sequence[DetailRecords] = ()


@dataclass(frozen=True)
class ClearedRecords:
    """Records of one object whose lookups a deletion emptied: the emptied fields by id."""

    obj: CompiledObject
    fields: Mapping[UUID, frozenset[str]]


def needs_details(catalog: Catalog, obj: CompiledObject) -> bool:
    """Whether emptying what a deletion of `obj`'s records leaves dangling needs the records
    that go along with them: lookups may point at those, or they may hold such a lookup
    themselves (and must not be written, as they go too). From the rules, without a query.
    """
    details = detail_objects(catalog, obj)
    names = {other.state.api_name for other in details}
    return any(other.rules.cleared for other in details) or any(
        link.child in names for link in obj.rules.cleared
    )


def clear_references(
    writes: CascadeWrites, catalog: Catalog, deletion: Deletion
) -> list[ClearedRecords]:
    """Empty every lookup with `on_delete: set_null` that points at a deleted record.

    Run before the delete. Records the deletion removes are left alone, and a record
    whose lookups point at several deleted records gets one new version for all. Without
    an after-write hook it is one UPDATE … RETURNING per lookup (per 500 records that go
    along); with one, the records are read and locked first, so the hook gets their
    values before.
    """
    doomed: dict[str, set[UUID]] = {deletion.obj.state.api_name: set(deletion.ids)}
    reached: list[tuple[CompiledObject, list[_Targets]]] = [(deletion.obj, [deletion.query])]
    for group in deletion.details:
        doomed.setdefault(group.obj.state.api_name, set()).update(group.ids)
        chunks: list[_Targets] = [
            group.ids[start : start + _CHUNK] for start in range(0, len(group.ids), _CHUNK)
        ]
        reached.append((group.obj, chunks))
    # By referencing object, each lookup to empty with the records it may point at.
    wanted: dict[str, dict[str, list[_Targets]]] = {}
    for target, choices in reached:
        for link in target.rules.cleared:
            wanted.setdefault(link.child, {}).setdefault(link.field, []).extend(choices)
    cleared: list[ClearedRecords] = []
    for name, fields in wanted.items():
        obj = catalog.objects[name]
        sparing = doomed.get(name, set())
        if writes.listens_to(obj, fields) or len(fields) > 1 or len(sparing) > _CHUNK:
            found = _read_and_clear(writes, obj, fields, sparing)
        else:
            [(field, choices)] = fields.items()
            column = obj.fields[field].column
            found = {
                record_id: frozenset([field])
                for targets in choices
                for record_id in writes.clear(obj, field, column.in_(targets), sparing=sparing)
            }
        if found:
            cleared.append(ClearedRecords(obj, found))
    return cleared


def recompute_cleared(cascade: Cascade, cleared: Sequence[ClearedRecords]) -> None:
    """Once the deleted rows are gone, recompute the emptied records and what reads them.

    Their formulas (reading the lookup, or a path through it) are written without another
    version; roll-ups over them and formulas reading them through lookups follow.
    """
    for group in cleared:
        changed = {record_id: set(fields) for record_id, fields in group.fields.items()}
        cascade.recompute(group.obj, list(changed), changed=changed)


def _read_and_clear(
    writes: CascadeWrites,
    obj: CompiledObject,
    fields: Mapping[str, Sequence[_Targets]],
    sparing: set[UUID],
) -> dict[UUID, frozenset[str]]:
    """Find the records to empty, then write each once.

    A listener needs their values before: then the records are read whole (and locked).
    """
    connection = writes.connection
    found: dict[UUID, set[str]] = {}
    before: dict[UUID, dict[str, Any]] | None = {} if writes.listens_to(obj, fields) else None
    for field, choices in fields.items():
        column = obj.fields[field].column
        for targets in choices:
            condition = column.in_(targets)
            if before is None:
                ids = set(connection.execute(select(obj.table.c.id).where(condition)).scalars())
            else:
                rows = load_rows_where(connection, obj, condition, lock=True)
                before.update(rows)
                ids = set(rows)
            for record_id in ids - sparing:
                found.setdefault(record_id, set()).add(field)
    writes.update_many(
        obj,
        [(record_id, dict.fromkeys(names)) for record_id, names in found.items()],
        before=before,
        origin=WriteOrigin.REFERENCE_CLEARED,
    )
    return {record_id: frozenset(names) for record_id, names in found.items()}
