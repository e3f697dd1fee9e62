"""Check references before a write, and explain the constraint a failed write broke."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.errors import Conflict, Problem
from metadata.models import REFERENCE_TYPES, OnDelete


def check_references(
    connection: Connection,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    values: Mapping[str, Any],
    verified: Collection[str] = (),
) -> list[Problem]:
    """Return a problem for each lookup value that names no record of its target.

    Lookups in `verified` were already found (reading their path values) and are skipped.
    """
    problems = []
    for name, value in values.items():
        compiled = obj.fields.get(name)
        if (
            value is None
            or name in verified
            or compiled is None
            or compiled.state.definition.type not in REFERENCE_TYPES
        ):
            continue
        target = catalog.objects[compiled.state.definition.target or ""]
        found = connection.execute(
            select(target.table.c.id).where(target.table.c.id == value)
        ).first()
        if found is None:
            problems.append(
                Problem(
                    f"/{name}",
                    "unknown-record",
                    f"there is no {target.state.api_name} record {str(value)!r}",
                )
            )
    return problems


def explain_integrity_error(
    connection: Connection,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    values: Mapping[str, Any],
    record_id: UUID | None = None,
    deleting: bool = False,
) -> Conflict:
    """Return the Conflict that names what a failed write clashed with (after rollback)."""
    if deleting and record_id is not None:
        blockers = _restricting_references(
            connection, catalog=catalog, obj=obj, record_id=record_id
        )
        if blockers:
            listed = ", ".join(f"{count} {where}" for where, count in blockers)
            return Conflict(
                f"the record is still referenced ({listed}); "
                "delete or re-point those records first",
                extra={
                    "referenced_by": [
                        {"field": where, "records": count} for where, count in blockers
                    ]
                },
            )
    for name, value in values.items():
        compiled = obj.fields.get(name)
        if value is None or compiled is None or not compiled.state.definition.unique:
            continue
        column = compiled.column
        query = select(obj.table.c.id).where(column == value)
        if record_id is not None:
            query = query.where(obj.table.c.id != record_id)
        clash = connection.execute(query.limit(1)).scalar_one_or_none()
        if clash is not None:
            return Conflict(
                f"{name!r} must be unique: record {clash} already has this value",
                problems=[
                    Problem(f"/{name}", "not-unique", f"record {clash} already has this value")
                ],
                extra={"field": name, "conflicting_record_id": str(clash)},
            )
    return Conflict("the write breaks a database constraint; reload the record and try again")


def _restricting_references(
    connection: Connection, *, catalog: Catalog, obj: CompiledObject, record_id: UUID
) -> list[tuple[str, int]]:
    blockers = []
    for other in catalog.objects.values():
        for name, compiled in other.fields.items():
            definition = compiled.state.definition
            if definition.type not in REFERENCE_TYPES or definition.target != obj.state.api_name:
                continue
            if definition.on_delete is not OnDelete.RESTRICT:
                continue
            count = connection.execute(
                select(func.count()).select_from(other.table).where(compiled.column == record_id)
            ).scalar_one()
            if count:
                blockers.append((f"{other.state.api_name}.{name}", int(count)))
    return blockers
