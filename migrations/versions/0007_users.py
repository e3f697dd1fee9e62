"""Users: every tenant gets its first admin user, and every API key becomes that user's key.

Adds the users, refresh-token, failed-login and audit-log tables, and `user_id` on API
keys. For each existing tenant it stores the `administrator` permission set (every right)
and an admin user (`admin@example.com`, no password: it acts through its keys until
one is set) who owns every existing key.

Records name real users from now on: `created_by` and `updated_by` written by a key
(`key:<id>`) or the command line (`cli`) become the admin user's id, and records with no
owner are owned by the admin user. Tenant tables are built by the engine, not by
Alembic, so this revision walks them itself, one tenant per transaction of its own (one
transaction over every tenant's tables would run out of PostgreSQL's lock slots past a
few hundred tenants). The admin user's id is derived from the tenant's id, so a run that
stamped some tenants and then failed stamps the same id when it runs again.

Revision ID: 0007
Revises: 0006
"""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.pool import NullPool

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ADMIN_EMAIL = "admin@example.com"
_SQLITE_BUSY_TIMEOUT_SECONDS = 30

_ADMINISTRATOR = {
    "api_name": "administrator",
    "label": "Administrator",
    "description": "Every right on every object, and every system right.",
    "objects": {
        "*": {
            "read": True,
            "create": True,
            "edit": True,
            "delete": True,
            "view_all": True,
            "modify_all": True,
        }
    },
    "fields": {},
    "system": ["customize", "manage_users", "view_pii", "install_bundles", "view_audit"],
}

