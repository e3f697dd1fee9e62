"""Store the actor in `created_by`/`updated_by` of existing tenant tables.

Tenant tables are built by the engine from metadata, not by Alembic, so this revision
walks the tenants' schemas itself. `created_by` and `updated_by` were UUID columns that
nothing wrote; they now hold the actor of the write (`key:<id>`), as text.

On PostgreSQL each such column (deleted tables included: they keep system columns) is
altered in place, one tenant per transaction of its own, committed whether or not the
rest of the upgrade commits (as later revisions walking tenant tables do): the
migration's own transaction then holds no lock on a tenant table, which the later
revisions' tenant transactions would wait for in vain when one upgrade runs them all.
Only columns still of type uuid are altered, so running the upgrade again after a
failure alters what is left. SQLite needs nothing: the columns were declared `CHAR(32)`, SQLite
stores text in them as it is, and a table rebuild recreates them with the new type.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _uuid_actor_columns(connection: sa.Connection) -> list[tuple[str, str, str]]:
    return [
        (row.table_schema, row.table_name, row.column_name)
        for row in connection.execute(
            sa.text(
                "SELECT c.table_schema, c.table_name, c.column_name "
                "FROM information_schema.columns AS c "
                "JOIN tessera_tenants AS t ON t.schema_name = c.table_schema "
                "WHERE c.column_name IN ('created_by', 'updated_by') AND c.data_type = 'uuid' "
                "ORDER BY c.table_schema, c.table_name, c.column_name"
            )
        )
    ]


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    preparer = connection.dialect.identifier_preparer
    by_schema: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column in _uuid_actor_columns(connection):
        by_schema.setdefault(schema, []).append((table, column))
    for schema, columns in by_schema.items():
        with connection.engine.begin() as tenant:
            for table, column in columns:
                name = preparer.quote(column)
                tenant.execute(
                    sa.text(
                        f"ALTER TABLE {preparer.quote_schema(schema)}.{preparer.quote(table)} "
                        f"ALTER COLUMN {name} TYPE VARCHAR(255) USING {name}::text"
                    )
                )


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    preparer = connection.dialect.identifier_preparer
    rows = connection.execute(
        sa.text(
            "SELECT c.table_schema, c.table_name, c.column_name "
            "FROM information_schema.columns AS c "
            "JOIN tessera_tenants AS t ON t.schema_name = c.table_schema "
            "WHERE c.column_name IN ('created_by', 'updated_by') "
            "AND c.data_type = 'character varying'"
        )
    ).all()
    for schema, table, column in rows:
        name = preparer.quote(column)
        # Actors are not UUIDs: going back loses them.
        connection.execute(
            sa.text(
                f"ALTER TABLE {preparer.quote_schema(schema)}.{preparer.quote(table)} "
                f"ALTER COLUMN {name} TYPE UUID USING NULL"
            )
        )
