"""The metadata store: system tables and the functions that read and write them."""

from metadata.store.metadata_rows import (
    StaleRevision,
    count_revisions,
    current_revision,
    hold_revision,
    list_revisions,
    load_tenant_metadata,
    save_tenant_metadata,
)
from metadata.store.tables import (
    api_keys,
    components,
    counters,
    fields,
    objects,
    revisions,
    system_metadata,
    tenants,
)
from metadata.store.tenant_rows import (
    ApiKeyRow,
    KeyOwner,
    TenantRow,
    find_key_owner,
    find_tenant,
    insert_api_key,
    insert_tenant,
    list_api_keys,
    list_tenants,
    revoke_api_key,
)
from metadata.store.utc_datetime import UtcDateTime

__all__ = [
    "ApiKeyRow",
    "KeyOwner",
    "StaleRevision",
    "TenantRow",
    "UtcDateTime",
    "api_keys",
    "components",
    "count_revisions",
    "counters",
    "current_revision",
    "fields",
    "find_key_owner",
    "find_tenant",
    "hold_revision",
    "insert_api_key",
    "insert_tenant",
    "list_api_keys",
    "list_revisions",
    "list_tenants",
    "load_tenant_metadata",
    "objects",
    "revisions",
    "revoke_api_key",
    "save_tenant_metadata",
    "system_metadata",
    "tenants",
]
