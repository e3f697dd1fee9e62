"""Read one record's field history as the caller may see it: `GET /data/{object}/{id}/history`.

The caller needs read access to the object and to the record (their scope shows it); a
deleted record's history is shown to callers who may view all of the object's records.
The caller's field access (`caller_object`, as for the record itself) decides the rest:
fields they may not read are left out in the query itself, so pages stay full and
cursors right, and values of `pii` fields are masked for callers without view_pii.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.audit import decode_id_cursor, next_id_cursor
from engine.catalog import CompiledField, CompiledObject
from engine.context import RequestContext
from engine.errors import NotFound
from engine.history import history_table
from engine.query import ObjectAccess
from engine.records.object_rights import caller_object
from engine.records.permissions import caller_scope
from engine.records.service import parse_record_id, read_connection, read_record
from metadata.models import ObjectRight


@dataclass(frozen=True)
class HistoryReader:
    """Reads history rows of one object's records as one caller may see them: the fields
    they may read, the values of personal data masked without view_pii."""

    obj: CompiledObject
    access: ObjectAccess
    schema: str

    @property
    def fields(self) -> Mapping[UUID, CompiledField]:
        """The live fields whose history the caller may read, by field id."""
        return {
            compiled.state.id: compiled
            for name, compiled in self.obj.fields.items()
            if self.access.can_read(name)
        }

    def entries(
        self,
        connection: Connection,
        record_id: UUID,
        *,
        limit: int | None = None,
        before: int | None = None,
    ) -> list[dict[str, Any]]:
        """The record's history entries, newest first (`limit` of them, below id `before`)."""
        fields = self.fields
        if not fields:
            return []
        table = history_table(self.schema)
        query = (
            select(table)
            .where(
                table.c.object_id == self.obj.state.id,
                table.c.record_id == record_id,
                table.c.field_id.in_(list(fields)),
            )
            .order_by(table.c.id.desc())
        )
        if before is not None:
            query = query.where(table.c.id < before)
        if limit is not None:
            query = query.limit(limit)
        entries = []
        for row in connection.execute(query).mappings():
            name = fields[row["field_id"]].state.api_name
            old, new = row["old_value"], row["new_value"]
            mask = self.access.masks.get(name)
            if mask is not None:
                old, new = (
                    (None if old is None else mask(old)),
                    (None if new is None else mask(new)),
                )
            entries.append(
                {
                    "id": row["id"],
                    "at": row["at"].isoformat(),
                    "field": name,
                    "old_value": old,
                    "new_value": new,
                    "actor": row["actor"],
                    "channel": row["channel"],
                    "origin": row["origin"],
                    "erased": row["erased"],
                }
            )
        return entries


def record_history(
    context: RequestContext,
    object_name: str,
    record_id: str,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """One page of a record's field history, newest first: `{"data", "next_cursor"}`.

    Raises:
        NotFound: no such object (or one the caller may not read), or no record the
            caller may see (a deleted record's history needs view_all on the object).
        InvalidQuery: a cursor no page returned.
    """
    target = caller_object(context, object_name, ObjectRight.READ)
    obj = target.obj
    key = parse_record_id(obj, record_id)
    before = decode_id_cursor(cursor)
    reader = HistoryReader(obj=obj, access=target.access, schema=context.tenant.schema_name)
    with read_connection(context, target.catalog) as connection:
        is_visible = read_record(connection, obj, key, scope=caller_scope(context)) is not None
        if not is_visible and not target.access.can(ObjectRight.VIEW_ALL):
            raise NotFound(f"there is no {object_name} record {record_id!r}")
        entries = reader.entries(connection, key, limit=limit + 1, before=before)
    if not is_visible and not entries and before is None:
        raise NotFound(f"there is no {object_name} record {record_id!r}, nor any history of one")
    return {
        "data": entries[:limit],
        "next_cursor": next_id_cursor([entry["id"] for entry in entries], limit=limit),
    }
