"""What access components need of the tenant's users, read and written in the change's
transaction: who holds a role or a permission set, renames carried along, and the rule
that some active user keeps the right to manage users.
"""

from __future__ import annotations

from engine.access.rights import Rights, permission_sets
from engine.errors import Conflict
from engine.metadata_changes.components import ComponentChange
from metadata.models import SystemRight, TenantMetadata
from metadata.store import UserRow, list_users, update_user


def tenant_users(change: ComponentChange) -> list[UserRow]:
    """The tenant's users, as the change's transaction sees them."""
    return list_users(change.connection, change.tenant_id)


def holders(
    change: ComponentChange, *, role: str | None = None, permission_set: str | None = None
) -> list[UserRow]:
    """The users (active or not) holding role `role` or permission set `permission_set`."""
    return [
        user
        for user in tenant_users(change)
        if (role is not None and user.role == role)
        or (permission_set is not None and permission_set in user.permission_sets)
    ]


def rename_role_of_users(change: ComponentChange, old: str, new: str) -> None:
    """Give the users holding role `old` its new name `new`."""
    for user in holders(change, role=old):
        update_user(change.connection, user.id, role=new)


def rename_set_of_users(change: ComponentChange, old: str, new: str) -> None:
    """Give the users holding permission set `old` its new name `new`."""
    for user in holders(change, permission_set=old):
        renamed = [new if name == old else name for name in user.permission_sets]
        update_user(change.connection, user.id, permission_sets=list(dict.fromkeys(renamed)))


def user_managers(users: list[UserRow], state: TenantMetadata) -> list[UserRow]:
    """The active users whose permission sets in `state` grant `manage_users`."""
    sets = permission_sets(state)
    return [
        user
        for user in users
        if user.active
        and Rights.of(user.permission_sets, sets).has_system(SystemRight.MANAGE_USERS)
    ]


def keep_a_user_manager(change: ComponentChange) -> None:
    """Refuse a change after which no active user could manage users any more.

    Only a change that takes the right from the last ones is refused: a tenant that had
    no such user before (an operator's CLI acts for it) may still change its sets.

    Raises:
        Conflict: the change leaves no active user with `manage_users` (409).
    """
    users = tenant_users(change)
    if user_managers(users, change.new) or not user_managers(users, change.old):
        return
    raise Conflict(
        "after this change no active user would hold the manage_users right, and nobody "
        "could manage users or permission sets any more; keep it in a set an active user "
        "holds (such as 'administrator')",
        extra={"right": SystemRight.MANAGE_USERS.value},
    )