tenants = sa.table(
    "tessera_tenants",
    sa.column("id", sa.Uuid),
    sa.column("schema_name", sa.String),
)
components = sa.table(
    "tessera_components",
    sa.column("id", sa.Uuid),
    sa.column("tenant_id", sa.Uuid),
    sa.column("object_id", sa.Uuid),
    sa.column("kind", sa.String),
    sa.column("position", sa.Integer),
    sa.column("api_name", sa.String),
    sa.column("definition", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
users = sa.table(
    "tessera_users",
    sa.column("id", sa.Uuid),
    sa.column("tenant_id", sa.Uuid),
    sa.column("email", sa.String),
    sa.column("name", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("permission_sets", sa.JSON),
    sa.column("credentials_changed_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
api_keys = sa.table(
    "tessera_api_keys",
    sa.column("tenant_id", sa.Uuid),
    sa.column("user_id", sa.Uuid),
)

#: Every table of a tenant's schema with an `owner_id` column (deleted objects' too).
_POSTGRESQL_TABLES = sa.text(
    "SELECT c.table_schema AS schema_name, c.table_name "
    "FROM information_schema.columns AS c "
    "JOIN information_schema.tables AS t "
    "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
    "WHERE c.table_schema = :schema AND c.column_name = 'owner_id' "
    "AND t.table_type = 'BASE TABLE' "
    "ORDER BY c.table_name"
)
#: The namespace of the admin users' ids this revision derives from their tenants' ids.
_ADMIN_IDS = uuid.UUID("0d0a6f5e-2b7c-4c1e-9a53-7e2f1b8c4d10")
_SQLITE_TABLES = sa.text(
    "SELECT NULL AS schema_name, m.name AS table_name "
    "FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p "
    "WHERE m.type = 'table' AND p.name = 'owner_id' ORDER BY m.name"
)


def _moment() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tessera_users",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("manager_id", sa.Uuid),
        sa.Column("role", sa.String(63)),
        sa.Column("partner_account", sa.Uuid),
        sa.Column("locale", sa.String(35)),
        sa.Column("permission_sets", sa.JSON, nullable=False),
        sa.Column("credentials_changed_at", _moment(), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tessera_users"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_users_tenant_id"
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["tessera_users.id"], name="fk_tessera_users_manager_id"
        ),
        sa.UniqueConstraint("tenant_id", "email", name="uq_tessera_users_tenant_id_email"),
    )
    op.create_table(
        "tessera_refresh_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("family_id", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("expires_at", _moment(), nullable=False),
        sa.Column("replaced_at", _moment()),
        sa.Column("revoked_at", _moment()),
        sa.PrimaryKeyConstraint("id", name="pk_tessera_refresh_tokens"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_refresh_tokens_tenant_id"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["tessera_users.id"], name="fk_tessera_refresh_tokens_user_id"
        ),
    )
    op.create_index("ix_tessera_refresh_tokens_user_id", "tessera_refresh_tokens", ["user_id"])
    op.create_index("ix_tessera_refresh_tokens_family_id", "tessera_refresh_tokens", ["family_id"])
    serial = sa.BigInteger().with_variant(sa.Integer, "sqlite")
    op.create_table(
        "tessera_login_failures",
        sa.Column("id", serial, nullable=False, autoincrement=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tessera_login_failures"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_login_failures_tenant_id"
        ),
    )
    op.create_index(
        "ix_tessera_login_failures_email", "tessera_login_failures", ["tenant_id", "email"]
    )
    op.create_index(
        "ix_tessera_login_failures_address", "tessera_login_failures", ["address", "at"]
    )
    op.create_table(
        "tessera_audit_log",
        sa.Column("id", serial, nullable=False, autoincrement=True),
        sa.Column("tenant_id", sa.Uuid, nullable=False),
        sa.Column("at", _moment(), nullable=False),
        sa.Column("actor", sa.String(255)),
        sa.Column("action", sa.String(63), nullable=False),
        sa.Column("target", sa.String(255)),
        sa.Column("address", sa.String(64)),
        sa.Column("details", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tessera_audit_log"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tessera_tenants.id"], name="fk_tessera_audit_log_tenant_id"
        ),
    )
    op.create_index("ix_tessera_audit_log_tenant_at", "tessera_audit_log", ["tenant_id", "at"])
    with op.batch_alter_table("tessera_api_keys") as batch:
        batch.add_column(sa.Column("user_id", sa.Uuid))
        batch.create_foreign_key(
            "fk_tessera_api_keys_user_id", "tessera_users", ["user_id"], ["id"]
        )
        batch.create_index("ix_tessera_api_keys_user_id", ["user_id"])
    admins = _make_admins(op.get_bind())
    _stamp_records(op.get_bind(), admins)


def _make_admins(connection: sa.Connection) -> dict[str, uuid.UUID]:
    """Give every tenant the administrator set and its admin user; return admins by schema."""
    now = datetime.now(UTC)
    admins: dict[str, uuid.UUID] = {}
    for tenant_id, schema in connection.execute(
        sa.select(tenants.c.id, tenants.c.schema_name)
    ).all():
        connection.execute(
            sa.insert(components).values(
                id=uuid.uuid5(_ADMIN_IDS, f"administrator-set:{tenant_id}"),
                tenant_id=tenant_id,
                object_id=None,
                kind="permission_set",
                position=0,
                api_name="administrator",
                definition=_ADMINISTRATOR,
                created_at=now,
            )
        )
        admin = uuid.uuid5(_ADMIN_IDS, f"admin:{tenant_id}")
        connection.execute(
            sa.insert(users).values(
                id=admin,
                tenant_id=tenant_id,
                email=ADMIN_EMAIL,
                name="Administrator",
                active=True,
                permission_sets=["administrator"],
                credentials_changed_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        connection.execute(
            sa.update(api_keys).where(api_keys.c.tenant_id == tenant_id).values(user_id=admin)
        )
        admins[schema] = admin
    return admins


def _stamp_records(connection: sa.Connection, admins: dict[str, uuid.UUID]) -> None:
    if connection.dialect.name == "postgresql":
        for schema, admin in admins.items():
            with connection.engine.begin() as tenant:
                tables = tenant.execute(_POSTGRESQL_TABLES, {"schema": schema}).all()
                for _, table in tables:
                    _stamp_table(tenant, schema, table, admin, owner=str(admin))
        return
    database = connection.engine.url.database
    if not database or database == ":memory:":
        return
    directory = Path(database).resolve()
    directory = directory.with_name(directory.name + ".tenants")
    for schema, admin in admins.items():
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
                for _, table in tenant.execute(_SQLITE_TABLES).all():
                    # SQLite stores a UUID column as 32 hex digits.
                    _stamp_table(tenant, None, table, admin, owner=admin.hex)
        finally:
            tenant_engine.dispose()


def _stamp_table(
    connection: sa.Connection, schema: str | None, table: str, admin: uuid.UUID, *, owner: str
) -> None:
    preparer = connection.dialect.identifier_preparer
    name = preparer.quote(table)
    if schema is not None:
        name = f"{preparer.quote_schema(schema)}.{name}"
    actor = {"admin": str(admin)}
    for column in ("created_by", "updated_by"):
        connection.execute(
            sa.text(
                f"UPDATE {name} SET {column} = :admin "
                f"WHERE {column} LIKE 'key:%' OR {column} = 'cli'"
            ),
            actor,
        )
    cast = "CAST(:owner AS uuid)" if connection.dialect.name == "postgresql" else ":owner"
    connection.execute(
        sa.text(f"UPDATE {name} SET owner_id = {cast} WHERE owner_id IS NULL"), {"owner": owner}
    )


def downgrade() -> None:
    with op.batch_alter_table("tessera_api_keys") as batch:
        batch.drop_index("ix_tessera_api_keys_user_id")
        batch.drop_constraint("fk_tessera_api_keys_user_id", type_="foreignkey")
        batch.drop_column("user_id")
    op.execute("DELETE FROM tessera_components WHERE kind = 'permission_set'")
    op.drop_table("tessera_audit_log")
    op.drop_table("tessera_login_failures")
    op.drop_table("tessera_refresh_tokens")
    op.drop_table("tessera_users")
