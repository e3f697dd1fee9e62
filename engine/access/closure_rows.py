"""Bring `_access_owners` in line with the tenant's users and settings.

The closure is computed whole (`closure.py`: pure, over the tenant's users, roles,
groups and partner accounts) and compared with the rows stored; only the difference is
written, so a change that moves one user rewrites that user's rows and those of the
people who see them, not the tenant's.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.engine import Connection

from engine.access.closure import UserFacts, compute_closure
from engine.access.sharing_settings import sharing_settings
from engine.access.sharing_tables import refresh_statistics, tables_of
from engine.catalog import Catalog
from metadata.models import FieldType
from metadata.store import list_users


@dataclass(frozen=True)
class ClosureChanges:
    """How many rows a rebuild added and removed."""

    added: int
    removed: int


def rebuild_closure(connection: Connection, catalog: Catalog) -> ClosureChanges:
    """Write the difference between the stored closure and the one the tenant implies now."""
    state = catalog.metadata_state
    settings = sharing_settings(catalog)
    users = [
        UserFacts(
            id=user.id,
            email=user.email,
            role=user.role,
            partner_account=user.partner_account,
            active=user.active,
        )
        for user in list_users(connection, state.tenant_id)
    ]
    closure = compute_closure(
        users, settings, account_parents=_account_parents(connection, catalog)
    )
    owners = tables_of(catalog).owners
    stored_owners = {
        (row.viewer_id, row.owner_id): row.access
        for row in connection.execute(
            select(owners.c.viewer_id, owners.c.owner_id, owners.c.access)
        )
    }
    gone_owners = [
        pair for pair, access in stored_owners.items() if closure.owners.get(pair) != access
    ]
    new_owners = [
        (pair, access)
        for pair, access in closure.owners.items()
        if stored_owners.get(pair) != access
    ]
    if gone_owners:
        connection.execute(
            delete(owners).where(
                owners.c.viewer_id == bindparam("v"), owners.c.owner_id == bindparam("o")
            ),
            [{"v": viewer, "o": owner} for viewer, owner in gone_owners],
        )
    if new_owners:
        connection.execute(
            insert(owners),
            [
                {"viewer_id": viewer, "owner_id": owner, "access": access}
                for (viewer, owner), access in new_owners
            ],
        )
    refresh_statistics(connection, owners, changed=len(gone_owners) + len(new_owners))
    return ClosureChanges(added=len(new_owners), removed=len(gone_owners))


def _account_parents(connection: Connection, catalog: Catalog) -> dict[UUID, UUID | None]:
    """Each partner account's parent account, read from the partner object's table."""
    partner = sharing_settings(catalog).partner
    if partner is None or partner.parent_field is None:
        return {}
    obj = catalog.objects.get(partner.object)
    parent = obj.fields.get(partner.parent_field) if obj is not None else None
    if (
        obj is None
        or parent is None
        or parent.state.definition.type
        not in (
            FieldType.LOOKUP,
            FieldType.MASTER_DETAIL,
        )
    ):
        return {}
    table = obj.table
    column = table.c[parent.state.column_name]
    return {
        row[0]: row[1]
        for row in connection.execute(select(table.c.id, column).where(column.is_not(None)))
    }
