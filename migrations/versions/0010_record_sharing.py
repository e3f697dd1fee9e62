"""Record sharing: every tenant schema gets the sharing tables, filled for its users.

`_access_members`, `_access_owners` and `_access_shares` (docs/sharing.md) are tenant
tables the engine creates with each new tenant; this revision creates them in the
schemas of existing tenants, with each active user's own rows (a user counts as itself
and sees what it owns). Tenants made before users had only their admin user, with no
role, group or partner account, so that is their whole closure; later changes of users
and metadata keep it up to date.

Tenant tables are built by the engine, not by Alembic, so this revision walks the
tenants itself, one transaction per tenant, whether or not the rest of the upgrade
commits (the revision is idempotent: running it again creates what is missing): on
PostgreSQL, one transaction making a few tables and indexes in every schema would hold a
lock on each of them until it ends, past `max_locks_per_transaction` with a few hundred
tenants; on SQLite each tenant's file is its own database anyway (created for a tenant
that never had a table). A PostgreSQL tenant whose schema is gone is left as it is.

Revision ID: 0010
Revises: 0009
"""

import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.pool import NullPool

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SQLITE_BUSY_TIMEOUT_SECONDS = 30
_KEY = 64
_ACCESS = 16

tenants = sa.table(
    "tessera_tenants",
    sa.column("id", sa.Uuid),
    sa.column("schema_name", sa.String),
)
users = sa.table(
    "tessera_users",
    sa.column("id", sa.Uuid),
    sa.column("tenant_id", sa.Uuid),
    sa.column("active", sa.Boolean),
)


def _tables(schema: str | None) -> sa.MetaData:
    """The sharing tables as the engine makes them (engine/access/sharing_tables.py)."""
    metadata = sa.MetaData()
    members = sa.Table(
        "_access_members",
        metadata,
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("group_key", sa.String(_KEY), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "group_key", name="pk__access_members"),
        schema=schema,
    )
    sa.Index("ix__access_members_group_key", members.c.group_key)
    sa.Table(
        "_access_owners",
        metadata,
        sa.Column("viewer_id", sa.Uuid, nullable=False),
        sa.Column("owner_id", sa.Uuid, nullable=False),
        sa.Column("access", sa.String(_ACCESS), nullable=False),
        sa.PrimaryKeyConstraint("viewer_id", "owner_id", name="pk__access_owners"),
        schema=schema,
    )
    shares = sa.Table(
        "_access_shares",
        metadata,
        sa.Column("object_id", sa.Uuid, nullable=False),
        sa.Column("record_id", sa.Uuid, nullable=False),
        sa.Column("grantee", sa.String(_KEY), nullable=False),
        sa.Column("access", sa.String(_ACCESS), nullable=False),
        sa.Column("cause", sa.String(_KEY), nullable=False),
        sa.PrimaryKeyConstraint(
            "object_id", "record_id", "grantee", "cause", name="pk__access_shares"
        ),
        schema=schema,
    )
    sa.Index("ix__access_shares_grantee", shares.c.grantee, shares.c.object_id, shares.c.record_id)
    sa.Index("ix__access_shares_cause", shares.c.cause, shares.c.object_id)
    return metadata


def _fill(tenant: sa.Connection, metadata: sa.MetaData, user_ids: list[uuid.UUID]) -> None:
    """Create the tables (if missing) and give each user its own rows (if missing)."""
    metadata.create_all(tenant, checkfirst=True)
    by_name = {table.name: table for table in metadata.sorted_tables}
    members, owners = by_name["_access_members"], by_name["_access_owners"]
    stored = set(tenant.execute(sa.select(owners.c.viewer_id)).scalars())
    missing = [user_id for user_id in user_ids if user_id not in stored]
    if not missing:
        return
    tenant.execute(sa.insert(members), [{"user_id": u, "group_key": f"user:{u}"} for u in missing])
    tenant.execute(
        sa.insert(owners),
        [{"viewer_id": u, "owner_id": u, "access": "read_write"} for u in missing],
    )


def upgrade() -> None:
    connection = op.get_bind()
    by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
    for user_id, tenant_id in connection.execute(
        sa.select(users.c.id, users.c.tenant_id).where(users.c.active.is_(True))
    ).all():
        by_tenant.setdefault(tenant_id, []).append(user_id)
    schemas = connection.execute(sa.select(tenants.c.id, tenants.c.schema_name)).all()
    if connection.dialect.name == "postgresql":
        existing = _postgresql_schemas(connection)
        for tenant_id, schema in schemas:
            if schema in existing:
                with connection.engine.begin() as tenant:
                    _fill(tenant, _tables(schema), by_tenant.get(tenant_id, []))
        return
    database = connection.engine.url.database
    if not database or database == ":memory:":
        return
    directory = Path(database).resolve()
    directory = directory.with_name(directory.name + ".tenants")
    for tenant_id, schema in schemas:
        directory.mkdir(parents=True, exist_ok=True)
        tenant_engine = sa.create_engine(
            sa.URL.create("sqlite", database=str(directory / f"{schema}.db")),
            poolclass=NullPool,
            connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        try:
            with tenant_engine.begin() as tenant:
                _fill(tenant, _tables(None), by_tenant.get(tenant_id, []))
        finally:
            tenant_engine.dispose()


def _postgresql_schemas(connection: sa.Connection) -> set[str]:
    query = sa.text("SELECT schema_name FROM information_schema.schemata")
    return set(connection.execute(query).scalars())


def downgrade() -> None:
    connection = op.get_bind()
    schemas = connection.execute(sa.select(tenants.c.schema_name)).scalars().all()
    if connection.dialect.name == "postgresql":
        existing = _postgresql_schemas(connection)
        for schema in schemas:
            if schema in existing:
                with connection.engine.begin() as tenant:
                    _tables(schema).drop_all(tenant, checkfirst=True)
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
            sa.URL.create("sqlite", database=str(path)), poolclass=NullPool
        )
        try:
            with tenant_engine.begin() as tenant:
                _tables(None).drop_all(tenant, checkfirst=True)
        finally:
            tenant_engine.dispose()
