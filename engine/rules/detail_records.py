"""Records a deletion takes along: master-detail children, and theirs, at every depth.

The database deletes them (ON DELETE CASCADE), so whoever must know about them (the
roll-ups they fed, the after-write hooks, the lookups pointing at them) finds them here,
before the delete runs. `detail_objects` answers from the compiled rules alone which
objects can be concerned, so a deletion looks for records only where some can be.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject


@dataclass(frozen=True)
class DetailRecords:
    """Records of one object that a deletion takes along with their parents."""

    obj: CompiledObject
    ids: Sequence[UUID]


def detail_records(
    connection: Connection,
    catalog: Catalog,
    obj: CompiledObject,
    ids: Collection[UUID],
    *,
    query: Select[Any] | None = None,
) -> list[DetailRecords]:
    """The records that deleting `ids` of `obj` deletes too, parents before their children.

    One query per reference and level; an object without master-detail children costs
    none. A record met before (a cycle in a hierarchy) is not walked again. `query`, a
    query of those of `ids` the deletion will really remove, starts the walk instead of
    `ids`: nothing is found for a deletion that will remove nothing.
    """
    found: list[DetailRecords] = []
    if not obj.rules.details:
        return found
    seen: set[tuple[str, UUID]] = {(obj.state.api_name, i) for i in ids}
    start: Sequence[UUID] | Select[Any] = list(ids) if query is None else query
    frontier: list[tuple[CompiledObject, Sequence[UUID] | Select[Any]]] = [(obj, start)]
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


def detail_objects(catalog: Catalog, obj: CompiledObject) -> list[CompiledObject]:
    """The objects whose records a deletion of `obj`'s records can take along, at any depth.

    Read from the compiled rules, without a query; `obj` itself is among them only when
    its records can go with records of its own (a master-detail hierarchy).
    """
    found: dict[str, CompiledObject] = {}
    frontier = [obj]
    while frontier:
        parent = frontier.pop()
        for detail in parent.rules.details:
            if detail.child not in found:
                found[detail.child] = catalog.objects[detail.child]
                frontier.append(found[detail.child])
    return list(found.values())
