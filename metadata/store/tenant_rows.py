"""Read and write tenants and their API keys in the system tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from metadata.store.tables import api_keys, tenants, users
from metadata.store.user_rows import UserRow, user_from_mapping


@dataclass(frozen=True)
class TenantRow:
    """A tenant as stored."""

    id: UUID
    name: str
    schema_name: str
    revision: int
    created_at: datetime


@dataclass(frozen=True)
class ApiKeyRow:
    """An API key as stored: its public id and the hash of its secret, never the secret."""

    id: str
    tenant_id: UUID
    secret_hash: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None
    user_id: UUID | None = None


@dataclass(frozen=True)
class KeyOwner:
    """What an API key resolves to on every request: its user, tenant and tenant revision."""

    key_id: str
    secret_hash: str
    revoked_at: datetime | None
    tenant_id: UUID
    tenant_name: str
    schema_name: str
    revision: int
    user: UserRow


def insert_tenant(connection: Connection, tenant: TenantRow) -> None:
    """Store a new tenant."""
    connection.execute(
        insert(tenants).values(
            id=tenant.id,
            name=tenant.name,
            schema_name=tenant.schema_name,
            revision=tenant.revision,
            created_at=tenant.created_at,
        )
    )


def find_tenant(connection: Connection, name: str) -> TenantRow | None:
    """Return the tenant with this name, if any."""
    row = connection.execute(select(tenants).where(tenants.c.name == name)).one_or_none()
    return TenantRow(**row._mapping) if row else None


def list_tenants(connection: Connection) -> list[TenantRow]:
    """Return every tenant, oldest first."""
    rows = connection.execute(select(tenants).order_by(tenants.c.created_at, tenants.c.name))
    return [TenantRow(**row._mapping) for row in rows]


def insert_api_key(connection: Connection, key: ApiKeyRow) -> None:
    """Store a new API key (its hash only)."""
    connection.execute(
        insert(api_keys).values(
            id=key.id,
            tenant_id=key.tenant_id,
            secret_hash=key.secret_hash,
            label=key.label,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            user_id=key.user_id,
        )
    )


# Built once: this query runs on every request, and building a statement costs more
# than looking its compiled form up.
_KEY_OWNER = (
    select(
        users,
        api_keys.c.id.label("key_id"),
        api_keys.c.secret_hash,
        api_keys.c.revoked_at,
        tenants.c.name.label("tenant_name"),
        tenants.c.schema_name,
        tenants.c.revision,
    )
    .join(tenants, tenants.c.id == api_keys.c.tenant_id)
    .join(users, users.c.id == api_keys.c.user_id)
    .where(api_keys.c.id == bindparam("key_id"))
)


def find_key_owner(connection: Connection, key_id: str) -> KeyOwner | None:
    """Return the key with this id together with its user and tenant, in one query."""
    row = connection.execute(_KEY_OWNER, {"key_id": key_id}).one_or_none()
    if row is None:
        return None
    mapping = row._mapping
    return KeyOwner(
        key_id=mapping["key_id"],
        secret_hash=mapping["secret_hash"],
        revoked_at=mapping["revoked_at"],
        tenant_id=mapping["tenant_id"],
        tenant_name=mapping["tenant_name"],
        schema_name=mapping["schema_name"],
        revision=mapping["revision"],
        user=user_from_mapping(mapping),
    )


def list_api_keys(connection: Connection, tenant_id: UUID) -> list[ApiKeyRow]:
    """Return the tenant's keys, newest first."""
    rows = connection.execute(
        select(api_keys)
        .where(api_keys.c.tenant_id == tenant_id)
        .order_by(api_keys.c.created_at.desc())
    )
    return [ApiKeyRow(**row._mapping) for row in rows]


def revoke_api_key(connection: Connection, key_id: str, *, now: datetime) -> bool:
    """Mark a key revoked; return False when no unrevoked key has this id."""
    result = connection.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1
