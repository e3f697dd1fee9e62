"""Write field history: one row per change of a tracked field, in the save's transaction.

Stage 9 of the save pipeline (`engine/records/after_write.py`) hands every written record
here as well as to the after-write hooks. Field history is part of the engine, not a
hook someone registers: it is on for every tenant, and listens only to objects with
tracked fields, so saving any other object costs nothing more (no read of the record
before, no statement after).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledField, CompiledObject
from engine.context import RequestContext
from engine.extensions import WrittenRecord
from engine.history.table import history_table


def json_value(compiled: CompiledField, value: Any) -> Any:
    """A stored value as the API renders it (and history keeps it): JSON-ready."""
    if value is None or compiled.render is None:
        return value
    return compiled.render(value)


@dataclass(frozen=True)
class _TrackedObject:
    """An object with tracked fields: its id and those fields, compiled."""

    object_id: UUID
    fields: Mapping[str, CompiledField]


@dataclass(frozen=True)
class FieldHistory:
    """The field history writer of one catalog: which objects' fields it tracks, and where.

    Built once per catalog revision (`of`); None where nothing is tracked.
    """

    table: Table
    tracked: Mapping[str, _TrackedObject]

    @classmethod
    def of(cls, catalog: Catalog) -> FieldHistory | None:
        """The writer of `catalog`'s tracked fields, or None when it tracks none."""
        return catalog.statements.get_or_build(("field-history",), lambda: cls._build(catalog))

    @classmethod
    def _build(cls, catalog: Catalog) -> FieldHistory | None:
        tracked = {
            name: _TrackedObject(
                object_id=obj.state.id,
                fields={field: obj.fields[field] for field in sorted(obj.tracked_fields)},
            )
            for name, obj in catalog.objects.items()
            if obj.tracked_fields
        }
        if not tracked:
            return None
        return cls(table=history_table(catalog.metadata_state.schema_name), tracked=tracked)

    def tracks(self, obj: CompiledObject, fields: Collection[str] | None = None) -> bool:
        """Whether a write of `fields` of `obj` (None: any of its fields) may need a row."""
        if not obj.tracked_fields:
            return False
        return fields is None or not obj.tracked_fields.isdisjoint(fields)

    def record(
        self,
        connection: Connection,
        context: RequestContext,
        records: Sequence[WrittenRecord],
        *,
        at: datetime,
    ) -> int:
        """Write the rows of every tracked field that `records` changed; return how many.

        A created record gets a row for each tracked field given a value (its old value
        is null); an updated one for each tracked field whose value changed; a deleted
        record none (its rows stay). Every row says `at`, when the save happened.
        """
        rows = list(self._rows(context, records, at=at))
        if rows:
            connection.execute(insert(self.table), rows)
        return len(rows)

    def _rows(
        self, context: RequestContext, records: Sequence[WrittenRecord], *, at: datetime
    ) -> Iterator[dict[str, Any]]:
        for record in records:
            tracked = self.tracked.get(record.object)
            if tracked is None or record.after is None:
                continue
            before = record.before or {}
            for name, compiled in tracked.fields.items():
                if record.before is None:
                    if record.after.get(name) is None:
                        continue
                elif name not in record.changed:
                    continue
                old = json_value(compiled, before.get(name))
                new = json_value(compiled, record.after.get(name))
                if old == new:
                    continue
                yield {
                    "object_id": tracked.object_id,
                    "record_id": record.record_id,
                    "field_id": compiled.state.id,
                    "old_value": old,
                    "new_value": new,
                    "actor": context.actor,
                    "at": at,
                    "channel": context.channel.value,
                    "origin": record.origin.value,
                    "erased": False,
                }
