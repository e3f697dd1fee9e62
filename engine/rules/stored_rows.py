"""Read stored records as the expressions see them: values keyed by field api name."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from engine.catalog import SYSTEM_COLUMNS, CompiledObject

_CHUNK = 500


def load_rows(
    connection: Connection, obj: CompiledObject, ids: Collection[UUID], *, lock: bool = False
) -> dict[UUID, dict[str, Any]]:
    """Return the stored values of the records `ids` by id; `lock` takes their row locks.

    Rows are locked in id order, so two saves touching the same records cannot deadlock.
    The lock is FOR NO KEY UPDATE (ids never change), which does not wait for the key
    share locks that foreign-key checks of children take on their parents.
    """
    names = _api_names(obj)
    ordered = sorted(ids)
    found: dict[UUID, dict[str, Any]] = {}
    for start in range(0, len(ordered), _CHUNK):
        query = (
            select(obj.table)
            .where(obj.table.c.id.in_(ordered[start : start + _CHUNK]))
            .order_by(obj.table.c.id)
        )
        if lock and connection.dialect.name == "postgresql":
            query = query.with_for_update(key_share=True)
        for row in connection.execute(query).mappings():
            found[row["id"]] = {names[key]: value for key, value in row.items() if key in names}
    return found


def load_rows_where(
    connection: Connection, obj: CompiledObject, condition: ColumnElement[bool], *, lock: bool
) -> dict[UUID, dict[str, Any]]:
    """Like `load_rows`, for the records `condition` (on the object's table) selects."""
    names = _api_names(obj)
    query = select(obj.table).where(condition).order_by(obj.table.c.id)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update(key_share=True)
    return {
        row["id"]: {names[key]: value for key, value in row.items() if key in names}
        for row in connection.execute(query).mappings()
    }


def lock_rows(connection: Connection, obj: CompiledObject, ids: Collection[UUID]) -> None:
    """Take the row locks of `ids` in id order (PostgreSQL; SQLite writers are serialized).

    FOR NO KEY UPDATE, like `load_rows`: children's foreign-key checks do not block it.
    """
    if connection.dialect.name != "postgresql":
        return
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        connection.execute(
            select(obj.table.c.id)
            .where(obj.table.c.id.in_(ordered[start : start + _CHUNK]))
            .order_by(obj.table.c.id)
            .with_for_update(key_share=True)
        ).all()


def first_rows(connection: Connection, obj: CompiledObject, limit: int) -> list[dict[str, Any]]:
    """The first `limit` records of `obj` in id order, values keyed by field api name."""
    names = _api_names(obj)
    query = select(obj.table).order_by(obj.table.c.id).limit(limit)
    return [
        {names[key]: value for key, value in row.items() if key in names}
        for row in connection.execute(query).mappings()
    ]


def _api_names(obj: CompiledObject) -> dict[str, str]:
    """Field api name (or system column) by column name."""
    names = {compiled.column.name: name for name, compiled in obj.fields.items()}
    names.update({column: column for column in SYSTEM_COLUMNS})
    return names
