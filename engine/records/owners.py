"""Who may own a record, and who may give it away (stages 1 and 6 of a save).

A record's `owner_id` is set on create (its creator unless the body names another) and
changed by an update: a transfer. Whatever path writes it, the owner named must be an
active user of the record's tenant or a queue (a group of kind `queue`, which owns records
until someone takes them): anything else is one problem at `/owner_id`. A transfer needs
the standing sharing the record needs (`sharers.py`): edit access alone lets a user change
the record, not give it to someone else or take it (docs/permissions.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.context import RequestContext
from engine.errors import PermissionDenied, Problem
from engine.records.sharers import can_stand_for, who_may_share
from engine.rules.evaluate import RecordSave
from metadata.models import ComponentKind, GroupKind
from metadata.store.tables import users

#: Owners looked up by one query at most (a batch names few distinct owners).
_QUERY_SIZE = 1000


def queue_ids(catalog: Catalog) -> frozenset[UUID]:
    """The ids of the tenant's queues: the groups that may own records."""
    return catalog.statements.get_or_build(
        ("queue-ids",),
        lambda: frozenset(
            component.id
            for component in catalog.metadata_state.components_of(ComponentKind.GROUP)
            if component.definition.get("kind") == GroupKind.QUEUE.value
        ),
    )


def check_owners(
    connection: Connection, *, catalog: Catalog, tenant_id: UUID, saves: Sequence[RecordSave]
) -> dict[UUID, list[Problem]]:
    """The problems of owners `saves` name that are no active user of the tenant nor a queue.

    Returned by record id; records that leave their owner as it is are not looked at.
    """
    # A new record sent without an owner is its creator's; a stored one keeps an owner.
    emptied = {
        save.record_id: [
            Problem(
                f"{save.pointer}/owner_id",
                "invalid-owner",
                "a record always has an owner: give the id of an active user or of a queue",
            )
        ]
        for save in saves
        if not save.is_new and "owner_id" in save.values and save.values["owner_id"] is None
    }
    named = {
        save.record_id: owner
        for save in saves
        if isinstance(owner := save.values.get("owner_id"), UUID)
    }
    if not named:
        return emptied
    queues = queue_ids(catalog)
    wanted = sorted(set(named.values()) - queues)
    active: set[UUID] = set()
    for start in range(0, len(wanted), _QUERY_SIZE):
        query = select(users.c.id).where(
            users.c.tenant_id == tenant_id,
            users.c.active.is_(True),
            users.c.id.in_(wanted[start : start + _QUERY_SIZE]),
        )
        active.update(connection.execute(query).scalars())
    pointers = {save.record_id: save.pointer for save in saves}
    return emptied | {
        record_id: [
            Problem(
                f"{pointers[record_id]}/owner_id",
                "unknown-owner",
                f"owner_id {str(owner)!r} is no active user of this tenant and no queue; "
                "give the id of an active user (GET /api/v1/admin/users) or of a queue",
            )
        ]
        for record_id, owner in named.items()
        if owner not in queues and owner not in active
    }


def refuse_owner_transfers(
    connection: Connection,
    *,
    context: RequestContext,
    catalog: Catalog,
    obj: CompiledObject,
    visible: ColumnElement[bool] | None,
    saves: Sequence[RecordSave],
) -> None:
    """Refuse updates that give records another owner when the caller may not transfer them.

    Only updates naming an owner other than the stored one are transfers; a body sending
    the owner back unchanged is none. Records the caller cannot read (`visible`) are left
    to the write, which reports them as missing.

    Raises:
        PermissionDenied: some update transfers a record the caller does not stand for
            (403), each at its `owner_id`.
    """
    named = {
        save.record_id: (save.values["owner_id"], save.pointer)
        for save in saves
        if not save.is_new and isinstance(save.values.get("owner_id"), UUID)
    }
    if not named:
        return
    table = obj.table
    stored: dict[UUID, UUID | None] = {}
    ids = sorted(named)
    for start in range(0, len(ids), _QUERY_SIZE):
        query = select(table.c.id, table.c.owner_id).where(
            table.c.id.in_(ids[start : start + _QUERY_SIZE])
        )
        if visible is not None:
            query = query.where(visible)
        stored.update({row.id: row.owner_id for row in connection.execute(query)})
    standing: dict[UUID | None, bool] = {}
    refused: list[str] = []
    for record_id, (owner, pointer) in named.items():
        if record_id not in stored or stored[record_id] == owner:
            continue
        current = stored[record_id]
        if current not in standing:
            standing[current] = can_stand_for(
                connection, context=context, catalog=catalog, obj=obj, owner_id=current
            )
        if not standing[current]:
            refused.append(pointer)
    if refused:
        name = obj.state.api_name
        message = (
            f"changing owner_id transfers the {name} record to another owner, which only "
            f"{who_may_share(name)} may do (as for sharing it); you may change the record's "
            "other fields"
        )
        raise PermissionDenied(
            message,
            problems=[
                Problem(f"{pointer}/owner_id", "owner-transfer", message) for pointer in refused
            ],
            extra={"field": "owner_id"},
        )
