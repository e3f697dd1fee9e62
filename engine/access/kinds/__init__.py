"""The access component kinds: roles, groups (and queues) and permission sets.

Each kind is one module: its model's checks against the metadata, its guard against the
tenant's users, and its `ComponentKindSpec`, which the component commands
(`engine/metadata_changes/components.py`) and the admin routes serve.
"""

from engine.access.kinds.groups import GROUPS, check_group, render_group
from engine.access.kinds.permission_sets import PERMISSION_SETS, check_permission_set
from engine.access.kinds.references import (
    follow_group_rename,
    follow_role_rename,
    group_referrers,
    refuse_referenced,
    role_referrers,
)
from engine.access.kinds.roles import ROLES, check_role, role_parents
from engine.access.kinds.users import keep_a_user_manager, user_managers

__all__ = [
    "GROUPS",
    "PERMISSION_SETS",
    "ROLES",
    "check_group",
    "check_permission_set",
    "check_role",
    "follow_group_rename",
    "follow_role_rename",
    "group_referrers",
    "keep_a_user_manager",
    "refuse_referenced",
    "render_group",
    "role_parents",
    "role_referrers",
    "user_managers",
]
