"""API keys: issued once in clear, stored as a hash, resolved to a tenant on each request.

A key reads `tsk_<id>_<secret>`. The id finds the row; the secret is compared with its
SHA-256 hash. Keys are 256-bit random, so a fast hash is enough (no password stretching).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from uuid import UUID

from engine.access.users import caller_of, tenant_admin
from engine.audit import record_event
from engine.context import Caller, EngineContext, TenantRef
from engine.database import single_read_connection
from engine.errors import AuthenticationFailed, Conflict, NotFound
from engine.tenancy.tenants import get_tenant
from metadata.store import (
    ApiKeyRow,
    find_key_owner,
    find_user,
    insert_api_key,
    list_api_keys,
    revoke_api_key,
)

_KEY = re.compile(r"^tsk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")


@dataclass(frozen=True)
class IssuedKey:
    """A newly created key: the only moment its secret is known."""

    id: str
    tenant: str
    api_key: str
    user_id: UUID


@dataclass(frozen=True)
class Credential:
    """What a valid key or token stands for: the tenant, and the user it acts as.

    `key_id` names the API key; it is None for an access token.
    """

    key_id: str | None
    tenant: TenantRef
    caller: Caller


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    context: EngineContext,
    tenant_name: str,
    *,
    label: str | None = None,
    user_id: UUID | None = None,
    actor: str | None = None,
) -> IssuedKey:
    """Issue a new key for a user of a tenant (by default its first admin).

    The audit log records it (`key.issued`), with `actor` as who issued it.

    Raises:
        NotFound: there is no such tenant or user.
        Conflict: the user is deactivated.
    """
    tenant = get_tenant(context, tenant_name)
    if user_id is None:
        user_id = tenant_admin(context, tenant).id
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = context.clock()
    with context.db.begin() as connection:
        user = find_user(connection, tenant.id, user_id)
        if user is None:
            raise NotFound(f"tenant {tenant.name!r} has no user {user_id}")
        if not user.active:
            raise Conflict(f"{user.email} is deactivated: a key of theirs would not work")
        insert_api_key(
            connection,
            ApiKeyRow(
                id=key_id,
                tenant_id=tenant.id,
                secret_hash=_hash(secret),
                label=label,
                created_at=now,
                revoked_at=None,
                user_id=user_id,
            ),
        )
        record_event(
            connection,
            tenant.id,
            at=now,
            action="key.issued",
            actor=actor,
            target=str(user_id),
            details={"key_id": key_id, "label": label},
        )
    return IssuedKey(
        id=key_id, tenant=tenant.name, api_key=f"tsk_{key_id}_{secret}", user_id=user_id
    )


def revoke_key(context: EngineContext, key_id: str, *, actor: str | None = None) -> None:
    """Revoke a key at once; requests with it get 401 from then on (audited: `key.revoked`).

    Raises:
        NotFound: no unrevoked key has this id.
    """
    now = context.clock()
    with context.db.begin() as connection:
        owner = find_key_owner(connection, key_id)
        if owner is None or not revoke_api_key(connection, key_id, now=now):
            raise NotFound(f"there is no active key {key_id!r}")
        record_event(
            connection,
            owner.tenant_id,
            at=now,
            action="key.revoked",
            actor=actor,
            target=str(owner.user.id),
            details={"key_id": key_id},
        )


def tenant_keys(context: EngineContext, tenant_name: str) -> list[ApiKeyRow]:
    """Return a tenant's keys (ids and dates, never secrets)."""
    tenant = get_tenant(context, tenant_name)
    with context.db.connect() as connection:
        return list_api_keys(connection, tenant.id)


def authenticate(context: EngineContext, api_key: str) -> Credential:
    """Resolve a presented key to its user and tenant (with the tenant's current revision).

    Raises:
        AuthenticationFailed: the key is malformed, unknown or revoked, or its user is
            deactivated.
    """
    match = _KEY.match(api_key)
    if match is None:
        raise AuthenticationFailed("the API key is malformed; expected tsk_<id>_<secret>")
    key_id, secret = match.groups()
    with single_read_connection(context.db) as connection:
        owner = find_key_owner(connection, key_id)
    if owner is None or not hmac.compare_digest(owner.secret_hash, _hash(secret)):
        raise AuthenticationFailed("the API key is not valid")
    if owner.revoked_at is not None:
        raise AuthenticationFailed("the API key has been revoked")
    if not owner.user.active:
        raise AuthenticationFailed("the API key's user is deactivated")
    return Credential(
        key_id=key_id,
        caller=caller_of(owner.user, credential=f"key:{key_id}"),
        tenant=TenantRef(
            id=owner.tenant_id,
            name=owner.tenant_name,
            schema_name=owner.schema_name,
            revision=owner.revision,
        ),
    )
