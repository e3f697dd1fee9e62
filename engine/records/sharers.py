"""Who stands for a record: who may share it, transfer it, and what a share may grant.

One decision serves manual shares (`shares.py`) and owner transfers (`owners.py`): a
record's owner, a member of the queue that owns it, a user whose role is above the
owner's, and a user with modify_all on the object stand for the record. A share grants
no more than its sharer may do: `read_write` needs the `edit` right on the object
(docs/sharing.md).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from engine.access import SharingSettings, rights_of, sharing_settings, tables_of
from engine.catalog import Catalog, CompiledObject
from engine.context import Caller, RequestContext
from engine.errors import PermissionDenied
from metadata.models import GroupKind, ObjectRight, ShareAccess
from metadata.store import find_user


def who_may_share(object_name: str) -> str:
    """The users who stand for a record of `object_name`, as refusals name them."""
    return (
        "the record's owner (or a member of the queue that owns it), someone above the "
        f"owner in the role hierarchy, or a user with modify_all on {object_name!r}"
    )


def can_stand_for(
    connection: Connection,
    *,
    context: RequestContext,
    catalog: Catalog,
    obj: CompiledObject,
    owner_id: UUID | None,
) -> bool:
    """Whether the caller may share, or transfer, a record of `obj` owned by `owner_id`."""
    caller = context.caller
    if rights_of(catalog, caller).can(obj.state.api_name, ObjectRight.MODIFY_ALL):
        return True
    if owner_id is None:
        return False
    if owner_id == caller.user_id:
        return True
    settings = sharing_settings(catalog)
    if _is_queue_member(connection, catalog, settings, caller, owner_id):
        return True
    owner = find_user(connection, context.tenant.id, owner_id)
    return (
        owner is not None
        and owner.role in settings.roles
        and caller.role in _roles_above(settings, owner.role)
    )


def require_sharer(
    connection: Connection,
    context: RequestContext,
    catalog: Catalog,
    obj: CompiledObject,
    row: RowMapping,
) -> None:
    """Refuse a caller who may not share the record `row`.

    Raises:
        PermissionDenied: the caller does not stand for the record (403).
    """
    if not can_stand_for(
        connection, context=context, catalog=catalog, obj=obj, owner_id=row["owner_id"]
    ):
        raise PermissionDenied(f"only {who_may_share(obj.state.api_name)} may share it")


def refuse_share_beyond_rights(
    catalog: Catalog, caller: Caller, obj: CompiledObject, access: ShareAccess
) -> None:
    """Refuse a share granting more than the sharer may do: `read_write` without `edit`.

    Raises:
        PermissionDenied: `access` is `read_write` and no set of the caller grants `edit`
            on the object (403, saying that `read` is what they may grant).
    """
    if access is not ShareAccess.READ_WRITE:
        return
    if rights_of(catalog, caller).can(obj.state.api_name, ObjectRight.EDIT):
        return
    raise PermissionDenied(
        f"you may not share a {obj.state.api_name} record with read_write access: none of "
        f"your permission sets grants edit on {obj.state.api_name!r}, and a share grants no "
        'more than its sharer may do; share it with "access": "read"',
        extra={"field": "access", "right": ObjectRight.EDIT.value},
    )


def _is_queue_member(
    connection: Connection,
    catalog: Catalog,
    settings: SharingSettings,
    caller: Caller,
    owner_id: UUID,
) -> bool:
    """Whether `owner_id` is a queue the caller is in (nested groups included).

    Read from `_access_owners`, which holds a queue's members as the viewers of what it
    owns, the rows its members read and change queue records by.
    """
    is_queue = any(
        group.id == owner_id and group.definition.kind is GroupKind.QUEUE
        for group in settings.groups.values()
    )
    if not is_queue:
        return False
    owners = tables_of(catalog).owners
    query = select(owners.c.viewer_id).where(
        owners.c.viewer_id == caller.user_id, owners.c.owner_id == owner_id
    )
    return connection.execute(query).first() is not None


def _roles_above(settings: SharingSettings, role: str | None) -> set[str]:
    above: set[str] = set()
    known = settings.roles.get(role) if role is not None else None
    current = known.definition.parent if known is not None else None
    while current is not None and current in settings.roles and current not in above:
        above.add(current)
        current = settings.roles[current].definition.parent
    return above
