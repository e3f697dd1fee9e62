"""The users admin API's engine side: list, read, create, change and deactivate users.

Every call needs the `manage_users` system right. A change is one transaction on the
tenant's connection: the tenant's users are read (and locked on PostgreSQL, so two
changes that each check the others queue), the change is checked and written, record
sharing is brought up to date (`upkeep.users_changed`) and the audit log told. A new
password or a deactivation moves the user's `credentials_changed_at` and revokes their
API keys and refresh tokens in that transaction: every credential they held dies at
once. The last active user who may manage users can be neither deactivated nor
stripped of the right (409).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from engine.access.enforcement import require_system_right
from engine.access.passwords import hash_password
from engine.access.rights import Rights, permission_sets
from engine.access.upkeep import users_changed
from engine.access.user_checks import check_user
from engine.access.users import new_user
from engine.audit import record_event
from engine.catalog import Catalog, tenant_catalog
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import Conflict, InvalidRequest, MetadataError, NotFound, Problem, summarize
from engine.shape_problems import parse_body
from metadata.models import ComponentKind, PartnerSettingsDef, SystemRight, UserDef
from metadata.store import UserRow, insert_user, list_users, revoke_user_credentials, update_user


def user_document(user: UserRow) -> dict[str, Any]:
    """A user as the API shows it (never the password, nor its hash)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "manager": str(user.manager_id) if user.manager_id else None,
        "active": user.active,
        "partner_account": str(user.partner_account) if user.partner_account else None,
        "permission_sets": list(user.permission_sets),
        "locale": user.locale,
    }


def _find(users: Sequence[UserRow], user_id: str) -> UserRow:
    try:
        wanted = UUID(user_id)
    except ValueError:
        wanted = None
    for user in users:
        if user.id == wanted:
            return user
    raise NotFound(f"there is no user {user_id!r} in this tenant", extra={"id": user_id})


def list_user_documents(context: RequestContext) -> list[dict[str, Any]]:
    """The tenant's users, oldest first."""
    require_system_right(context, tenant_catalog(context), SystemRight.MANAGE_USERS)
    with context.engine.db.connect() as connection:
        return [user_document(u) for u in list_users(connection, context.tenant.id)]


def get_user_document(context: RequestContext, user_id: str) -> dict[str, Any]:
    """One user of the tenant.

    Raises:
        NotFound: the tenant has no such user.
    """
    require_system_right(context, tenant_catalog(context), SystemRight.MANAGE_USERS)
    with context.engine.db.connect() as connection:
        return user_document(_find(list_users(connection, context.tenant.id), user_id))


def _managers_of_users(catalog: Catalog, users: Sequence[UserRow]) -> set[UUID]:
    sets = permission_sets(catalog.metadata_state)
    return {
        u.id
        for u in users
        if u.active and Rights.of(u.permission_sets, sets).has_system(SystemRight.MANAGE_USERS)
    }


def _partner_account_exists(
    connection: Connection, catalog: Catalog, account: UUID, problems: list[Problem]
) -> None:
    settings = catalog.metadata_state.components_of(ComponentKind.PARTNER_SETTINGS)
    if not settings:
        problems.append(
            Problem(
                "/partner_account",
                "no-partner-settings",
                "this tenant has no partner accounts yet; name their object in "
                "/admin/partner-settings first",
            )
        )
        return
    object_name = PartnerSettingsDef.model_validate(settings[0].definition).object
    compiled = catalog.objects.get(object_name)
    found = (
        compiled is not None
        and connection.execute(
            select(compiled.table.c.id).where(compiled.table.c.id == account)
        ).first()
        is not None
    )
    if not found:
        problems.append(
            Problem(
                "/partner_account",
                "unknown-record",
                f"there is no {object_name} record {account} to be a partner account",
            )
        )


#: What a change does to the users: the new row, and the audit events it makes.
Change = Callable[
    [Connection, Catalog, list[UserRow]], tuple[UserRow, list[tuple[str, dict[str, Any]]]]
]


def _run(context: RequestContext, change: Change, *, is_new: bool) -> dict[str, Any]:
    """Run one change of a user in one transaction: check, write, upkeep, audit."""
    catalog = tenant_catalog(context)
    require_system_right(context, catalog, SystemRight.MANAGE_USERS)
    engine, tenant = context.engine, context.tenant
    with (
        tenant_connection(engine.db, tenant.schema_name, is_write=True) as connection,
        connection.begin(),
    ):
        before = list_users(connection, tenant.id, for_update=True)
        user, events = change(connection, catalog, before)
        after = [user if u.id == user.id else u for u in before] + ([user] if is_new else [])
        if _managers_of_users(catalog, before) and not _managers_of_users(catalog, after):
            raise Conflict(
                f"{user.email} is the last active user who may manage users; give the "
                "manage_users right to another active user first",
                extra={"id": str(user.id)},
            )
        try:
            if is_new:
                insert_user(connection, user)
            else:
                _store(connection, user)
        except IntegrityError as exc:
            raise Conflict(f"this tenant already has a user {user.email}") from exc
        old = next((u for u in before if u.id == user.id), None)
        if old is not None and user.credentials_changed_at != old.credentials_changed_at:
            revoked = revoke_user_credentials(connection, user.id, now=user.updated_at)
            events = [(action, {**details, "revoked_keys": revoked}) for action, details in events]
        users_changed(connection, engine, tenant)
        for action, details in events:
            record_event(
                connection,
                tenant.id,
                at=user.updated_at,
                action=action,
                actor=context.actor,
                target=str(user.id),
                details=details,
            )
    return user_document(user)


