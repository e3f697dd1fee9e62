"""A null json value is SQL NULL in existing tenant tables, not the JSON text `null`.

json and multi-picklist fields used to store a null value as the JSON text `null`, which
`IS NULL` does not match: filters, counts, roll-up filters, required changes and default
fills took it for a value. New writes store SQL NULL; this revision rewrites the values
stored before in every JSON column of every tenant table, the tables of deleted objects
and the columns of deleted fields included (a restore brings them back). System columns
are never JSON, so only field columns change. Versions and `updated_at` stay: the API
read both spellings as null, so no client saw a value change.

Tenant tables are built by the engine from metadata, not by Alembic, so this revision
walks the tenants itself, one tenant per transaction of its own, committed whether or
not the rest of the upgrade commits (as revisions 0007, 0009 and 0010 do): one
transaction over every tenant's tables would hold a lock on each of them until it ends,
past PostgreSQL's `max_locks_per_transaction` with a few hundred tenants. A tenant is
rewritten whole or not at all; the tenants before one that fails stay rewritten, and
running the upgrade again rewrites the rest (a column that holds no JSON `null` any more
is left as it is, so the finished tenants cost one scan of their JSON columns each).
Tenants go in the order of their schema names.

- PostgreSQL: every jsonb column of the tenant's schema. A tenant whose schema is gone
  (dropped by hand) is skipped.
- SQLite: each tenant's tables live in a database file of its own beside the main one
  (`<main file>.tenants/<schema>.db`, as `engine/database/sqlite.py` lays them out); the
  JSON columns are those declared `JSON`. A tenant that never had a table has no file,
  and nothing to rewrite.

A column declared NOT NULL (a field made required while it held such values, which the
required change's check took for values) cannot take SQL NULL: its JSON nulls stay, and
a warning names the column and counts them. Stored roll-ups whose filter asks whether
such a field is empty counted them as values; `recalculate` brings them up to date.

Revision ID: 0006
Revises: 0005
"""

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.pool import NullPool

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)

#: How long a tenant file waits for another process's write lock (as the engine does).
_SQLITE_BUSY_TIMEOUT_SECONDS = 30

#: Every JSON column of one tenant's tables: jsonb in its schema (views aside).
_POSTGRESQL_COLUMNS = sa.text(
    "SELECT c.table_schema AS schema_name, c.table_name, c.column_name, "
    "c.is_nullable = 'YES' AS is_nullable "
    "FROM information_schema.columns AS c "
    "JOIN information_schema.tables AS t "
    "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
    "WHERE c.table_schema = :schema AND c.data_type = 'jsonb' AND t.table_type = 'BASE TABLE' "
    "ORDER BY c.table_name, c.ordinal_position"
)
#: Every JSON column of a tenant's own database file (its tables are in `main` there).
_SQLITE_COLUMNS = sa.text(
    "SELECT NULL AS schema_name, m.name AS table_name, p.name AS column_name, "
    'NOT p."notnull" AS is_nullable '
    "FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "AND upper(p.type) = 'JSON' "
    "ORDER BY m.name, p.cid"
)
_SCHEMAS = sa.text("SELECT schema_name FROM tessera_tenants ORDER BY schema_name")
_POSTGRESQL_SCHEMAS = sa.text("SELECT schema_name FROM information_schema.schemata")


def upgrade() -> None:
    connection = op.get_bind()
    schemas = list(connection.execute(_SCHEMAS).scalars())
    if connection.dialect.name == "postgresql":
        existing = set(connection.execute(_POSTGRESQL_SCHEMAS).scalars())
        for schema in schemas:
            if schema not in existing:
                continue
            with connection.engine.begin() as tenant:
                _clear_json_nulls(tenant, _POSTGRESQL_COLUMNS, {"schema": schema})
        return
    database = connection.engine.url.database
    if not database or database == ":memory:":
        return
    directory = Path(database).resolve()
    directory = directory.with_name(directory.name + ".tenants")
    for schema in schemas:
        path = directory / f"{schema}.db"
        if not path.is_file():
            continue  # a tenant that never had a table
        tenant_engine = sa.create_engine(
            sa.URL.create("sqlite", database=str(path)),
            poolclass=NullPool,
            connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        try:
            with tenant_engine.begin() as tenant:
                _clear_json_nulls(tenant, _SQLITE_COLUMNS, {})
        finally:
            tenant_engine.dispose()


def downgrade() -> None:
    # SQL NULL is what the JSON text `null` meant, and earlier versions read both as
    # null: there is nothing to put back.
    pass


def _clear_json_nulls(
    connection: sa.Connection, columns: sa.TextClause, parameters: dict[str, str]
) -> None:
    """Set each JSON `null` of the columns `columns` finds (with `parameters`) to SQL NULL.

    Identifiers are quoted; JSON `null` is spelt in the dialect's SQL.
    """
    json_null = "CAST('null' AS jsonb)" if connection.dialect.name == "postgresql" else "'null'"
    preparer = connection.dialect.identifier_preparer
    for found in connection.execute(columns, parameters).all():
        table = preparer.quote(found.table_name)
        if found.schema_name is not None:
            table = f"{preparer.quote_schema(found.schema_name)}.{table}"
        column = preparer.quote(found.column_name)
        if found.is_nullable:
            connection.execute(
                sa.text(f"UPDATE {table} SET {column} = NULL WHERE {column} = {json_null}")
            )
            continue
        left = connection.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE {column} = {json_null}")
        ).scalar_one()
        if left:
            logger.warning(
                "%d rows of %s keep a JSON null in %s: the column is NOT NULL",
                left,
                table,
                column,
            )
