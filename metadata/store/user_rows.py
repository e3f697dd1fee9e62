"""Read and write a tenant's users in the system tables."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from metadata.models import fold_email
from metadata.store.tables import tenants, users


@dataclass(frozen=True)
class UserRow:
    """A user as stored (the password's argon2 hash, never the password)."""

    id: UUID
    tenant_id: UUID
    email: str
    name: str
    password_hash: str | None
    active: bool
    manager_id: UUID | None
    role: str | None
    partner_account: UUID | None
    locale: str | None
    permission_sets: list[str]
    credentials_changed_at: datetime
    created_at: datetime
    updated_at: datetime


_USER_COLUMNS = tuple(field.name for field in fields(UserRow))


def user_from_mapping(mapping: Any) -> UserRow:
    return UserRow(**{name: mapping[name] for name in _USER_COLUMNS})


def insert_user(connection: Connection, user: UserRow) -> None:
    """Store a new user."""
    connection.execute(insert(users).values(**{n: getattr(user, n) for n in _USER_COLUMNS}))


def find_user(connection: Connection, tenant_id: UUID, user_id: UUID) -> UserRow | None:
    """Return the tenant's user with this id, if any."""
    row = connection.execute(
        select(users).where(users.c.tenant_id == tenant_id, users.c.id == user_id)
    ).one_or_none()
    return user_from_mapping(row._mapping) if row else None


def find_user_by_email(connection: Connection, tenant_id: UUID, email: str) -> UserRow | None:
    """Return the tenant's user with this e-mail (compared as `fold_email` folds it), if any."""
    row = connection.execute(
        select(users).where(users.c.tenant_id == tenant_id, users.c.email == fold_email(email))
    ).one_or_none()
    return user_from_mapping(row._mapping) if row else None


def list_users(
    connection: Connection, tenant_id: UUID, *, for_update: bool = False
) -> list[UserRow]:
    """Return the tenant's users, oldest first (locked until the transaction ends, if asked:
    changes of users that check the others then queue on PostgreSQL)."""
    query = (
        select(users)
        .where(users.c.tenant_id == tenant_id)
        .order_by(users.c.created_at, users.c.email)
    )
    rows = connection.execute(query.with_for_update() if for_update else query)
    return [user_from_mapping(row._mapping) for row in rows]


def update_user(connection: Connection, user_id: UUID, **values: Any) -> None:
    """Change stored attributes of a user."""
    connection.execute(update(users).where(users.c.id == user_id).values(**values))


@dataclass(frozen=True)
class TenantUser:
    """A user together with its tenant, as a credential resolves to it on every request."""

    user: UserRow
    tenant_name: str
    schema_name: str
    revision: int


# Built once: a token's user is read on every request.
_TENANT_USER = (
    select(
        users,
        tenants.c.name.label("tenant_name"),
        tenants.c.schema_name,
        tenants.c.revision,
    )
    .join(tenants, tenants.c.id == users.c.tenant_id)
    .where(users.c.id == bindparam("user_id"))
)


def find_tenant_user(connection: Connection, user_id: UUID) -> TenantUser | None:
    """Return the user with this id and its tenant, in one query."""
    row = connection.execute(_TENANT_USER, {"user_id": user_id}).one_or_none()
    if row is None:
        return None
    mapping = row._mapping
    return TenantUser(
        user=user_from_mapping(mapping),
        tenant_name=mapping["tenant_name"],
        schema_name=mapping["schema_name"],
        revision=mapping["revision"],
    )
