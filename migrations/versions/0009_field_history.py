"""Field history: every existing tenant gets its `_field_history` table; the audit log an index.

New tenants get the table from the engine as they are created (`create_tenant`); this
revision makes it in the schema of every tenant that exists already, with the same
columns and indexes (`engine/history/table.py` describes them). Tenant tables are built
by the engine, not by Alembic, so this revision walks the tenants itself, as revision
0006 does:

- PostgreSQL: in each tenant's schema, one tenant per transaction of its own (one
  transaction over every tenant's schema would run out of PostgreSQL's lock slots past
  a few hundred tenants).
- SQLite: in each tenant's own database file (`<main file>.tenants/<schema>.db`), made if
  the tenant never had a table. SQLite refuses ATTACH inside the migration's transaction,
  so each file is changed and committed on a connection of its own; creating the table
  only where it is missing makes running the upgrade again harmless.

The audit log gets an index on (tenant, id): `GET /admin/audit` pages it newest first.

Revision ID: 0009
Revises: 0008
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.pool import NullPool

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_SQLITE_BUSY_TIMEOUT_SECONDS = 30
_TABLE = "_field_history"
_AUDIT_INDEX = "ix_tessera_audit_log_tenant_id_id"


def _history_table(schema: str | None) -> sa.Table:
    """The table as revision 0009 makes it (a copy: a migration never follows later code)."""
    json_type = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    table = sa.Table(
        _TABLE,
        sa.MetaData(schema=schema),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("object_id", sa.Uuid, nullable=False),
        sa.Column("record_id", sa.Uuid, nullable=False),
        sa.Column("field_id", sa.Uuid, nullable=False),
        sa.Column("old_value", json_type),
        sa.Column("new_value", json_type),
        sa.Column("actor", sa.String(255)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("erased", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    sa.Index("ix__field_history_record", table.c.record_id, table.c.id)
    sa.Index("ix__field_history_field", table.c.field_id)
    return table


def _postgresql_schemas(connection: sa.Connection) -> list[str]:
    """The schemas of the tenants (a tenant's schema is made with it: one that is gone is
    a tenant dropped by hand, which gets no table)."""
    return list(
        connection.execute(
            sa.text(
                "SELECT t.schema_name FROM tessera_tenants AS t "
                "JOIN information_schema.schemata AS s ON s.schema_name = t.schema_name "
                "ORDER BY t.schema_name"
            )
        ).scalars()
    )


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("tessera_audit_log") as batch:
        batch.create_index(_AUDIT_INDEX, ["tenant_id", "id"])
    if connection.dialect.name == "postgresql":
        for schema in _postgresql_schemas(connection):
            # One transaction per tenant: the table is made only where it is missing, so
            # a run that fails half way is harmless to run again.
            with connection.engine.begin() as tenant:
                _history_table(schema).create(tenant, checkfirst=True)
        return
    schemas = list(connection.execute(sa.text("SELECT schema_name FROM tessera_tenants")).scalars())
    database = connection.engine.url.database
    if not database or database == ":memory:":
        return
    main = Path(database).resolve()
    directory = main.with_name(main.name + ".tenants")
    directory.mkdir(parents=True, exist_ok=True)
    for schema in schemas:
        tenant_engine = sa.create_engine(
            sa.URL.create("sqlite", database=str(directory / f"{schema}.db")),
            poolclass=NullPool,
            connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        try:
            with tenant_engine.begin() as tenant:
                # In its own file, the tenant's tables are in `main`.
                _history_table(None).create(tenant, checkfirst=True)
        finally:
            tenant_engine.dispose()


def downgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("tessera_audit_log") as batch:
        batch.drop_index(_AUDIT_INDEX)
    if connection.dialect.name == "postgresql":
        for schema in _postgresql_schemas(connection):
            _history_table(schema).drop(connection, checkfirst=True)
        return
    schemas = list(connection.execute(sa.text("SELECT schema_name FROM tessera_tenants")).scalars())
    database = connection.engine.url.database
    if not database or database == ":memory:":
        return
    main = Path(database).resolve()
    directory = main.with_name(main.name + ".tenants")
    for schema in schemas:
        path = directory / f"{schema}.db"
        if not path.is_file():
            continue
        tenant_engine = sa.create_engine(
            sa.URL.create("sqlite", database=str(path)), poolclass=NullPool
        )
        try:
            with tenant_engine.begin() as tenant:
                _history_table(None).drop(tenant, checkfirst=True)
        finally:
            tenant_engine.dispose()
