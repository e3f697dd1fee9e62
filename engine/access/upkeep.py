"""Keep what record sharing derives from users, roles, groups and rules up to date.

Called in the transaction of every change that moves who sees what: a user created,
changed or deactivated (role, manager, partner account), and (from the metadata change
path) roles, groups, sharing rules and partner settings.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from engine.context import EngineContext, RequestContext, TenantRef
from metadata.models import TenantMetadata


def users_changed(connection: Connection, engine: EngineContext, tenant: TenantRef) -> None:
    """Bring the tenant's sharing data up to date after its users changed.

    Record sharing fills this in; until then nothing is derived from users.
    """


def metadata_changed(
    connection: Connection, context: RequestContext, *, old: TenantMetadata, new: TenantMetadata
) -> None:
    """Bring the tenant's sharing data up to date after a metadata change, in its transaction.

    `context` is at the change's new revision (its catalog is `new`, compiled). Record
    sharing fills this in: roles, groups, sharing settings and rules, partner settings.
    """
