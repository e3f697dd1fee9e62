"""Load a tenant's compiled catalog: from the cache, or compiled from its metadata rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.catalog.compile import Catalog
from engine.database import tenant_connection
from metadata.models import TenantMetadata
from metadata.store import load_tenant_metadata

if TYPE_CHECKING:
    from engine.context import RequestContext


def tenant_catalog(context: RequestContext) -> Catalog:
    """Return the caller's catalog at the tenant's current revision (compiled once per revision)."""
    tenant = context.tenant

    def load() -> TenantMetadata:
        with tenant_connection(context.engine.db, tenant.schema_name) as connection:
            return load_tenant_metadata(connection, tenant.id)

    return context.engine.catalogs.get(tenant.id, tenant.revision, load)
