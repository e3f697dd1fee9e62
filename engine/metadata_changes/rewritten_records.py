"""Records whose stored values a metadata change rewrites in place, without a save.

A forced conversion empties the values that do not convert, and a default fills the
empty values of a field made required (or restored as required): the DDL rewrites those
rows. Each gets a new version like any changed record; when an after-write hook listens
(or field history tracks a rewritten field), their values are read before the DDL and
after it, so stage 9 sees each one with the fields that changed. Otherwise nothing is
read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Table, or_, select, update
from sqlalchemy.engine import Connection

from engine.catalog import SYSTEM_COLUMNS, Catalog, CompiledObject, update_stamp
from engine.records.after_write import AfterWrite
from engine.rules.cascade import RecordChange
from engine.rules.stored_rows import load_rows
from engine.schema_sync import SchemaPlan, ValuesRewritten


@dataclass(frozen=True)
class _Rewrite:
    """The rows of one object the change rewrites, and the fields it rewrites in them."""

    table: Table
    predicate: ColumnElement[bool]
    fields: frozenset[str]


@dataclass
class RewrittenRecords:
    """The rows a plan rewrites (`SchemaPlan.rewrites`), by object of the new metadata.

    Attributes:
        rewrites: per object, the rows (old table, before the DDL) and the fields.
        before: per object, the rewritten records' values before the change, keyed by
            the new metadata's field names; read only for the after-write hooks.
    """

    rewrites: dict[str, _Rewrite]
    before: dict[str, dict[UUID, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, plan: SchemaPlan) -> RewrittenRecords:
        """Group the plan's rewrites by object: one statement each, whatever the fields."""
        grouped: dict[str, list[ValuesRewritten]] = {}
        for rewrite in plan.rewrites:
            grouped.setdefault(rewrite.object_name, []).append(rewrite)
        return cls(
            {
                name: _Rewrite(
                    table=found[0].table,
                    predicate=or_(*(rewrite.predicate for rewrite in found)),
                    fields=frozenset(rewrite.field_name for rewrite in found),
                )
                for name, found in grouped.items()
            }
        )

    def read_before(
        self, connection: Connection, *, old: Catalog, new: Catalog, hooks: AfterWrite
    ) -> None:
        """Read the rows about to be rewritten as the metadata before the change sees them,
        for the objects whose rewritten fields `hooks` listen to.

        Run before the DDL; the values are keyed by the field names after the change,
        so they compare with the values read afterwards.
        """
        by_table = {obj.table.name: obj for obj in old.objects.values()}
        for name, rewrite in self.rewrites.items():
            previous = by_table.get(rewrite.table.name)
            current = new.objects.get(name)
            if previous is None or current is None:
                continue
            if not hooks.listens_to(current, rewrite.fields):
                continue
            ids = list(
                connection.execute(select(rewrite.table.c.id).where(rewrite.predicate)).scalars()
            )
            renamed = _new_names(previous, current)
            self.before[name] = {
                record_id: {renamed[key]: value for key, value in values.items() if key in renamed}
                for record_id, values in load_rows(connection, previous, ids).items()
            }

    def move_versions(self, connection: Connection, *, now: Any, actor: str) -> None:
        """Give the rewritten rows a new version, `updated_at` and `updated_by`.

        Their stored values change, so a client holding the old version must get 412.
        Run before the DDL, which reads the rows by the same conditions.
        """
        for rewrite in self.rewrites.values():
            table = rewrite.table
            connection.execute(
                update(table)
                .where(rewrite.predicate)
                .values(version=table.c.version + 1, **update_stamp(now=now, actor=actor))
            )

    def report(self, connection: Connection, catalog: Catalog, hooks: AfterWrite) -> None:
        """Hand the rewritten records to `hooks`, read again after the DDL."""
        for name, before in self.before.items():
            obj = catalog.objects[name]
            after = load_rows(connection, obj, list(before))
            fields = self.rewrites[name].fields
            hooks.written(
                obj,
                [
                    RecordChange(
                        record_id,
                        before=values,
                        after=after[record_id],
                        changed=frozenset(
                            f for f in fields if values.get(f) != after[record_id].get(f)
                        ),
                    )
                    for record_id, values in before.items()
                    if record_id in after
                ],
            )


def _new_names(old: CompiledObject, new: CompiledObject) -> Mapping[str, str]:
    """The new api name of each field of `old` that `new` still has (a rename moves it)."""
    by_id = {compiled.state.id: name for name, compiled in new.fields.items()}
    names = {
        name: by_id[compiled.state.id]
        for name, compiled in old.fields.items()
        if compiled.state.id in by_id
    }
    names.update({column: column for column in SYSTEM_COLUMNS})
    return names
