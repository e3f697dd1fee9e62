"""The one table of system columns every object table has, and who writes each.

Catalog tables, input parsing, record output, JSON Schema, filters and expressions all
read this table, so a system column is described once: its database type, the field
type its values are compared as, the expression kind, its JSON Schema, and its writer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import BigInteger, Column, String, Uuid
from sqlalchemy.types import TypeEngine

from engine.expressions import Kind
from metadata.models import FieldDef, FieldType
from metadata.store import UtcDateTime

#: The longest actor a `created_by`/`updated_by` column holds (`key:<id>`, `user:<uuid>`).
ACTOR_LENGTH = 255


class WrittenBy(StrEnum):
    """Who writes a system column."""

    #: The engine, once, when the record is created.
    ENGINE_ON_CREATE = "engine on create"
    #: The engine, on every write (cascaded recomputes included).
    ENGINE_ON_WRITE = "engine on every write"
    #: The caller, like a field (`owner_id`).
    CALLER = "caller"


@dataclass(frozen=True)
class SystemColumn:
    """One system column.

    Attributes:
        name: the column name, which is also its key in records, filters and expressions.
        column_type: the SQLAlchemy type of the column.
        field_type: the field type its values are coerced and compared as (filters, sorts).
        kind: what an expression reading it gets.
        json_schema: the JSON Schema of its value in a record the API returns.
        written_by: who writes it.
        is_nullable: whether the column accepts NULL.
        render: turns a stored value (never None: a blank stays None) into its JSON
            value; None when the stored value is its JSON value.
    """

    name: str
    column_type: Callable[[], TypeEngine[Any]]
    field_type: FieldType
    kind: Kind
    json_schema: Mapping[str, Any]
    written_by: WrittenBy
    is_nullable: bool
    render: Callable[[Any], Any] | None

    @property
    def is_writable(self) -> bool:
        """Whether a caller may send a value for it."""
        return self.written_by is WrittenBy.CALLER

    def column(self) -> Column[Any]:
        """A fresh `Column` for a table."""
        return Column(
            self.name,
            self.column_type(),
            primary_key=self.name == "id",
            nullable=self.is_nullable,
        )

    def definition(self) -> FieldDef:
        """The field definition its values are coerced with in filters and sorts."""
        return FieldDef(api_name=self.name, type=self.field_type)


_UUID = MappingProxyType({"type": "string", "format": "uuid"})
_MOMENT = MappingProxyType({"type": "string", "format": "date-time"})


def _nullable(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType({"anyOf": [dict(schema), {"type": "null"}]})


def _actor_type() -> TypeEngine[Any]:
    return String(ACTOR_LENGTH)


#: Every system column, in the order of the table's columns.
SYSTEM_COLUMN_TABLE: tuple[SystemColumn, ...] = (
    SystemColumn(
        "id", Uuid, FieldType.LOOKUP, Kind.ID, _UUID, WrittenBy.ENGINE_ON_CREATE, False, str
    ),
    SystemColumn(
        "created_at",
        UtcDateTime,
        FieldType.DATETIME,
        Kind.DATETIME,
        _MOMENT,
        WrittenBy.ENGINE_ON_CREATE,
        False,
        datetime.isoformat,
    ),
    SystemColumn(
        "updated_at",
        UtcDateTime,
        FieldType.DATETIME,
        Kind.DATETIME,
        _MOMENT,
        WrittenBy.ENGINE_ON_WRITE,
        False,
        datetime.isoformat,
    ),
    SystemColumn(
        "created_by",
        _actor_type,
        FieldType.TEXT,
        Kind.TEXT,
        _nullable({"type": "string"}),
        WrittenBy.ENGINE_ON_CREATE,
        True,
        None,
    ),
    SystemColumn(
        "updated_by",
        _actor_type,
        FieldType.TEXT,
        Kind.TEXT,
        _nullable({"type": "string"}),
        WrittenBy.ENGINE_ON_WRITE,
        True,
        None,
    ),
    SystemColumn(
        "owner_id", Uuid, FieldType.LOOKUP, Kind.ID, _nullable(_UUID), WrittenBy.CALLER, True, str
    ),
    SystemColumn(
        "version",
        BigInteger,
        FieldType.INTEGER,
        Kind.NUMBER,
        MappingProxyType({"type": "integer", "minimum": 1}),
        WrittenBy.ENGINE_ON_WRITE,
        False,
        None,
    ),
)

#: System column names, in table order.
SYSTEM_COLUMNS: tuple[str, ...] = tuple(column.name for column in SYSTEM_COLUMN_TABLE)

#: System columns by name.
SYSTEM_COLUMNS_BY_NAME: Mapping[str, SystemColumn] = MappingProxyType(
    {column.name: column for column in SYSTEM_COLUMN_TABLE}
)

#: The order system keys take in records and exports: identity and version first.
SYSTEM_KEYS: tuple[str, ...] = (
    "id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "owner_id",
)
assert sorted(SYSTEM_KEYS) == sorted(SYSTEM_COLUMNS), "SYSTEM_KEYS orders the same columns"

#: System keys a caller may send; the others are maintained by Tessera.
WRITABLE_SYSTEM_KEYS = frozenset(
    column.name for column in SYSTEM_COLUMN_TABLE if column.is_writable
)
READ_ONLY_SYSTEM_KEYS = frozenset(
    column.name for column in SYSTEM_COLUMN_TABLE if not column.is_writable
)


def system_columns() -> list[Column[Any]]:
    """The columns every object table has, in order."""
    return [column.column() for column in SYSTEM_COLUMN_TABLE]


def creation_stamp(*, now: Any, actor: str) -> dict[str, Any]:
    """The system values the engine writes on a new row (the caller adds `id`)."""
    return {
        "version": 1,
        "created_at": now,
        "created_by": actor,
        **update_stamp(now=now, actor=actor),
    }


def update_stamp(*, now: Any, actor: Any) -> dict[str, Any]:
    """The system values the engine writes on every update (besides the version bump).

    `now` and `actor` are values, or bound parameters standing for them in a statement
    built once and run many times.
    """
    return {"updated_at": now, "updated_by": actor}
