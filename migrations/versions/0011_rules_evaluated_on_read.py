"""Sharing rules and principals store no rows: the read predicate derives them.

Until this revision a sharing rule kept a row in `_access_shares` per record matching its
filter (`cause` = `rule:<rule id>`), rewritten on every save of the object, and
`_access_members` held the principals each user counts as. The read predicate now checks
the rules' filters on the records themselves and takes the caller's principals from its
user and the metadata (docs/sharing.md), so the rule rows are deleted (manual shares
stay), `_access_members` is dropped, and so is the index on `cause` that only the rules'
recomputation read.

One transaction per tenant, as revision 0010 makes its tables (its docstring says why);
deleting what is already gone does nothing, so the revision may run again. A tenant
without the sharing tables (a PostgreSQL schema gone, a SQLite file never made) is left
as it is. Downgrading makes `_access_members` and the index again, with each active user's
own row (as revision 0010 filled it: manual shares to users are seen again at once); under
the older engine, the next change of users or metadata brings back the rest of the
members, and saving each sharing rule again brings back its rows.

Revision ID: 0011
Revises: 0010
"""

import uuid
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

tenants = sa.table("tessera_tenants", sa.column("id", sa.Uuid), sa.column("schema_name", sa.String))
users = sa.table(
    "tessera_users",
    sa.column("id", sa.Uuid),
    sa.column("tenant_id", sa.Uuid),
    sa.column("active", sa.Boolean),
)


def _shares(schema: str | None) -> sa.Table:
    shares = sa.Table(
        "_access_shares",
        sa.MetaData(),
        sa.Column("object_id", sa.Uuid),
        sa.Column("cause", sa.String(64)),
        schema=schema,
    )
    sa.Index("ix__access_shares_cause", shares.c.cause, shares.c.object_id)
    return shares


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


def _upgrade_tenant(tenant: sa.Connection, schema: str | None, user_ids: list[uuid.UUID]) -> None:
    inspector = sa.inspect(tenant)
    if inspector.has_table("_access_shares", schema=schema):
        shares = _shares(schema)
        tenant.execute(sa.delete(shares).where(shares.c.cause != _MANUAL))
        indexes = {index["name"] for index in inspector.get_indexes("_access_shares", schema)}
        if "ix__access_shares_cause" in indexes:
            next(iter(shares.indexes)).drop(tenant)
    if inspector.has_table("_access_members", schema=schema):
        _members(schema).drop(tenant)


def _downgrade_tenant(tenant: sa.Connection, schema: str | None, user_ids: list[uuid.UUID]) -> None:
    inspector = sa.inspect(tenant)
    if not inspector.has_table("_access_shares", schema=schema):
        return
    indexes = {index["name"] for index in inspector.get_indexes("_access_shares", schema)}
    if "ix__access_shares_cause" not in indexes:
        next(iter(_shares(schema).indexes)).create(tenant)
    if inspector.has_table("_access_members", schema=schema):
        return
    members = _members(schema)
    members.create(tenant)
    if user_ids:
        tenant.execute(
            sa.insert(members), [{"user_id": u, "group_key": f"user:{u}"} for u in user_ids]
        )


def upgrade() -> None:
    _each_tenant(_upgrade_tenant)


def downgrade() -> None:
    _each_tenant(_downgrade_tenant)


def _each_tenant(
    change: Callable[[sa.Connection, str | None, list[uuid.UUID]], None],
) -> None:
    """Run `change` on each tenant in a transaction of its own, with its active users."""
    connection = op.get_bind()
    active: dict[uuid.UUID, list[uuid.UUID]] = {}
    for user_id, tenant_id in connection.execute(
        sa.select(users.c.id, users.c.tenant_id).where(users.c.active.is_(True))
    ).all():
        active.setdefault(tenant_id, []).append(user_id)
    rows = connection.execute(sa.select(tenants.c.id, tenants.c.schema_name)).all()
    if connection.dialect.name == "postgresql":
        for tenant_id, schema in rows:
            with connection.engine.begin() as tenant:
                change(tenant, schema, active.get(tenant_id, []))
        return
    database = connection.engine.url.database
    if not database or database == ":memory:":
        return
    directory = Path(database).resolve()
    directory = directory.with_name(directory.name + ".tenants")
    for tenant_id, schema in rows:
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
                change(tenant, None, active.get(tenant_id, []))
        finally:
            tenant_engine.dispose()
