"""Schema operations: small immutable descriptions of one change each, with no I/O.

The planner orders them; the renderer turns each into DDL through Alembic's operations
API, online (applied) or offline (the dry-run SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Index, Table
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from engine.schema_sync.table_extras import TableExtras
from engine.search import SearchIndex, SearchSupport


@dataclass(frozen=True, eq=False)
class CreateTable:
    """Create an object's table with its system columns, fields and indexes."""

    table: Table

    def describe(self) -> str:
        return f"create table {self.table.name}"


@dataclass(frozen=True, eq=False)
class DropTable:
    """Drop a purged object's table and its data."""

    schema: str
    table_name: str

    def describe(self) -> str:
        return f"drop table {self.table_name}"


@dataclass(frozen=True, eq=False)
class RenameTable:
    """Rename an object's table (object rename, delete or restore)."""

    schema: str
    old_name: str
    new_name: str

    def describe(self) -> str:
        return f"rename table {self.old_name} to {self.new_name}"


@dataclass(frozen=True, eq=False)
class AddColumn:
    """Add a field's column, nullable (NOT NULL, if wanted, comes after any backfill)."""

    schema: str
    table_name: str
    column: Column[Any]

    def describe(self) -> str:
        return f"add column {self.table_name}.{self.column.name}"


@dataclass(frozen=True, eq=False)
class RenameColumn:
    """Rename a field's column; its data stays."""

    schema: str
    table_name: str
    old_name: str
    new_name: str

    def describe(self) -> str:
        return f"rename column {self.table_name}.{self.old_name} to {self.new_name}"


@dataclass(frozen=True, eq=False)
class DropColumn:
    """Drop a purged field's column and its data."""

    schema: str
    table_name: str
    column_name: str

    def describe(self) -> str:
        return f"drop column {self.table_name}.{self.column_name}"


@dataclass(frozen=True, eq=False)
class AlterColumnType:
    """Change a column's type in place, converting each value with `using` (PostgreSQL)."""

    schema: str
    table_name: str
    column_name: str
    new_type: TypeEngine[Any]
    using: ColumnElement[Any]

    def describe(self) -> str:
        return f"convert column {self.table_name}.{self.column_name}"


@dataclass(frozen=True, eq=False)
class SetNullable:
    """Add or drop NOT NULL on a column (PostgreSQL)."""

    schema: str
    table_name: str
    column_name: str
    nullable: bool

    def describe(self) -> str:
        state = "optional" if self.nullable else "required"
        return f"make column {self.table_name}.{self.column_name} {state}"


@dataclass(frozen=True, eq=False)
class FillColumn:
    """Set a value where a column is NULL (the default of a newly required field)."""

    schema: str
    table: Table
    column_name: str
    value: Any

    def describe(self) -> str:
        return f"fill empty {self.table.name}.{self.column_name} with the default"


@dataclass(frozen=True, eq=False)
class CreateIndex:
    """Create a plain or unique index."""

    index: Index

    def describe(self) -> str:
        kind = "unique index" if self.index.unique else "index"
        return f"create {kind} {self.index.name}"


@dataclass(frozen=True, eq=False)
class DropIndex:
    """Drop an index."""

    schema: str
    table_name: str
    name: str

    def describe(self) -> str:
        return f"drop index {self.name}"


@dataclass(frozen=True, eq=False)
class AddForeignKey:
    """Add a lookup's foreign key (PostgreSQL)."""

    schema: str
    table_name: str
    name: str
    column_name: str
    target_table: str
    on_delete: str

    def describe(self) -> str:
        return f"add foreign key {self.table_name}.{self.column_name} -> {self.target_table}"


@dataclass(frozen=True, eq=False)
class DropForeignKey:
    """Drop a lookup's foreign key (PostgreSQL)."""

    schema: str
    table_name: str
    name: str

    def describe(self) -> str:
        return f"drop foreign key {self.name}"


@dataclass(frozen=True, eq=False)
class RebuildTable:
    """Copy-and-swap: create the new table, copy converted rows, swap, re-index.

    SQLite cannot change a column's type, nullability or foreign keys in place, so the
    planner chooses this op for those changes (the procedure of SQLite's ALTER TABLE docs).
    On PostgreSQL the planner chooses it to give back the column slots of dropped columns
    (`column_slots.py`); there the new table is created without foreign keys
    (`has_inline_foreign_keys=False`) and the plan adds them as their own ops, which
    check them against the copied rows, and its primary key takes `primary_key_name`
    once the old table is gone (the name is free only then).
    """

    new_table: Table
    old_table_name: str
    values: tuple[tuple[str, ColumnElement[Any]], ...]
    has_inline_foreign_keys: bool = True
    #: Why the table is rebuilt, when it is not for the change itself (shown in the plan).
    reason: str = ""
    primary_key_name: str | None = None

    def describe(self) -> str:
        why = f" to {self.reason}" if self.reason else ""
        return f"rebuild table {self.new_table.name}{why}"


@dataclass(frozen=True, eq=False)
class RestoreTableExtras:
    """Give a rebuilt table what its old one had beyond Tessera's columns, keys and indexes."""

    schema: str
    table_name: str
    extras: TableExtras

    def describe(self) -> str:
        return f"carry over to table {self.table_name}: {', '.join(self.extras.parts())}"


@dataclass(frozen=True, eq=False)
class AnalyzeTable:
    """Gather a table's statistics (a rebuilt table starts with none)."""

    schema: str
    table_name: str

    def describe(self) -> str:
        return f"analyze table {self.table_name}"


@dataclass(frozen=True, eq=False)
class CreateSearchIndex:
    """Build an object's search index and index the rows its table has (`engine/search`)."""

    index: SearchIndex
    support: SearchSupport

    def describe(self) -> str:
        return f"create search index on {self.index.describe()}"


@dataclass(frozen=True, eq=False)
class DropSearchIndex:
    """Drop an object's search index (its records stay; global search stops finding them)."""

    index: SearchIndex

    def describe(self) -> str:
        return f"drop search index on {self.index.describe()}"


@dataclass(frozen=True, eq=False)
class EnableSearchExtension:
    """Enable PostgreSQL's `pg_trgm`, which the first search index of a database needs."""

    support: SearchSupport

    def describe(self) -> str:
        return "enable PostgreSQL extension pg_trgm (search indexes need it)"


SchemaOp = (
    CreateTable
    | DropTable
    | RenameTable
    | AddColumn
    | RenameColumn
    | DropColumn
    | AlterColumnType
    | SetNullable
    | FillColumn
    | CreateIndex
    | DropIndex
    | AddForeignKey
    | DropForeignKey
    | RebuildTable
    | RestoreTableExtras
    | AnalyzeTable
    | CreateSearchIndex
    | DropSearchIndex
    | EnableSearchExtension
)
