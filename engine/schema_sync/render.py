"""Turn schema operations into DDL through Alembic's operations API.

The same function drives a live connection (apply) and Alembic's offline mode (the SQL
of a dry run), so the statements shown are the statements run.
"""

from __future__ import annotations

import functools
from typing import Any

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, Table, insert, select, table, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex as CreateIndexDDL
from sqlalchemy.schema import CreateTable as CreateTableDDL

from engine.schema_sync import ops as schema_ops
from engine.schema_sync.extras_ddl import analyze, rename_constraint, restore_extras
from engine.schema_sync.ops import SchemaOp
from engine.schema_sync.table_extras import MAX_IDENTIFIER_LENGTH, REBUILD_PREFIX
from engine.search import (
    create_index_statements,
    drop_index_statements,
    enable_extension_statements,
)


def live_operations(connection: Connection) -> Operations:
    """Alembic operations that execute on `connection` (inside its transaction)."""
    return Operations(MigrationContext.configure(connection=connection))


class _StatementBuffer:
    """Collects the statements Alembic writes in offline mode, one per write."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def write(self, text: str) -> None:
        statement = text.strip()
        if statement:
            self.statements.append(statement)

    def flush(self) -> None:
        return None


def render_sql(ops: tuple[SchemaOp, ...], *, dialect: str) -> list[str]:
    """Return the SQL statements `ops` run on `dialect`, without a connection."""
    buffer = _StatementBuffer()
    context = MigrationContext.configure(
        dialect_name=dialect,
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True},
        # Without bind parameters nothing escapes `%`: the statements show as they run.
        dialect_opts={"paramstyle": "named"},
    )
    operations = Operations(context)
    for op in ops:
        render_op(op, operations)
    return buffer.statements


@functools.singledispatch
def render_op(op: Any, operations: Operations) -> None:
    """Emit the DDL of one operation through `operations`."""
    raise TypeError(f"no renderer for {type(op).__name__}")


@render_op.register
def _(op: schema_ops.CreateTable, operations: Operations) -> None:
    operations.execute(CreateTableDDL(op.table))


@render_op.register
def _(op: schema_ops.DropTable, operations: Operations) -> None:
    operations.drop_table(op.table_name, schema=op.schema)


@render_op.register
def _(op: schema_ops.RenameTable, operations: Operations) -> None:
    operations.rename_table(op.old_name, op.new_name, schema=op.schema)


@render_op.register
def _(op: schema_ops.AddColumn, operations: Operations) -> None:
    operations.add_column(op.table_name, op.column, schema=op.schema)


@render_op.register
def _(op: schema_ops.RenameColumn, operations: Operations) -> None:
    operations.alter_column(
        op.table_name, op.old_name, new_column_name=op.new_name, schema=op.schema
    )


@render_op.register
def _(op: schema_ops.DropColumn, operations: Operations) -> None:
    operations.drop_column(op.table_name, op.column_name, schema=op.schema)


@render_op.register
def _(op: schema_ops.AlterColumnType, operations: Operations) -> None:
    # SQLAlchemy leaves the psycopg dialect's __init__ unannotated.
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    using = op.using.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    operations.alter_column(
        op.table_name,
        op.column_name,
        type_=op.new_type,
        postgresql_using=str(using),
        schema=op.schema,
    )


@render_op.register
def _(op: schema_ops.SetNullable, operations: Operations) -> None:
    operations.alter_column(op.table_name, op.column_name, nullable=op.nullable, schema=op.schema)


@render_op.register
def _(op: schema_ops.FillColumn, operations: Operations) -> None:
    column = op.table.c[op.column_name]
    operations.execute(update(op.table).where(column.is_(None)).values({column: op.value}))


@render_op.register
def _(op: schema_ops.CreateIndex, operations: Operations) -> None:
    operations.execute(CreateIndexDDL(op.index))


@render_op.register
def _(op: schema_ops.DropIndex, operations: Operations) -> None:
    operations.drop_index(op.name, table_name=op.table_name, schema=op.schema)


@render_op.register
def _(op: schema_ops.AddForeignKey, operations: Operations) -> None:
    operations.create_foreign_key(
        op.name,
        op.table_name,
        op.target_table,
        [op.column_name],
        ["id"],
        ondelete=op.on_delete,
        source_schema=op.schema,
        referent_schema=op.schema,
    )


@render_op.register
def _(op: schema_ops.DropForeignKey, operations: Operations) -> None:
    operations.drop_constraint(op.name, op.table_name, type_="foreignkey", schema=op.schema)


@render_op.register
def _(op: schema_ops.RebuildTable, operations: Operations) -> None:
    schema = op.new_table.schema
    temporary = _rebuild_table(op)
    names = [name for name, _ in op.values]
    source = table(op.old_table_name, schema=schema)
    copy = select(*(value.label(name) for name, value in op.values)).select_from(source)
    operations.execute(CreateTableDDL(temporary))
    operations.execute(insert(temporary).from_select(names, copy))
    operations.drop_table(op.old_table_name, schema=schema)
    operations.rename_table(temporary.name, op.new_table.name, schema=schema)
    if op.primary_key_name is not None:
        operations.execute(
            rename_constraint(
                schema=str(schema),
                table=op.new_table.name,
                old=_scratch_primary_key_name(op),
                new=op.primary_key_name,
                dialect=operations.migration_context.dialect,
            )
        )
    for index in sorted(op.new_table.indexes, key=lambda index: str(index.name)):
        operations.execute(CreateIndexDDL(index))


@render_op.register
def _(op: schema_ops.RestoreTableExtras, operations: Operations) -> None:
    for statement in restore_extras(
        op.extras,
        schema=op.schema,
        table=op.table_name,
        dialect=operations.migration_context.dialect,
    ):
        operations.execute(statement)


@render_op.register
def _(op: schema_ops.AnalyzeTable, operations: Operations) -> None:
    operations.execute(
        analyze(schema=op.schema, table=op.table_name, dialect=operations.migration_context.dialect)
    )


@render_op.register
def _(op: schema_ops.CreateSearchIndex, operations: Operations) -> None:
    dialect = operations.migration_context.dialect.name
    for statement in create_index_statements(op.index, dialect=dialect, support=op.support):
        operations.execute(statement)


@render_op.register
def _(op: schema_ops.DropSearchIndex, operations: Operations) -> None:
    dialect = operations.migration_context.dialect.name
    for statement in drop_index_statements(op.index, dialect=dialect):
        operations.execute(statement)


@render_op.register
def _(op: schema_ops.EnableSearchExtension, operations: Operations) -> None:
    dialect = operations.migration_context.dialect.name
    for statement in enable_extension_statements(op.support, dialect=dialect):
        operations.execute(statement)


def _scratch_name(op: schema_ops.RebuildTable) -> str:
    return (REBUILD_PREFIX + op.new_table.name)[:MAX_IDENTIFIER_LENGTH]


def _scratch_primary_key_name(op: schema_ops.RebuildTable) -> str:
    """The primary key's name while the old table holds its own (`_pk`, which no name that
    PostgreSQL chose for an earlier rebuild's key, `…_pkey`, ends with)."""
    return (REBUILD_PREFIX + op.new_table.name)[: MAX_IDENTIFIER_LENGTH - len("_pk")] + "_pk"


def _rebuild_table(op: schema_ops.RebuildTable) -> Table:
    """The table a rebuild copies the rows into, under a name of its own and without indexes."""
    name = _scratch_name(op)
    scratch = MetaData()
    if not op.has_inline_foreign_keys:
        primary_key = (
            []
            if op.primary_key_name is None
            else [
                PrimaryKeyConstraint(
                    *(column.name for column in op.new_table.primary_key.columns),
                    name=_scratch_primary_key_name(op),
                )
            ]
        )
        return Table(
            name,
            scratch,
            *(
                Column(
                    column.name,
                    column.type,
                    primary_key=column.primary_key and op.primary_key_name is None,
                    nullable=column.nullable,
                )
                for column in op.new_table.columns
            ),
            *primary_key,
            schema=op.new_table.schema,
        )
    # The foreign keys name the other tables: copy them too, so the keys resolve.
    for other in op.new_table.metadata.tables.values():
        other.to_metadata(scratch)
    temporary = op.new_table.to_metadata(scratch, name=name)
    temporary.indexes.clear()
    return temporary
