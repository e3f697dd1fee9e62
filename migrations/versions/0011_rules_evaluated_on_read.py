"""Sharing rules and principals store no rows: the read predicate derives them.

Until this revision a sharing rule kept a row in `_access_shares` per record matching its
filter (`cause` = `rule:<rule id>`), rewritten on every save of the object, and
`_access_members` held the principals each user counts as. The read predicate now checks
the rules' filters on the records themselves and takes the caller's principals from its
user and the metadata (docs/sharing.md), so the rule rows are deleted (manual shares
stay) and `_access_members` is dropped.

One transaction per tenant, as revision 0010 makes its tables (its docstring says why);
deleting what is already gone does nothing, so the revision may run again. A tenant
without the sharing tables (a PostgreSQL schema gone, a SQLite file never made) is left
as it is. Downgrading makes `_access_members` again, empty, and leaves the rules without
rows: under the older engine, the next change of users or metadata fills the members and
saving a rule again brings its rows back.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.pool import NullPool

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_SQLITE_BUSY_TIMEOUT_SECONDS = 30
_MANUAL = "manual"

tenants = sa.table("tessera_tenants", sa.column("schema_name", sa.String))


def _upgrade_tenant(tenant: sa.Connection, schema: str | None) -> None:
    inspector = sa.inspect(tenant)
    if inspector.has_table("_access_shares", schema=schema):
        shares = sa.table("_access_shares", sa.column("cause", sa.String), schema=schema)
        tenant.execute(sa.delete(shares).where(shares.c.cause != _MANUAL))
    if inspector.has_table("_access_members", schema=schema):
        _members(schema).drop(tenant)


def _downgrade_tenant(tenant: sa.Connection, schema: str | None) -> None:
    if sa.inspect(tenant).has_table("_access_shares", schema=schema):
        _members(schema).create(tenant, checkfirst=True)


def _members(schema: str | None) -> sa.Table:
    members = sa.Table(
        "_access_members",
        sa.MetaData(),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("group_key", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "group_key", name="pk__access_members"),
        schema=schema,
    )
    sa.Index("ix__access_members_group_key", members.c.group_key)
    return members


def upgrade() -> None:
    _each_tenant(_upgrade_tenant)


def downgrade() -> None:
    _each_tenant(_downgrade_tenant)


def _each_tenant(change: Callable[[sa.Connection, str | None], None]) -> None:
    connection = op.get_bind()
    schemas = connection.execute(sa.select(tenants.c.schema_name)).scalars().all()
    if connection.dialect.name == "postgresql":
        for schema in schemas:
            with connection.engine.begin() as tenant:
                change(tenant, schema)
        return
    database = connection.engine.url.database
    if not database or database == ":memory:":
        return
    directory = Path(database).resolve()
    directory = directory.with_name(directory.name + ".tenants")
    for schema in schemas:
        path = directory / f"{schema}.db"
        if not path.is_file():
            continue
        tenant_engine = sa.create_engine(
            sa.URL.create("sqlite", database=str(path)),
            poolclass=NullPool,
            connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        try:
            with tenant_engine.begin() as tenant:
                change(tenant, None)
        finally:
            tenant_engine.dispose()
