"""Access tokens: short-lived JWTs (HS256, pyjwt) that act as one user of one tenant.

Claims: `sub` (the user id), `tid` (the tenant id), `iat`, `exp`, `jti`, and `cca`, the
user's `credentials_changed_at` in microseconds since the epoch. A token is good only
while `cca` equals the stored value exactly: a password change or a deactivation moves
it, and every token issued before dies at once, without the races of a comparison in
whole seconds. Expiry (and `nbf`, when a token has one) is checked against the engine's
clock.

Every claim is checked for its type and range before it is used: a time is a whole
number of seconds between 1970 and the end of year 9999, `cca` a whole number of
microseconds in that span, `sub` and `tid` ids. Anything else (`Infinity`, `NaN`, a
fraction, a string, `true`) is a malformed token, refused like any other bad token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from engine.access import caller_of
from engine.context import EngineContext, TenantRef
from engine.database import single_read_connection
from engine.errors import AuthenticationFailed
from engine.tenancy import Credential
from metadata.store import UserRow, find_tenant_user

#: The one algorithm tokens are signed and checked with; every other is refused.
ALGORITHM = "HS256"
_CLAIMS = ("sub", "tid", "iat", "exp", "jti", "cca")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The latest time a claim may name: the end of year 9999, the last a datetime holds.
_LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_LATEST_SECOND = int((_LATEST - _EPOCH).total_seconds())
_LATEST_MICROSECOND = _LATEST_SECOND * 1_000_000


def moment_claim(moment: datetime) -> int:
    """A moment as whole microseconds since the epoch (exact, unlike a float timestamp)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def derived_key(engine: EngineContext, purpose: str) -> bytes:
    """A key for one purpose, derived from the signing secret (one secret, several uses).

    The first call of a process may store the secret: make it outside any transaction.
    """
    secret = engine.signing_secret.value(engine.db).encode()
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


def access_token_key(engine: EngineContext) -> bytes:
    """The key access tokens are signed with."""
    return derived_key(engine, "access tokens")


def issue_access_token(key: bytes, user: UserRow, *, now: datetime, lifetime: int) -> str:
    """Return an access token for `user`, signed with `key`, good for `lifetime` seconds."""
    issued_at = int(now.timestamp())
    claims = {
        "sub": str(user.id),
        "tid": str(user.tenant_id),
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "jti": secrets.token_hex(16),
        "cca": moment_claim(user.credentials_changed_at),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def _refused(detail: str, reason: str) -> AuthenticationFailed:
    return AuthenticationFailed(detail, extra={"reason": reason})


def _claims(engine: EngineContext, token: str) -> dict[str, Any]:
    """The token's claims once its algorithm, signature and claim names are checked."""
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError as exc:
        raise _refused(
            "the bearer is neither an API key (tsk_…) nor an access token", "malformed-token"
        ) from exc
    if algorithm != ALGORITHM:
        raise _refused(
            f"access tokens are signed with {ALGORITHM}; a token signed with {algorithm!r} "
            "is refused",
            "algorithm-refused",
        )
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            access_token_key(engine),
            algorithms=[ALGORITHM],
            # `_checked_claims` checks each claim, and the times against the engine's clock.
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_sub": False,
                "verify_jti": False,
                "require": list(_CLAIMS),
            },
        )
    except jwt.InvalidSignatureError as exc:
        raise _refused(
            "the access token's signature does not match: this server did not issue it "
            "(or its secret key changed since); log in again",
            "bad-signature",
        ) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise _refused(f"the access token has no {exc.claim!r} claim", "malformed-token") from exc
    except jwt.InvalidTokenError as exc:
        raise _refused(f"the access token is not valid ({exc})", "malformed-token") from exc
    return claims


@dataclass(frozen=True)
class _TokenClaims:
    """The claims a token is checked by, each of its type and in its range."""

    user_id: UUID
    tenant_id: UUID
    expires: int
    not_before: int | None
    credentials_changed: int


def _malformed_claim(name: str, expected: str) -> AuthenticationFailed:
    return AuthenticationFailed(
        f"the access token's {name!r} claim is malformed: it must be {expected}",
        extra={"reason": "malformed-token", "claim": name},
    )


def _whole_number(claims: dict[str, Any], name: str, *, latest: int, expected: str) -> int:
    """A claim that must be a JSON integer from 0 to `latest` (not a float, NaN or bool)."""
    value = claims[name]
    # bool is an int in Python, and JSON's `true` is no number.
    if type(value) is not int or not 0 <= value <= latest:
        raise _malformed_claim(name, expected)
    return value


def _id(claims: dict[str, Any], name: str) -> UUID:
    value = claims[name]
    try:
        if not isinstance(value, str):
            raise TypeError(name)
        return UUID(value)
    except (ValueError, TypeError) as exc:
        raise _malformed_claim(name, "an id (a UUID, as text)") from exc


_SECONDS = "a whole number of seconds since 1970, before the year 10000"


def _checked_claims(claims: dict[str, Any]) -> _TokenClaims:
    """Check each claim's type and range (a signed token may still hold any JSON)."""
    _whole_number(claims, "iat", latest=_LATEST_SECOND, expected=_SECONDS)
    if not isinstance(claims["jti"], str):
        raise _malformed_claim("jti", "text")
    not_before = (
        _whole_number(claims, "nbf", latest=_LATEST_SECOND, expected=_SECONDS)
        if "nbf" in claims
        else None
    )
    return _TokenClaims(
        user_id=_id(claims, "sub"),
        tenant_id=_id(claims, "tid"),
        expires=_whole_number(claims, "exp", latest=_LATEST_SECOND, expected=_SECONDS),
        not_before=not_before,
        credentials_changed=_whole_number(
            claims,
            "cca",
            latest=_LATEST_MICROSECOND,
            expected="a whole number of microseconds since 1970, before the year 10000",
        ),
    )


def verify_access_token(engine: EngineContext, token: str) -> Credential:
    """Resolve an access token to its user and tenant (one query).

    Raises:
        AuthenticationFailed: the token is malformed (a claim of the wrong type or out
            of range included), signed with another algorithm or key, expired, not valid
            yet, names a user of another tenant, or its user was deactivated
            or changed their password since it was issued. `extra["reason"]` says which.
    """
    claims = _checked_claims(_claims(engine, token))
    now = engine.clock().timestamp()
    if now >= claims.expires:
        raise _refused(
            "the access token has expired; get a new one with POST /api/v1/auth/refresh "
            "or log in again",
            "token-expired",
        )
    if claims.not_before is not None and now < claims.not_before:
        raise _refused("the access token is not valid yet (its 'nbf')", "token-not-yet-valid")
    with single_read_connection(engine.db) as connection:
        found = find_tenant_user(connection, claims.user_id)
    if found is None or found.user.tenant_id != claims.tenant_id:
        raise _refused("the access token's user is not a user of its tenant", "unknown-user")
    user = found.user
    if not user.active:
        raise _refused("the access token's user is deactivated", "user-deactivated")
    if moment_claim(user.credentials_changed_at) != claims.credentials_changed:
        raise _refused(
            "the user's password changed, or they were deactivated, after this token was "
            "issued; log in again",
            "credentials-changed",
        )
    return Credential(
        key_id=None,
        caller=caller_of(user, credential="token"),
        tenant=TenantRef(
            id=user.tenant_id,
            name=found.tenant_name,
            schema_name=found.schema_name,
            revision=found.revision,
        ),
    )
