"""Access control: users, what their permission sets grant, and what they may see."""

from engine.access.enforcement import require_object_right, require_system_right
from engine.access.passwords import check_password_rules, hash_password, verify_password
from engine.access.rights import Rights, permission_sets, rights_of
from engine.access.users import (
    DEFAULT_ADMIN_EMAIL,
    caller_of,
    create_first_admin,
    new_user,
    normalized_email,
    tenant_admin,
)

__all__ = [
    "DEFAULT_ADMIN_EMAIL",
    "Rights",
    "caller_of",
    "check_password_rules",
    "create_first_admin",
    "hash_password",
    "new_user",
    "normalized_email",
    "permission_sets",
    "require_object_right",
    "require_system_right",
    "rights_of",
    "tenant_admin",
    "verify_password",
]
