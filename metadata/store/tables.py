"""Tessera's own system tables, where tenants, keys, metadata and revisions live."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from metadata.store.utc_datetime import UtcDateTime

#: An auto-incremented id: SQLite increments only an INTEGER primary key.
_SERIAL = BigInteger().with_variant(Integer, "sqlite")

system_metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

tenants = Table(
    "tessera_tenants",
    system_metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("schema_name", String(63), nullable=False, unique=True),
    Column("revision", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
)

#: A tenant's users. E-mails are stored case-folded, unique per tenant. A user's tokens
#: issued before `credentials_changed_at` (a password change, a deactivation) are refused.
users = Table(
    "tessera_users",
    system_metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("name", String(255), nullable=False),
    Column("password_hash", String(255)),
    Column("active", Boolean, nullable=False, default=True),
    Column("manager_id", Uuid, ForeignKey("tessera_users.id")),
    Column("role", String(63)),
    Column("partner_account", Uuid),
    Column("locale", String(35)),
    Column("permission_sets", JSON, nullable=False),
    Column("credentials_changed_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "email"),
)

api_keys = Table(
    "tessera_api_keys",
    system_metadata,
    Column("id", String(16), primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False, index=True),
    Column("user_id", Uuid, ForeignKey("tessera_users.id"), index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("label", String(255)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

objects = Table(
    "tessera_objects",
    system_metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False, index=True),
    Column("api_name", String(63), nullable=False),
    Column("table_name", String(63), nullable=False),
    Column("label", String(255), nullable=False),
    Column("plural_label", String(255), nullable=False),
    Column("description", Text),
    Column("deleted_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "table_name"),
)

fields = Table(
    "tessera_fields",
    system_metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False),
    Column("object_id", Uuid, ForeignKey("tessera_objects.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("api_name", String(63), nullable=False),
    Column("column_name", String(63), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("deleted_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("object_id", "column_name"),
)

revisions = Table(
    "tessera_revisions",
    system_metadata,
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("summary", Text, nullable=False),
    Column("changes", JSON, nullable=False),
)

counters = Table(
    "tessera_counters",
    system_metadata,
    Column("field_id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False),
    Column("value", BigInteger, nullable=False),
)

#: Metadata components other than objects and fields (validation rules, later layouts and
#: list views), one row each, keyed by kind; `definition` holds the component's JSON shape.
components = Table(
    "tessera_components",
    system_metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False),
    Column("object_id", Uuid, ForeignKey("tessera_objects.id"), index=True),
    Column("kind", String(31), nullable=False),
    Column("position", Integer, nullable=False),
    Column("api_name", String(63), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

Index("ix_tessera_components_tenant_kind", components.c.tenant_id, components.c.kind)
Index("ix_tessera_objects_tenant_api_name", objects.c.tenant_id, objects.c.api_name)

#: Refresh tokens: one row per issued token, chained in a family. Using a token replaces
#: it; presenting a replaced one again revokes its whole family (a stolen token).
refresh_tokens = Table(
    "tessera_refresh_tokens",
    system_metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False),
    Column("user_id", Uuid, ForeignKey("tessera_users.id"), nullable=False, index=True),
    Column("family_id", String(32), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("replaced_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

#: Failed logins, counted per user and per address over a sliding window.
login_failures = Table(
    "tessera_login_failures",
    system_metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

Index("ix_tessera_login_failures_email", login_failures.c.tenant_id, login_failures.c.email)
Index("ix_tessera_login_failures_address", login_failures.c.address, login_failures.c.at)

#: The audit log: logins, user, permission and sharing changes, keys issued and revoked,
#: privacy requests. Rows are only ever added.
audit_log = Table(
    "tessera_audit_log",
    system_metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(255)),
    Column("action", String(63), nullable=False),
    Column("target", String(255)),
    Column("address", String(64)),
    Column("details", JSON, nullable=False),
)

Index("ix_tessera_audit_log_tenant_at", audit_log.c.tenant_id, audit_log.c.at)
# `GET /admin/audit` pages a tenant's events newest first, by id.
Index("ix_tessera_audit_log_tenant_id_id", audit_log.c.tenant_id, audit_log.c.id)

#: Secrets Tessera makes once per database and every process shares: the key that signs
#: access tokens when TESSERA_SECRET_KEY is not set (`engine.database.StoredSecret`).
stored_secrets = Table(
    "tessera_secrets",
    system_metadata,
    Column("name", String(63), primary_key=True),
    Column("value", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
