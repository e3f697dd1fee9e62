"""Read and write what logins leave behind: refresh tokens, failed logins, stored secrets.

Also revokes every credential of a user at once (keys and refresh tokens), as a password
change or a deactivation does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection

from metadata.store.tables import api_keys, login_failures, refresh_tokens, stored_secrets


@dataclass(frozen=True)
class RefreshTokenRow:
    """A refresh token as stored: the hash of its secret, never the secret.

    Tokens of one login form a family: each refresh replaces the token it used with a
    new one of the same family.
    """

    id: str
    tenant_id: UUID
    user_id: UUID
    family_id: str
    secret_hash: str
    created_at: datetime
    expires_at: datetime
    replaced_at: datetime | None
    revoked_at: datetime | None


def insert_refresh_token(connection: Connection, token: RefreshTokenRow) -> None:
    """Store a new refresh token."""
    connection.execute(
        insert(refresh_tokens).values(
            id=token.id,
            tenant_id=token.tenant_id,
            user_id=token.user_id,
            family_id=token.family_id,
            secret_hash=token.secret_hash,
            created_at=token.created_at,
            expires_at=token.expires_at,
            replaced_at=token.replaced_at,
            revoked_at=token.revoked_at,
        )
    )


def find_refresh_token(connection: Connection, token_id: str) -> RefreshTokenRow | None:
    """Return the refresh token with this id, if any."""
    row = connection.execute(
        select(refresh_tokens).where(refresh_tokens.c.id == token_id)
    ).one_or_none()
    return RefreshTokenRow(**row._mapping) if row else None


def mark_replaced(connection: Connection, token_id: str, *, now: datetime) -> bool:
    """Mark a live token replaced; False when it was replaced or revoked meanwhile."""
    result = connection.execute(
        update(refresh_tokens)
        .where(
            refresh_tokens.c.id == token_id,
            refresh_tokens.c.replaced_at.is_(None),
            refresh_tokens.c.revoked_at.is_(None),
        )
        .values(replaced_at=now)
    )
    return result.rowcount == 1


def revoke_family(connection: Connection, family_id: str, *, now: datetime) -> int:
    """Revoke every token of a family not revoked yet; return how many."""
    result = connection.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount


def prune_refresh_tokens(connection: Connection, user_id: UUID, *, now: datetime) -> None:
    """Forget a user's refresh tokens that expired: nothing can use them any more."""
    connection.execute(
        delete(refresh_tokens).where(
            refresh_tokens.c.user_id == user_id, refresh_tokens.c.expires_at < now
        )
    )


def revoke_user_credentials(connection: Connection, user_id: UUID, *, now: datetime) -> list[str]:
    """Revoke every live API key and refresh token of a user; return the revoked key ids."""
    key_ids = list(
        connection.execute(
            select(api_keys.c.id).where(
                api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None)
            )
        ).scalars()
    )
    if key_ids:
        connection.execute(
            update(api_keys).where(api_keys.c.id.in_(key_ids)).values(revoked_at=now)
        )
    connection.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return sorted(key_ids)


#: More failures than any limit counts: enough to tell when a lockout ends.
_FAILURES_READ = 1000


def recent_login_failures(
    connection: Connection, *, tenant_id: UUID, email: str, address: str, since: datetime
) -> tuple[list[datetime], list[datetime]]:
    """When the failed logins since `since` happened, oldest first: of the e-mail in the
    tenant, and from the address."""
    found = []
    for condition in (
        (login_failures.c.tenant_id == tenant_id) & (login_failures.c.email == email),
        login_failures.c.address == address,
    ):
        found.append(
            list(
                connection.execute(
                    select(login_failures.c.at)
                    .where(condition, login_failures.c.at > since)
                    .order_by(login_failures.c.at)
                    .limit(_FAILURES_READ)
                ).scalars()
            )
        )
    return found[0], found[1]


def add_login_failure(
    connection: Connection,
    *,
    tenant_id: UUID,
    email: str,
    address: str,
    at: datetime,
    forget_before: datetime,
) -> None:
    """Record a failed login, and forget this e-mail's and address's failures too old to count."""
    connection.execute(
        delete(login_failures).where(
            or_(
                (login_failures.c.tenant_id == tenant_id) & (login_failures.c.email == email),
                login_failures.c.address == address,
            ),
            login_failures.c.at <= forget_before,
        )
    )
    connection.execute(
        insert(login_failures).values(tenant_id=tenant_id, email=email, address=address, at=at)
    )


def clear_login_failures(connection: Connection, *, tenant_id: UUID, email: str) -> None:
    """Forget an e-mail's failed logins (after it logged in)."""
    connection.execute(
        delete(login_failures).where(
            login_failures.c.tenant_id == tenant_id, login_failures.c.email == email
        )
    )


def read_secret(connection: Connection, name: str) -> str | None:
    """Return the stored secret `name`, if it was made."""
    return connection.execute(
        select(stored_secrets.c.value).where(stored_secrets.c.name == name)
    ).scalar_one_or_none()


def insert_secret(connection: Connection, name: str, value: str, *, now: datetime) -> None:
    """Store a new secret (fails on a name already stored)."""
    connection.execute(insert(stored_secrets).values(name=name, value=value, created_at=now))
