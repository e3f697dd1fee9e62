"""Access control: users, what their permission sets grant, and what they may see."""

from engine.access.enforcement import require_object_right, require_system_right
from engine.access.field_access import (
    CallerAccess,
    access_of,
    caller_access,
    known_field,
    known_fields,
    object_access,
)
from engine.access.masking import mask_value
from engine.access.passwords import check_password_rules, hash_password, verify_password
from engine.access.profile import describe_caller
from engine.access.rights import Rights, permission_sets, rights_of
from engine.access.rule_conditions import rule_condition
from engine.access.scope import SharingScope, sharing_scope
from engine.access.sharing_settings import (
    SharingRule,
    SharingSettings,
    read_sharing_settings,
    sharing_settings,
)
from engine.access.sharing_tables import (
    MANUAL,
    AccessTables,
    access_tables,
    create_access_tables,
    group_key,
    partner_key,
    role_and_subordinates_key,
    role_key,
    tables_of,
    user_key,
)
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
    "MANUAL",
    "AccessTables",
    "CallerAccess",
    "Rights",
    "SharingRule",
    "SharingScope",
    "SharingSettings",
    "access_of",
    "access_tables",
    "caller_access",
    "caller_of",
    "canonical_locale",
    "check_password_rules",
    "create_access_tables",
    "create_first_admin",
    "create_user",
    "deactivate_user",
    "describe_caller",
    "email_key",
    "get_user_document",
    "group_key",
    "hash_password",
    "known_field",
    "known_fields",
    "list_user_documents",
    "mask_value",
    "new_user",
    "normalized_email",
    "object_access",
    "partner_key",
    "permission_sets",
    "read_sharing_settings",
    "require_object_right",
    "require_system_right",
    "rights_of",
    "role_and_subordinates_key",
    "role_key",
    "rule_condition",
    "sharing_scope",
    "sharing_settings",
    "tables_of",
    "tenant_admin",
    "update_user_fields",
    "user_document",
    "user_key",
    "user_with_email",
    "verify_password",
]
