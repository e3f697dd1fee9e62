"""The column slots a table has used up: PostgreSQL counts its dropped columns too.

PostgreSQL gives each column of a table the next attribute number and never hands a
number out again: a dropped column keeps its slot (`pg_attribute.attisdropped`), and a
table can have no column numbered past 1,600 (`MaxHeapAttributeNumber`). A table whose
fields were purged and added again many times can thus refuse a new column although it
has few live ones; only a new table starts numbering afresh. The planner rebuilds such a
table when a change would add past the limit (`plan_schema_change(column_slots=...)`).

SQLite rewrites a table when it drops a column, so it keeps no slots behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: Attribute numbers a PostgreSQL table has (`MaxHeapAttributeNumber`), dropped columns'
#: included; read each time slots are measured, so a test can lower it.
POSTGRESQL_COLUMN_SLOTS = 1600

_SLOTS = text(
    "SELECT c.relname AS table_name, c.relnatts AS used, "
    "(SELECT count(*) FROM pg_catalog.pg_attribute AS a "
    "WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attisdropped) AS dropped "
    "FROM pg_catalog.pg_class AS c "
    "JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace "
    "WHERE n.nspname = :schema AND c.relkind = 'r'"
)


@dataclass(frozen=True)
class ColumnSlots:
    """The column slots of one table.

    Attributes:
        used: slots taken, by live and dropped columns (the next column gets `used + 1`).
        dropped: slots taken by dropped columns, which only a rebuild gives back.
        limit: the slots a table has.
    """

    used: int
    dropped: int
    limit: int

    def can_add(self, columns: int) -> bool:
        """Whether `columns` more columns fit without a rebuild."""
        return self.used + columns <= self.limit


def measure_column_slots(connection: Connection, schema: str) -> dict[str, ColumnSlots]:
    """Return the column slots of each table in `schema`, by table name.

    Empty on SQLite, whose tables keep no slots for dropped columns.
    """
    if connection.dialect.name != "postgresql":
        return {}
    return {
        row.table_name: ColumnSlots(
            used=row.used, dropped=row.dropped, limit=POSTGRESQL_COLUMN_SLOTS
        )
        for row in connection.execute(_SLOTS, {"schema": schema})
    }
