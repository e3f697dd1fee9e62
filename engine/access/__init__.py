"""Access control: users, what their permission sets grant, and what they may see."""

from engine.access.enforcement import require_object_right, require_system_right
from engine.access.field_access import CallerAccess, access_of, caller_access, object_access
from engine.access.masking import mask_value
from engine.access.passwords import check_password_rules, hash_password, verify_password
from engine.access.profile import describe_caller
from engine.access.rights import Rights, permission_sets, rights_of
from engine.access.user_changes import (
    create_user,
    deactivate_user,
    get_user_document,
    list_user_documents,
    update_user_fields,
    user_document,
)
from engine.access.user_checks import canonical_locale
from engine.access.users import (
    DEFAULT_ADMIN_EMAIL,
    caller_of,
    create_first_admin,
    email_key,
    new_user,
    normalized_email,
    tenant_admin,
    user_with_email,
)

__all__ = [
    "DEFAULT_ADMIN_EMAIL",
    "CallerAccess",
    "Rights",
    "access_of",
    "caller_access",
    "caller_of",
    "canonical_locale",
    "check_password_rules",
    "create_first_admin",
    "create_user",
    "deactivate_user",
    "describe_caller",
    "email_key",
    "get_user_document",
    "hash_password",
    "list_user_documents",
    "mask_value",
    "new_user",
    "normalized_email",
    "object_access",
    "permission_sets",
    "require_object_right",
    "require_system_right",
    "rights_of",
    "tenant_admin",
    "update_user_fields",
    "user_document",
    "user_with_email",
    "verify_password",
]
