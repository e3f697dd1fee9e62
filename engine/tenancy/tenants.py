"""Create and list tenants; each tenant owns one database schema."""

from __future__ import annotations

import logging
import re

from sqlalchemy.schema import CreateSchema
from uuid_utils.compat import uuid7

from engine.access import DEFAULT_ADMIN_EMAIL, create_access_tables, create_first_admin
from engine.access.upkeep import users_changed
from engine.context import EngineContext, TenantRef
from engine.database import tenant_connection
from engine.errors import Conflict, MetadataError, NotFound, Problem
from engine.history import create_history_table
from metadata.store import TenantRow, find_tenant, insert_tenant, list_tenants

logger = logging.getLogger(__name__)

_TENANT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def schema_name_for(tenant_name: str) -> str:
    """Return the database schema of a tenant name."""
    return "t_" + tenant_name.replace("-", "_")


def create_tenant(
    context: EngineContext, name: str, *, admin_email: str = DEFAULT_ADMIN_EMAIL
) -> TenantRow:
    """Create a tenant, its schema and its first admin user in one transaction.

    The schema starts with the tenant's own tables (`_field_history`, and record sharing's
    `_access_*`) and no object.

    The admin user holds the `administrator` permission set and has no password: it acts
    through API keys (`create_api_key`) until one is set.

    Raises:
        MetadataError: the name is not a lowercase slug.
        Conflict: a tenant with this name (or schema) exists.
    """
    if not _TENANT_NAME.match(name):
        raise MetadataError(
            f"tenant name {name!r} is not valid",
            problems=[
                Problem(
                    "/name",
                    "invalid-name",
                    "use 1-40 lowercase letters, digits, '-' or '_', starting with a letter",
                )
            ],
        )
    schema = schema_name_for(name)
    with context.db.connect() as connection:
        if find_tenant(connection, name) is not None:
            raise Conflict(f"tenant {name!r} already exists")
    tenant = TenantRow(
        id=uuid7(), name=name, schema_name=schema, revision=0, created_at=context.clock()
    )
    with (
        tenant_connection(context.db, schema, is_schema_change=True) as connection,
        connection.begin(),
    ):
        if any(row.schema_name == schema for row in list_tenants(connection)):
            raise Conflict(f"tenant {name!r} clashes with an existing tenant's schema {schema!r}")
        insert_tenant(connection, tenant)
        create_first_admin(connection, tenant.id, now=tenant.created_at, email=admin_email)
        if context.dialect_name == "postgresql":
            connection.execute(CreateSchema(schema))
        create_history_table(connection, schema)
        create_access_tables(connection, schema)
        users_changed(
            connection,
            context,
            TenantRef(id=tenant.id, name=name, schema_name=schema, revision=tenant.revision),
        )
    logger.info("created tenant %s", name)
    return tenant


def get_tenant(context: EngineContext, name: str) -> TenantRef:
    """Return the tenant with this name.

    Raises:
        NotFound: there is no such tenant.
    """
    with context.db.connect() as connection:
        row = find_tenant(connection, name)
    if row is None:
        raise NotFound(f"there is no tenant {name!r}; `tessera tenant list` shows them")
    return TenantRef(id=row.id, name=row.name, schema_name=row.schema_name, revision=row.revision)


def all_tenants(context: EngineContext) -> list[TenantRow]:
    """Return every tenant."""
    with context.db.connect() as connection:
        return list_tenants(connection)