def _store(connection: Connection, user: UserRow) -> None:
    values = {name: getattr(user, name) for name in _CHANGEABLE}
    update_user(connection, user.id, **values)


_CHANGEABLE = (
    "email",
    "name",
    "password_hash",
    "active",
    "manager_id",
    "role",
    "partner_account",
    "locale",
    "permission_sets",
    "credentials_changed_at",
    "updated_at",
)


def _checked(
    connection: Connection,
    catalog: Catalog,
    users: Sequence[UserRow],
    body: Any,
    *,
    own: UserRow | None,
) -> tuple[UserDef, Any]:
    """The parsed body and its stored values; one 422 lists every problem of both."""
    parsed = parse_body(UserDef, body)
    problems = list(parsed.problems)
    if parsed.value is None:
        raise InvalidRequest(summarize(problems), problems=problems)
    checked, found = check_user(catalog.metadata_state, users, parsed.value, own=own)
    problems += parsed.without_repeats(found)
    if checked.partner_account is not None:
        _partner_account_exists(connection, catalog, checked.partner_account, problems)
    if problems:
        error = InvalidRequest if parsed.problems else MetadataError
        raise error(f"the user is not valid: {summarize(problems)}", problems=problems)
    return parsed.value, checked


def _credentials_moved(old: datetime, now: datetime) -> datetime:
    """A new `credentials_changed_at`: now, or just after the old one if the clock has not moved."""
    return max(now, old + timedelta(microseconds=1))


def create_user(context: RequestContext, body: Any) -> dict[str, Any]:
    """Create a user from the API shape (`password` optional).

    Raises:
        InvalidRequest, MetadataError: the body breaks a rule (422, every problem listed).
        Forbidden: the caller may not manage users (403).
    """

    def change(connection: Connection, catalog: Catalog, users: list[UserRow]) -> Any:
        definition, checked = _checked(connection, catalog, users, body, own=None)
        now = context.engine.clock()
        user = new_user(
            context.tenant.id,
            email=checked.email,
            name=definition.name,
            now=now,
            password_hash=hash_password(definition.password) if definition.password else None,
            role=definition.role,
            manager_id=checked.manager_id,
            partner_account=checked.partner_account,
            locale=checked.locale,
            permission_sets=checked.permission_sets,
        )
        user = replace(user, active=definition.active)
        details = {k: v for k, v in user_document(user).items() if k != "id"}
        return user, [("user.created", details)]

    return _run(context, change, is_new=True)


def update_user_fields(context: RequestContext, user_id: str, patch: Any) -> dict[str, Any]:
    """Change the keys `patch` sends; `"password"` sets a new one, `"active": false`
    deactivates.

    Raises:
        NotFound: the tenant has no such user (404).
        InvalidRequest, MetadataError: the result breaks a rule (422).
        Conflict: it would leave nobody able to manage users (409).
    """

    def change(connection: Connection, catalog: Catalog, users: list[UserRow]) -> Any:
        own = _find(users, user_id)
        if not isinstance(patch, dict):
            problem = Problem("", "invalid-type", "send a JSON object of the user keys to change")
            raise InvalidRequest(summarize([problem]), problems=[problem])
        current = {k: v for k, v in user_document(own).items() if k != "id"}
        definition, checked = _checked(connection, catalog, users, {**current, **patch}, own=own)
        now = context.engine.clock()
        user = replace(
            own,
            email=checked.email,
            name=definition.name,
            role=definition.role,
            manager_id=checked.manager_id,
            active=definition.active,
            partner_account=checked.partner_account,
            locale=checked.locale,
            permission_sets=checked.permission_sets,
            updated_at=now,
        )
        events: list[tuple[str, dict[str, Any]]] = []
        changed = {
            k: v
            for k, v in user_document(user).items()
            if k not in ("id", "active") and current[k] != v
        }
        if changed:
            events.append(("user.changed", changed))
        moves_credentials = definition.password is not None or (own.active and not user.active)
        if definition.password is not None:
            user = replace(user, password_hash=hash_password(definition.password))
            events.append(("user.password_changed", {}))
        if own.active != user.active:
            events.append(("user.deactivated" if own.active else "user.reactivated", {}))
        if moves_credentials:
            user = replace(
                user, credentials_changed_at=_credentials_moved(own.credentials_changed_at, now)
            )
        return user, events

    return _run(context, change, is_new=False)


def deactivate_user(context: RequestContext, user_id: str) -> dict[str, Any]:
    """Deactivate a user: they can no longer log in, and their keys and tokens die at once.

    Raises:
        NotFound: the tenant has no such user (404).
        Conflict: they are the last active user who may manage users (409).
    """
    return update_user_fields(context, user_id, {"active": False})
