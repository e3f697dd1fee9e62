"""Check references before a write, and explain the constraint a failed write broke."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, true
from sqlalchemy.engine import Connection

from engine.access import Rights
from engine.catalog import Catalog, CompiledObject
from engine.errors import Conflict, Problem
from engine.query import ObjectAccess, QueryScope
from engine.rules.evaluate import RecordSave
from metadata.models import REFERENCE_TYPES, FieldType, ObjectRight, OnDelete

_CHUNK = 500
#: What a clash says when the record holding the value is one the caller may not see.
TAKEN = "the value is already taken"


@dataclass(frozen=True)
class _Owner:
    """The stored record holding a unique value, and whether the caller may see it."""

    record_id: UUID
    visible: bool

    def detail(self) -> str:
        """Name the record only to a caller who may see it: a hidden one stays hidden."""
        return f"record {self.record_id} already has this value" if self.visible else TAKEN


def check_references(
    connection: Connection,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    saves: Sequence[RecordSave],
    scope: QueryScope,
) -> dict[UUID, list[Problem]]:
    """Return, by record id, a problem for each lookup value that names no record.

    A record the caller's scope does not show is no record to them (`unknown-record`);
    a master-detail value set or changed must name a master the caller may edit
    (`read-only-record`): a detail goes only under a master its writer may change. One
    query per lookup field for the whole batch (per 500 values). Lookups a save already
    `verified` (reading their path values found the target) are not looked up again when
    the scope shows every row.
    """
    problems: dict[UUID, list[Problem]] = {}
    for name, compiled in obj.fields.items():
        definition = compiled.state.definition
        if definition.type not in REFERENCE_TYPES:
            continue
        target = catalog.objects[definition.target or ""]
        table = target.table
        visible = scope.predicate(target, table)
        editable = (
            scope.edit_predicate(target, table)
            if definition.type is FieldType.MASTER_DETAIL
            else None
        )
        is_scoped = visible is not None or editable is not None
        wanted = {
            save.values[name]
            for save in saves
            if save.values.get(name) is not None and (is_scoped or name not in save.verified)
        }
        if not wanted:
            continue
        ordered = list(wanted)
        found: set[Any] = set()
        read_only: set[Any] = set()
        for start in range(0, len(ordered), _CHUNK):
            columns: list[Any] = [table.c.id]
            if editable is not None:
                columns.append(editable)
            query = select(*columns).where(table.c.id.in_(ordered[start : start + _CHUNK]))
            if visible is not None:
                query = query.where(visible)
            for row in connection.execute(query):
                found.add(row[0])
                if editable is not None and not row[1]:
                    read_only.add(row[0])
        for save in saves:
            value = save.values.get(name)
            if value is None or value not in wanted:
                continue
            if value not in found:
                problems.setdefault(save.record_id, []).append(
                    Problem(
                        f"{save.pointer}/{name}",
                        "unknown-record",
                        f"there is no {target.state.api_name} record {value}",
                    )
                )
            elif value in read_only and (save.is_new or save.prior.get(name) != value):
                problems.setdefault(save.record_id, []).append(
                    Problem(
                        f"{save.pointer}/{name}",
                        "read-only-record",
                        f"you may read {target.state.api_name} record {value} but not change "
                        f"it, so no {obj.state.api_name} record can go under it",
                    )
                )
    return problems


def unique_clashes(
    connection: Connection,
    *,
    obj: CompiledObject,
    saves: Sequence[RecordSave],
    scope: QueryScope,
    access: ObjectAccess,
) -> list[Problem]:
    """Name each unique value that `saves` repeat among themselves or share with a stored row.

    A stored record is named only when `scope` shows it; otherwise the value is taken. A
    field the writer (`access`) may not read is not named (`_hidden_clash`).
    Used after the database refused a write (outside the failed statement: after a
    rollback or a rolled-back savepoint), to say which value clashed with which record.
    """
    problems: list[Problem] = []
    for name, compiled in obj.fields.items():
        if not compiled.state.definition.unique:
            continue
        owners: dict[Any, str] = {}
        for save in saves:
            value = save.values.get(name)
            if value is None:
                continue
            if value in owners:
                problems.append(
                    Problem(
                        f"{save.pointer}/{name}",
                        "not-unique",
                        f"record {owners[value]} of this batch has the same value",
                    )
                    if access.can_read(name)
                    else _hidden_clash(obj, save)
                )
            owners.setdefault(value, save.pointer.strip("/"))
        stored = _stored_owners(
            connection, obj=obj, column=compiled.column, values=owners, scope=scope
        )
        for save in saves:
            clash = stored.get(save.values.get(name))
            if clash is not None and clash.record_id != save.record_id:
                problems.append(
                    Problem(f"{save.pointer}/{name}", "not-unique", clash.detail())
                    if access.can_read(name)
                    else _hidden_clash(obj, save)
                )
    return problems


def _hidden_clash(obj: CompiledObject, save: RecordSave) -> Problem:
    """A clash on a field the writer may not read (a default or formula filled it): on
    the record, naming neither the field nor the record holding the value."""
    return Problem(
        save.pointer,
        "not-unique",
        f"a unique field of {obj.state.api_name!r} that you may not read would repeat a "
        "value another record holds; ask an administrator",
    )


def explain_refused_record(
    connection: Connection,
    *,
    obj: CompiledObject,
    save: RecordSave,
    scope: QueryScope,
    access: ObjectAccess,
) -> Conflict:
    """Return the Conflict that names the stored record one refused record clashed with.

    The record is named (`conflicting_record_id`) only when `scope` shows it, the field
    only when the writer (`access`) may read it.
    """
    for name, compiled in obj.fields.items():
        value = save.values.get(name)
        if value is None or not compiled.state.definition.unique:
            continue
        clash = _stored_owners(
            connection, obj=obj, column=compiled.column, values=[value], scope=scope
        ).get(value)
        if clash is not None and clash.record_id != save.record_id:
            if not access.can_read(name):
                hidden = _hidden_clash(obj, save)
                return Conflict(hidden.detail, problems=[hidden])
            detail = clash.detail()
            extra: dict[str, Any] = {"field": name}
            if clash.visible:
                extra["conflicting_record_id"] = str(clash.record_id)
            return Conflict(
                f"{name!r} must be unique: {detail}",
                problems=[Problem(f"{save.pointer}/{name}", "not-unique", detail)],
                extra=extra,
            )
    return Conflict("the write breaks a database constraint; reload the record and try again")


def _stored_owners(
    connection: Connection,
    *,
    obj: CompiledObject,
    column: Any,
    values: Iterable[Any],
    scope: QueryScope,
) -> dict[Any, _Owner]:
    """The stored records holding `values` in a unique column, by value.

    Every holder is found (the value is taken whoever holds it), each marked with whether
    the caller's scope shows it.
    """
    ordered = list(values)
    visible = scope.predicate(obj, obj.table)
    shown = true() if visible is None else visible
    owners: dict[Any, _Owner] = {}
    for start in range(0, len(ordered), _CHUNK):
        rows = connection.execute(
            select(column, obj.table.c.id, shown).where(column.in_(ordered[start : start + _CHUNK]))
        )
        owners.update({row[0]: _Owner(row[1], bool(row[2])) for row in rows})
    return owners


def explain_refused_delete(
    connection: Connection,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    record_id: UUID,
    scope: QueryScope,
    rights: Rights,
) -> Conflict:
    """Return the Conflict that names the records a refused deletion is still used by.

    Only objects the caller may read are named, and only records their scope shows are
    counted: a deletion blocked by records the caller cannot see gets a message that
    names none of them.
    """
    blockers = _restricting_references(
        connection, catalog=catalog, obj=obj, record_id=record_id, scope=scope, rights=rights
    )
    if not blockers:
        return Conflict(
            "the record is still referenced by other records; "
            "ask an administrator to delete or re-point them first"
        )
    listed = ", ".join(f"{count} {where}" for where, count in blockers)
    return Conflict(
        f"the record is still referenced ({listed}); delete or re-point those records first",
        extra={"referenced_by": [{"field": where, "records": count} for where, count in blockers]},
    )


def _restricting_references(
    connection: Connection,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    record_id: UUID,
    scope: QueryScope,
    rights: Rights,
) -> list[tuple[str, int]]:
    """The restricting lookups to the record the caller may see, with the records they see."""
    blockers = []
    for other in catalog.objects.values():
        if not rights.can(other.state.api_name, ObjectRight.READ):
            continue
        visible = scope.predicate(other, other.table)
        for name, compiled in other.fields.items():
            definition = compiled.state.definition
            if definition.type not in REFERENCE_TYPES or definition.target != obj.state.api_name:
                continue
            if definition.on_delete is not OnDelete.RESTRICT:
                continue
            if not rights.can_read_field(other.state.api_name, name):
                continue
            query = (
                select(func.count()).select_from(other.table).where(compiled.column == record_id)
            )
            if visible is not None:
                query = query.where(visible)
            count = connection.execute(query).scalar_one()
            if count:
                blockers.append((f"{other.state.api_name}.{name}", int(count)))
    return blockers
