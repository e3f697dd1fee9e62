"""A tenant's users: the first admin of a new tenant, and reading users as callers."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import Connection
from uuid_utils.compat import uuid7

from engine.audit import record_event
from engine.context import Caller, EngineContext, TenantRef
from engine.errors import MetadataError, NotFound, Problem
from metadata.models import ADMINISTRATOR_SET, ComponentKind, administrator_set, fold_email
from metadata.store import UserRow, components, find_user_by_email, insert_user, list_users

#: The e-mail of the admin user a tenant is created with, unless another is given.
DEFAULT_ADMIN_EMAIL = "admin@example.com"


def normalized_email(email: str, *, pointer: str = "/email") -> str:
    """The e-mail as stored (`fold_email`: NFKC, lower-case), after a syntax check (no DNS
    lookup). The text is folded before the check too, so an address written with a
    full-width at sign (U+FF20) is the address written with `@`.

    Raises:
        MetadataError: it is not an e-mail address.
    """
    try:
        checked = validate_email(
            fold_email(email), check_deliverability=False, globally_deliverable=False
        )
    except EmailNotValidError as exc:
        raise MetadataError(
            f"{email!r} is not an e-mail address",
            problems=[Problem(pointer, "invalid-email", str(exc))],
        ) from exc
    return fold_email(checked.normalized)


def email_key(text: str) -> str:
    """The e-mail `text` names, as e-mails are stored, to look a user up by (pure).

    Unlike `normalized_email` it refuses nothing: a text that is no e-mail matches nobody.
    """
    try:
        return normalized_email(text)
    except MetadataError:
        return fold_email(text)


def new_user(
    tenant_id: UUID,
    *,
    email: str,
    name: str,
    now: datetime,
    password_hash: str | None = None,
    role: str | None = None,
    manager_id: UUID | None = None,
    partner_account: UUID | None = None,
    locale: str | None = None,
    permission_sets: list[str] | None = None,
) -> UserRow:
    """A user row to store (pure; the e-mail is checked and folded)."""
    return UserRow(
        id=uuid7(),
        tenant_id=tenant_id,
        email=normalized_email(email),
        name=name,
        password_hash=password_hash,
        active=True,
        manager_id=manager_id,
        role=role,
        partner_account=partner_account,
        locale=locale,
        permission_sets=list(permission_sets or []),
        credentials_changed_at=now,
        created_at=now,
        updated_at=now,
    )


def create_first_admin(
    connection: Connection, tenant_id: UUID, *, now: datetime, email: str = DEFAULT_ADMIN_EMAIL
) -> UserRow:
    """Store a new tenant's `administrator` permission set and its admin user."""
    definition = administrator_set()
    connection.execute(
        components.insert().values(
            id=uuid7(),
            tenant_id=tenant_id,
            object_id=None,
            kind=ComponentKind.PERMISSION_SET.value,
            position=0,
            api_name=definition.api_name,
            definition=definition.model_dump(mode="json"),
            created_at=now,
        )
    )
    admin = new_user(
        tenant_id, email=email, name="Administrator", now=now, permission_sets=[ADMINISTRATOR_SET]
    )
    insert_user(connection, admin)
    record_event(
        connection,
        tenant_id,
        at=now,
        action="user.created",
        target=str(admin.id),
        details={"email": admin.email, "permission_sets": admin.permission_sets},
    )
    return admin


def caller_of(user: UserRow, *, credential: str) -> Caller:
    """The caller a user's credential makes of them."""
    return Caller(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        manager_id=user.manager_id,
        partner_account=user.partner_account,
        permission_sets=tuple(user.permission_sets),
        locale=user.locale,
        credential=credential,
    )


def tenant_admin(context: EngineContext, tenant: TenantRef) -> UserRow:
    """The tenant's first active user holding the `administrator` set (the CLI acts as it).

    Raises:
        NotFound: no active user holds it.
    """
    with context.db.connect() as connection:
        for user in list_users(connection, tenant.id):
            if user.active and ADMINISTRATOR_SET in user.permission_sets:
                return user
    raise NotFound(
        f"tenant {tenant.name!r} has no active user with the {ADMINISTRATOR_SET!r} "
        "permission set; give one to a user with `tessera user create`"
    )


def user_with_email(context: EngineContext, tenant: TenantRef, email: str) -> UserRow:
    """The tenant's user with this e-mail (compared folded).

    Raises:
        NotFound: the tenant has no such user.
    """
    with context.db.connect() as connection:
        user = find_user_by_email(connection, tenant.id, email_key(email))
    if user is None:
        raise NotFound(
            f"tenant {tenant.name!r} has no user {email!r}; `tessera user list` shows them"
        )
    return user
