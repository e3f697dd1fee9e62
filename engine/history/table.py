"""The `_field_history` table every tenant keeps in its own schema.

Tenant tables are named after objects, whose api names start with a letter: a name
starting with `_` never clashes with one. Rows are keyed by the stable ids of the object
and the field, so renames keep a field's history; a deleted record keeps its rows, and
purging a field or object deletes them (`drop_purged_history`).
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    false,
)
from sqlalchemy.engine import Connection

from engine.catalog.column_types import json_type
from metadata.store.utc_datetime import UtcDateTime

#: The table's name in every tenant schema.
HISTORY_TABLE = "_field_history"


@lru_cache(maxsize=256)
def history_table(schema: str) -> Table:
    """The field history table of the tenant schema `schema`.

    Columns: `id` (increasing: newest first is descending id), the `object_id`,
    `record_id` and `field_id` changed, the `old_value` and `new_value` as JSON (as the
    API renders them), the `actor` (a user id), `at`, the `channel` the write came in
    through (`engine.context.Channel`), the `origin` of the write (`WriteOrigin`), and
    `erased` once a privacy erasure cleared the values.
    """
    table = Table(
        HISTORY_TABLE,
        MetaData(schema=schema),
        # SQLite increments only an INTEGER primary key.
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("object_id", Uuid, nullable=False),
        Column("record_id", Uuid, nullable=False),
        Column("field_id", Uuid, nullable=False),
        Column("old_value", json_type()),
        Column("new_value", json_type()),
        Column("actor", String(255)),
        Column("at", UtcDateTime, nullable=False),
        Column("channel", String(32), nullable=False),
        Column("origin", String(32), nullable=False),
        Column("erased", Boolean, nullable=False, server_default=false()),
    )
    # A record's history, newest first; a purged field's rows (an object's: its fields').
    Index("ix__field_history_record", table.c.record_id, table.c.id)
    Index("ix__field_history_field", table.c.field_id)
    return table


def create_history_table(connection: Connection, schema: str) -> None:
    """Create the field history table (and its indexes) in `schema`, if it is not there."""
    history_table(schema).create(connection, checkfirst=True)
