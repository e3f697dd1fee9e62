"""Walk hierarchies: records of one object linked to records of the same object.

An account whose `parent` lookup points at another account, and whose roll-ups sum
its child accounts, forms a tree. Its roll-ups are right only when every record is
recomputed after the records below it, so both walks here return records in levels,
each level to be recomputed after the ones before it:

- `climb_order` starts from the parents of changed records and climbs to the roots
  (one query per level), for a save;
- `bottom_up_order` orders a whole object from its leaves to its roots, for a
  recalculation.

A record can never be its own ancestor: the write that would close a cycle is refused
with a 422, and a cycle found in stored data (written before the roll-up existed) is
reported rather than followed forever.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import CompiledObject
from engine.errors import Problem, RecordValidationError

_CHUNK = 500


@dataclass(frozen=True)
class Climb:
    """The ancestors of some records in the order to recompute them.

    `levels` holds the records by depth below their roots, the deepest first;
    `parent_of` the parent of each record of the walk that has one.
    """

    levels: list[list[UUID]]
    parent_of: dict[UUID, UUID]


def climb_order(
    connection: Connection,
    obj: CompiledObject,
    link: str,
    seeds: Collection[UUID],
    *,
    moved: Collection[UUID] = (),
) -> Climb:
    """Return `seeds` and all their ancestors through `link`, in levels to recompute.

    A level holds the records at one depth below their root, the deepest first, so
    every record comes after each record below it, and a record reached from several
    seeds comes once. Depth is the same for every transaction, so locking level by
    level (ids in order within one) takes locks in one global order: deepest first,
    as a save already holds its own record before its ancestors. Two climbs never wait
    for each other in a circle.

    Raises:
        RecordValidationError: the records form a cycle; a record of `moved` (written
            with a new `link` value) in it is named as the cause.
    """
    column = obj.fields[link].column
    table = obj.table
    seen: set[UUID] = set()
    parent_of: dict[UUID, UUID] = {}
    frontier = set(seeds)
    level = 0
    while frontier:
        seen |= frontier
        # Without a cycle the walk ends before it climbs more levels than it has seen
        # records; in one, the same records come back level after level.
        if level > len(seen):
            raise cycle_error(obj, link, _cycle(parent_of, min(frontier)), moved=moved)
        ordered = sorted(frontier)
        frontier = set()
        for start in range(0, len(ordered), _CHUNK):
            rows = connection.execute(
                select(table.c.id, column).where(
                    table.c.id.in_(ordered[start : start + _CHUNK]), column.is_not(None)
                )
            )
            for record_id, parent_id in rows:
                parent_of[record_id] = parent_id
                frontier.add(parent_id)
        level += 1
    levels: dict[int, list[UUID]] = {}
    for record_id, depth in _depths(parent_of, seen).items():
        levels.setdefault(depth, []).append(record_id)
    return Climb(
        levels=[sorted(levels[key]) for key in sorted(levels, reverse=True)],
        parent_of=parent_of,
    )


def _depths(parent_of: dict[UUID, UUID], records: Iterable[UUID]) -> dict[UUID, int]:
    """The distance of each record to its root (the walk reached every root)."""
    depth: dict[UUID, int] = {}
    for start in records:
        path = []
        current = start
        while current not in depth and current in parent_of:
            path.append(current)
            current = parent_of[current]
        base = depth.setdefault(current, 0)
        for offset, record_id in enumerate(reversed(path), start=1):
            depth[record_id] = base + offset
    return depth


def _cycle(parent_of: dict[UUID, UUID], start: UUID) -> list[UUID]:
    """The records of the cycle that the walk up from `start` runs into."""
    seen: list[UUID] = []
    current = start
    while current not in seen:
        seen.append(current)
        current = parent_of[current]
    return seen[seen.index(current) :]


def bottom_up_order(connection: Connection, obj: CompiledObject, link: str) -> list[list[UUID]]:
    """Return every record of `obj` in levels, the deepest first and the roots last.

    Raises:
        RecordValidationError: some records form a cycle through `link`.
    """
    column = obj.fields[link].column
    children: dict[UUID, list[UUID]] = {}
    roots: list[UUID] = []
    total = 0
    for record_id, parent_id in connection.execute(
        select(obj.table.c.id, column).order_by(obj.table.c.id)
    ):
        total += 1
        if parent_id is None:
            roots.append(record_id)
        else:
            children.setdefault(parent_id, []).append(record_id)
    levels: list[list[UUID]] = []
    frontier = roots
    reached = 0
    while frontier:
        levels.append(frontier)
        reached += len(frontier)
        frontier = [child for parent in frontier for child in children.get(parent, ())]
    if reached < total:
        seen = {record_id for level in levels for record_id in level}
        stranded = {child for kids in children.values() for child in kids if child not in seen}
        raise cycle_error(obj, link, stranded)
    levels.reverse()
    return levels


def cycle_error(
    obj: CompiledObject, link: str, records: Iterable[UUID], *, moved: Collection[UUID] = ()
) -> RecordValidationError:
    """The 422 of records that would be (or are) their own ancestors through `link`."""
    involved = sorted(records)
    culprits = [record_id for record_id in involved if record_id in set(moved)]
    name = obj.state.api_name
    if culprits:
        detail = (
            f"{name} record {culprits[0]} cannot be placed under that {link}: it would become "
            f"its own ancestor; choose a {link} that is not the record itself or one of the "
            "records below it"
        )
    else:
        shown = ", ".join(str(record_id) for record_id in involved[:5])
        detail = (
            f"{name} records form a cycle through {link!r} ({shown}"
            f"{', …' if len(involved) > 5 else ''}); set the {link} of one of them to a "
            "record outside the cycle, or empty it"
        )
    return RecordValidationError(
        detail,
        problems=[Problem(f"/{link}", "hierarchy-cycle", detail)],
        extra={"object": name, "field": link, "records": [str(r) for r in involved[:20]]},
    )
