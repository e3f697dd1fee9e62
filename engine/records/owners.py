"""Who may own a record: an active user of the tenant, or a queue (stage 6 of a save).

A record's `owner_id` is set on create (its creator unless the body names another) and
changed by an update (a transfer, an edit of the record like any other). Whatever path
writes it, the owner named must be an active user of the record's tenant or a queue
(a group of kind `queue`, which owns records until someone takes them): anything else is
one problem at `/owner_id` (docs/permissions.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog
from engine.errors import Problem
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
