"""Log in with a password, refresh a session, log out: the OAuth2 password flow's engine side.

A wrong tenant, e-mail or password gets the same answer, after the same work (one
password verification, against a dummy hash when there is no user), so the answer
tells nobody which e-mails exist. Logins (succeeded, failed, locked out), reused
refresh tokens and logouts go to the tenant's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.engine import Connection

from engine.access import email_key, verify_password
from engine.access.passwords import MAX_PASSWORD_LENGTH
from engine.audit import record_event
from engine.context import EngineContext
from engine.database import single_read_connection, system_write_connection
from engine.errors import AuthenticationFailed, TesseraError
from engine.sessions.access_tokens import access_token_key, issue_access_token
from engine.sessions.login_limits import LoginAttempt, start_attempt
from engine.sessions.refresh_tokens import issue_refresh_token, presented_token
from engine.storable_json import find_unstorable
from metadata.models import MAX_EMAIL_LENGTH
from metadata.store import (
    UserRow,
    clear_login_failures,
    find_tenant,
    find_user,
    find_user_by_email,
    mark_replaced,
    prune_refresh_tokens,
    revoke_family,
)

#: The one answer to a wrong tenant, e-mail or password.
WRONG_CREDENTIALS = "the tenant, e-mail or password is wrong"
_ADDRESS_LENGTH = 64


@dataclass(frozen=True)
class TokenPair:
    """What a login or a refresh answers: an access token and the refresh token after it."""

    access_token: str
    expires_in: int
    refresh_token: str

    def as_dict(self) -> dict[str, Any]:
        """The OAuth2 token response."""
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


def _wrong() -> AuthenticationFailed:
    # `error` is the OAuth2 token endpoint's own word for it, for OAuth2 client libraries.
    return AuthenticationFailed(
        WRONG_CREDENTIALS, extra={"reason": "wrong-credentials", "error": "invalid_grant"}
    )


def _issue(
    connection: Connection,
    engine: EngineContext,
    user: UserRow,
    *,
    key: bytes,
    now: datetime,
    family: str | None,
) -> TokenPair:
    refresh = issue_refresh_token(
        connection,
        user,
        now=now,
        lifetime_seconds=engine.refresh_token_seconds,
        family_id=family,
    )
    lifetime = engine.access_token_seconds
    access = issue_access_token(key, user, now=now, lifetime=lifetime)
    return TokenPair(access_token=access, expires_in=lifetime, refresh_token=refresh.token)


def log_in(
    engine: EngineContext, *, tenant_name: str, username: str, password: str, address: str
) -> TokenPair:
    """Check a user's password and return their tokens.

    Raises:
        AuthenticationFailed: the tenant, e-mail or password is wrong, or the user is
            deactivated (401).
        TooManyAttempts: too many failed logins of this user or from this address (429).
    """
    now = engine.clock()
    address = address[:_ADDRESS_LENGTH]
    key = access_token_key(engine)  # before any transaction: it may store the secret
    # Text no database stores (a NUL character) names no tenant and no user: the usual 401.
    storable = find_unstorable(tenant_name) is None and find_unstorable(username) is None
    tenant = None
    if storable:
        with single_read_connection(engine.db) as connection:
            tenant = find_tenant(connection, tenant_name)
    if tenant is None or len(password) > MAX_PASSWORD_LENGTH:
        verify_password(None, password[:MAX_PASSWORD_LENGTH])
        raise _wrong()
    email = email_key(username)[:MAX_EMAIL_LENGTH]
    attempt = LoginAttempt(tenant_id=tenant.id, email=email, address=address, at=now)
    with system_write_connection(engine.db) as connection, connection.begin():
        refused = start_attempt(connection, attempt)
        if refused is not None:
            _audit(connection, attempt, "login.locked_out", {"email": email})
        user = find_user_by_email(connection, tenant.id, email)
    if refused is not None:
        raise refused
    # The slow check runs outside any transaction: the attempt already counts.
    is_right = verify_password(user.password_hash if user else None, password)
    with system_write_connection(engine.db) as connection, connection.begin():
        if user is not None and is_right and user.active:
            # The password may have changed while it was checked: then it is not the one.
            current = _unchanged(connection, user)
            is_right = current is not None
            user = current or user
        if user is not None and is_right and user.active:
            clear_login_failures(connection, tenant_id=tenant.id, email=email)
            prune_refresh_tokens(connection, user.id, now=now)
            _audit(connection, attempt, "login.succeeded", {"email": email}, actor=user.id)
            return _issue(connection, engine, user, key=key, now=now, family=None)
        if user is None:
            reason = "unknown-user"
        else:
            reason = "user-deactivated" if is_right else "wrong-password"
        actor = user.id if user else None
        details = {"email": email, "reason": reason}
        _audit(connection, attempt, "login.failed", details, actor=actor)
    if reason == "user-deactivated":
        # Only the right password learns this: a guesser gets the one answer.
        raise AuthenticationFailed(
            "your user is deactivated; ask an administrator",
            extra={"reason": reason, "error": "invalid_grant"},
        )
    raise _wrong()


def _unchanged(connection: Connection, user: UserRow) -> UserRow | None:
    """The user as stored now, if their credentials are still the ones checked."""
    current = find_user(connection, user.tenant_id, user.id)
    if current is None or current.credentials_changed_at != user.credentials_changed_at:
        return None
    return current


def _audit(
    connection: Connection,
    attempt: LoginAttempt,
    action: str,
    details: dict[str, Any],
    *,
    actor: UUID | None = None,
) -> None:
    record_event(
        connection,
        attempt.tenant_id,
        at=attempt.at,
        action=action,
        actor=str(actor) if actor else None,
        target=str(actor) if actor else None,
        address=attempt.address,
        details=details,
    )


def refresh_session(engine: EngineContext, *, refresh_token: str, address: str) -> TokenPair:
    """Replace a refresh token with a new one, with a new access token.

    Raises:
        AuthenticationFailed: the token is unknown, expired, revoked (a logout, a
            password change), or was already used: then every token of its login is
            revoked (401).
    """
    now = engine.clock()
    key = access_token_key(engine)
    refusal: TesseraError
    with system_write_connection(engine.db) as connection, connection.begin():
        row = presented_token(connection, refresh_token)
        user = find_user(connection, row.tenant_id, row.user_id)
        if row.revoked_at is not None:
            refusal = AuthenticationFailed(
                "the refresh token was revoked (a logout, a password change or a reuse); "
                "log in again",
                extra={"reason": "token-revoked"},
            )
        elif row.expires_at <= now:
            refusal = AuthenticationFailed(
                "the refresh token has expired; log in again", extra={"reason": "token-expired"}
            )
        elif user is None or not user.active or row.created_at < user.credentials_changed_at:
            revoke_family(connection, row.family_id, now=now)
            refusal = AuthenticationFailed(
                "the refresh token's user is deactivated, or changed their password since it "
                "was issued; log in again",
                extra={"reason": "credentials-changed"},
            )
        elif row.replaced_at is not None or not mark_replaced(connection, row.id, now=now):
            # A second use: whoever holds a copy must not keep the session, nor the user.
            revoked = revoke_family(connection, row.family_id, now=now)
            record_event(
                connection,
                row.tenant_id,
                at=now,
                action="token.reused",
                actor=str(row.user_id),
                target=str(row.user_id),
                address=address[:_ADDRESS_LENGTH],
                details={"family": row.family_id, "revoked": revoked},
            )
            refusal = AuthenticationFailed(
                "this refresh token was already used, so every token of its login is "
                "revoked; log in again",
                extra={"reason": "token-reused"},
            )
        else:
            return _issue(connection, engine, user, key=key, now=now, family=row.family_id)
    raise refusal


def log_out(engine: EngineContext, *, refresh_token: str, address: str) -> None:
    """Revoke every refresh token of the login `refresh_token` belongs to.

    Access tokens already issued stay good until they expire (minutes).

    Raises:
        AuthenticationFailed: the token is malformed or unknown (401).
    """
    now = engine.clock()
    with system_write_connection(engine.db) as connection, connection.begin():
        row = presented_token(connection, refresh_token)
        if revoke_family(connection, row.family_id, now=now):
            record_event(
                connection,
                row.tenant_id,
                at=now,
                action="logout",
                actor=str(row.user_id),
                target=str(row.user_id),
                address=address[:_ADDRESS_LENGTH],
                details={"family": row.family_id},
            )
