"""Records a deletion takes along: master-detail children, and theirs, at every depth.

The database deletes them (ON DELETE CASCADE), so whoever must know about them (the
roll-ups they fed, the after-write hooks) finds them here, before the delete runs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject


@dataclass(frozen=True)
class DetailRecords:
    """Records of one object that a deletion takes along with their parents."""

    obj: CompiledObject
    ids: Sequence[UUID]


def detail_records(
    connection: Connection, catalog: Catalog, obj: CompiledObject, ids: Collection[UUID]
) -> list[DetailRecords]:
    """The records that deleting `ids` of `obj` deletes too, parents before their children.

    One query per reference and level; an object without master-detail children costs
    none. A record met before (a cycle in a hierarchy) is not walked again.
    """
    found: list[DetailRecords] = []
    if not obj.rules.details:
        return found
    seen: set[tuple[str, UUID]] = {(obj.state.api_name, i) for i in ids}
    frontier: list[tuple[CompiledObject, list[UUID]]] = [(obj, list(ids))]
    while frontier:
        parent, parent_ids = frontier.pop()
        for detail in parent.rules.details:
            child = catalog.objects[detail.child]
            reference = child.fields[detail.field].column
            child_ids = [
                i
                for i in connection.execute(
                    select(child.table.c.id).where(reference.in_(parent_ids))
                ).scalars()
                if (child.state.api_name, i) not in seen
            ]
            if not child_ids:
                continue
            seen.update((child.state.api_name, i) for i in child_ids)
            found.append(DetailRecords(child, child_ids))
            frontier.append((child, child_ids))
    return found
