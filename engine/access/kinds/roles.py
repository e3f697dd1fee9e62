"""Roles: the role hierarchy, as a component kind (`/api/v1/admin/roles`).

A role names its parent; the parent must exist and the hierarchy may not loop. A
rename carries along to child roles, groups, sharing rules and the users who hold the
role; a role that child roles, groups, sharing rules or users still name is not removed
(409 naming them).
"""

from __future__ import annotations

from typing import Any

from engine.access.kinds.references import follow_role_rename, refuse_referenced, role_referrers
from engine.access.kinds.users import holders, rename_role_of_users
from engine.errors import Problem
from engine.metadata_changes.components import ComponentChange, ComponentKindSpec
from engine.suggestions import did_you_mean
from metadata.models import ComponentKind, ComponentState, RoleDef, TenantMetadata


def role_parents(state: TenantMetadata) -> dict[str, str | None]:
    """Each role's parent, by role name."""
    return {
        role.api_name: role.definition.get("parent")
        for role in state.components_of(ComponentKind.ROLE)
    }


def check_role(state: TenantMetadata, role: RoleDef, own: ComponentState | None) -> list[Problem]:
    """The problems of `role` in `state`: a parent that does not exist, or a loop."""
    if role.parent is None:
        return []
    parents = role_parents(state)
    if own is not None:
        parents.pop(own.api_name, None)
    parents[role.api_name] = role.parent
    if role.parent not in parents:
        return [
            Problem(
                "/parent",
                "unknown-role",
                f"there is no role {role.parent!r}{did_you_mean(role.parent, parents)}",
            )
        ]
    seen = [role.api_name]
    current: str | None = role.parent
    while current is not None:
        if current in seen:
            loop = " → ".join([*seen, current])
            return [
                Problem("/parent", "role-cycle", f"the hierarchy would loop: {loop}"),
            ]
        seen.append(current)
        current = parents.get(current)
    return []


def guard_role(change: ComponentChange) -> None:
    """Carry a rename along to the role's users; refuse removing a role still named.

    Raises:
        Conflict: the removed role is named by roles, groups, sharing rules or users.
    """
    before, after = change.before, change.after
    if change.is_renamed:
        assert before is not None and after is not None
        rename_role_of_users(change, before.api_name, after.api_name)
    if before is not None and after is None:
        users = [f"user {user.email}" for user in holders(change, role=before.api_name)]
        refuse_referenced(
            "role", before.api_name, role_referrers(change.new, before.api_name) + users
        )


def _check(state: TenantMetadata, definition: Any, own: ComponentState | None) -> list[Problem]:
    return check_role(state, definition, own)


#: The role kind, as the component commands and the admin routes use it.
ROLES = ComponentKindSpec(
    kind=ComponentKind.ROLE,
    model=RoleDef,
    noun="role",
    check=_check,
    follow_rename=follow_role_rename,
    guard=guard_role,
)
