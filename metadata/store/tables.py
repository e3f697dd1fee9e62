"""Tessera's own system tables, where tenants, keys, metadata and revisions live."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
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

api_keys = Table(
    "tessera_api_keys",
    system_metadata,
    Column("id", String(16), primary_key=True),
    Column("tenant_id", Uuid, ForeignKey("tessera_tenants.id"), nullable=False, index=True),
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
