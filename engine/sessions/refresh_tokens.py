"""Refresh tokens: opaque, stored as a hash, rotated on every use.

A refresh token reads `tsr_<id>_<secret>`. Each login starts a family; each refresh
replaces the token it used with a new one of the same family. A replaced token that is
presented again means someone holds a copy: the whole family is revoked, so neither
the thief nor the user can refresh any more and the user logs in again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from engine.errors import AuthenticationFailed
from metadata.store import RefreshTokenRow, UserRow, find_refresh_token, insert_refresh_token

_TOKEN = re.compile(r"^tsr_([0-9a-f]{32})_([A-Za-z0-9_-]{20,})$")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedRefreshToken:
    """A new refresh token: the only moment its secret is known."""

    token: str
    row: RefreshTokenRow


def issue_refresh_token(
    connection: Connection,
    user: UserRow,
    *,
    now: datetime,
    lifetime_seconds: int,
    family_id: str | None = None,
) -> IssuedRefreshToken:
    """Store and return a new refresh token of `family_id` (a new family when None)."""
    token_id = secrets.token_hex(16)
    secret = secrets.token_urlsafe(32)
    row = RefreshTokenRow(
        id=token_id,
        tenant_id=user.tenant_id,
        user_id=user.id,
        family_id=family_id or secrets.token_hex(16),
        secret_hash=_hash(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=lifetime_seconds),
        replaced_at=None,
        revoked_at=None,
    )
    insert_refresh_token(connection, row)
    return IssuedRefreshToken(token=f"tsr_{token_id}_{secret}", row=row)


def presented_token(connection: Connection, token: str) -> RefreshTokenRow:
    """The stored token a client presents, whatever its state (live, replaced, revoked).

    Raises:
        AuthenticationFailed: it is malformed, unknown, or its secret does not match.
    """
    match = _TOKEN.match(token)
    if match is None:
        raise AuthenticationFailed(
            "the refresh token is malformed; expected tsr_<id>_<secret>",
            extra={"reason": "malformed-token"},
        )
    token_id, secret = match.groups()
    row = find_refresh_token(connection, token_id)
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        raise AuthenticationFailed(
            "the refresh token is not valid", extra={"reason": "unknown-token"}
        )
    return row
