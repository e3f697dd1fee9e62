"""Walk hierarchies: records of one object linked to records of the same object.

An account whose `parent` lookup points at another account, and whose roll-ups sum
its child accounts, forms a tree. Its roll-ups are right only when every record is
recomputed after the records below it, so both walks here return records in levels,
each level to be recomputed after the ones before it:

- `climb_order` starts from the parents of changed records and climbs to the roots
  (one query per level), for a save;
- `bottom_up_order` orders a whole object from its leaves to its roots, for a
  recalculation.

An object can have several lookups to itself (`parent`, `billing_parent`), each with
roll-ups of its own. Both walks follow all of them at once: a record's level is its
height, the longest chain of self-lookups (through any of them) from the record up to a
root, so every record comes before each of its ancestors through every lookup. That is
what makes one pass exact when a roll-up over one lookup sums values that depend on
roll-ups over another, and it is the one lock order of every climb (see `climb_order`).

A record can never be its own ancestor through one lookup: the write that would close
a cycle is refused with a 422, and a cycle found in stored data (written before the
roll-up existed) is reported rather than followed forever. Records can be each other's
ancestors through different lookups (x's `parent` is y, y's `billing_parent` is x):
that is a loop, not a cycle, and is allowed. Its records share a level (`looped`), which
the caller recomputes until its values settle.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import CompiledObject
from engine.errors import Problem, RecordValidationError

_CHUNK = 500


@dataclass(frozen=True)
class Climb:
    """Records of a hierarchy in the order to recompute them.

    Attributes:
        levels: the records by height (see the module docstring), the highest first,
            ids in order within a level.
        parents: each record's parent through each self-lookup that has one.
        looped: records that are each other's ancestors through different lookups; a
            level holding some must be recomputed until its values settle.
    """

    levels: list[list[UUID]]
    parents: dict[UUID, dict[str, UUID]]
    looped: frozenset[UUID]


def climb_order(
    connection: Connection,
    obj: CompiledObject,
    *,
    links: Sequence[str],
    seeds: Collection[UUID],
    moved: Mapping[str, Collection[UUID]],
) -> Climb:
    """Return `seeds` and all their ancestors through the lookups `links`, in levels.

    A record reached from several seeds, or through several lookups, comes once.

    Lock order: a climb locks level by level, the highest first, ids in order within
    a level. Height is the same for every transaction and drops from a record to each
    of its parents through every lookup, so this is one global order, children before
    parents, whichever chains a save climbs: as a save already holds its own records
    before their ancestors, two climbs never wait for each other in a circle. Only
    records of a loop across lookups (`Climb.looped`) share a level although one is
    the other's ancestor; no order can put each before the other, and two saves of
    such records can still deadlock (PostgreSQL then ends one of them).

    Raises:
        RecordValidationError: records form a cycle through one lookup; a record of
            `moved[link]` (written with a new value of that lookup) in it is named as
            the cause.
    """
    columns = [obj.fields[link].column for link in links]
    table = obj.table
    seen: set[UUID] = set()
    parents: dict[UUID, dict[str, UUID]] = {}
    frontier = set(seeds)
    while frontier:
        seen |= frontier
        ordered = sorted(frontier)
        frontier = set()
        for start in range(0, len(ordered), _CHUNK):
            rows = connection.execute(
                select(table.c.id, *columns).where(table.c.id.in_(ordered[start : start + _CHUNK]))
            )
            for row in rows:
                found = _parents_of(links, row[1:])
                if found:
                    parents[row[0]] = found
                    frontier.update(found.values())
        # A record met before is not walked again: in a cycle (refused below) or a
        # loop across lookups, the same records would come back for ever.
        frontier -= seen
    return _order(obj, links=links, parents=parents, records=seen, moved=moved)


def bottom_up_order(connection: Connection, obj: CompiledObject, *, links: Sequence[str]) -> Climb:
    """Return every record of `obj` in levels, the highest first and the roots last.

    Raises:
        RecordValidationError: some records form a cycle through one of `links`.
    """
    columns = [obj.fields[link].column for link in links]
    records: list[UUID] = []
    parents: dict[UUID, dict[str, UUID]] = {}
    for row in connection.execute(select(obj.table.c.id, *columns).order_by(obj.table.c.id)):
        records.append(row[0])
        found = _parents_of(links, row[1:])
        if found:
            parents[row[0]] = found
    return _order(obj, links=links, parents=parents, records=records, moved={})


def _parents_of(links: Sequence[str], values: Iterable[UUID | None]) -> dict[str, UUID]:
    return {link: value for link, value in zip(links, values, strict=True) if value is not None}


def _order(
    obj: CompiledObject,
    *,
    links: Sequence[str],
    parents: dict[UUID, dict[str, UUID]],
    records: Collection[UUID],
    moved: Mapping[str, Collection[UUID]],
) -> Climb:
    """Put `records` (closed under `parents`) in levels by height, checking for cycles."""
    for link in links:
        cycle = _cycle(parents, link)
        if cycle:
            raise cycle_error(obj, link, cycle, moved=moved.get(link, ()))
    groups = _loops(parents, records)
    height: dict[int, int] = {}
    group_of = {record_id: index for index, group in enumerate(groups) for record_id in group}
    # `_loops` lists each group after every group its records' parents belong to.
    for index, group in enumerate(groups):
        height[index] = max(
            (
                height[group_of[parent]] + 1
                for record_id in group
                for parent in parents.get(record_id, {}).values()
                if group_of.get(parent, index) != index
            ),
            default=0,
        )
    levels: dict[int, list[UUID]] = {}
    for index, group in enumerate(groups):
        levels.setdefault(height[index], []).extend(group)
    return Climb(
        levels=[sorted(levels[key]) for key in sorted(levels, reverse=True)],
        parents=parents,
        looped=frozenset(r for group in groups if len(group) > 1 for r in group),
    )


def _cycle(parents: Mapping[UUID, Mapping[str, UUID]], link: str) -> list[UUID]:
    """The records of a cycle through `link` (none: an empty list)."""
    done: set[UUID] = set()
    for start in sorted(parents):
        path: list[UUID] = []
        on_path: set[UUID] = set()
        current: UUID | None = start
        while current is not None and current not in done:
            if current in on_path:
                return path[path.index(current) :]
            on_path.add(current)
            path.append(current)
            current = parents.get(current, {}).get(link)
        done |= on_path
    return []


def _loops(parents: Mapping[UUID, Mapping[str, UUID]], records: Iterable[UUID]) -> list[list[UUID]]:
    """Group records that are each other's ancestors (Tarjan's strongly connected parts).

    Groups come parents first: each after every group its records' parents are in.
    Without a loop across lookups, each record is a group of its own.
    """
    index: dict[UUID, int] = {}
    low: dict[UUID, int] = {}
    stack: list[UUID] = []
    on_stack: set[UUID] = set()
    groups: list[list[UUID]] = []
    for root in sorted(records):
        if root in index:
            continue
        # An explicit stack of (record, its parents not yet visited): trees are deep.
        work = [(root, iter(sorted(parents.get(root, {}).values())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            record_id, pending = work[-1]
            step = next(pending, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(parents.get(step, {}).values()))))
                elif step in on_stack:
                    low[record_id] = min(low[record_id], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[record_id])
            if low[record_id] == index[record_id]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == record_id:
                        break
                groups.append(group)
    return groups


def settle_limit(records: int, rollups: int) -> int:
    """How many times a level with records of a loop is recomputed before giving up.

    Without values feeding themselves round the loop, each pass settles at least one
    more roll-up of one record, so `records * rollups` passes and one to see nothing
    move are enough.
    """
    return records * rollups + 1


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


def loop_error(
    obj: CompiledObject, links: Sequence[str], records: Iterable[UUID]
) -> RecordValidationError:
    """The 422 of a loop across lookups whose roll-ups read each other and never settle."""
    involved = sorted(records)
    name = obj.state.api_name
    shown = ", ".join(str(record_id) for record_id in involved[:5])
    through = " and ".join(repr(link) for link in links)
    detail = (
        f"{name} records are each other's ancestors through {through} ({shown}"
        f"{', …' if len(involved) > 5 else ''}) and their roll-ups read each other, so "
        f"their values never settle; change one of these lookups so the records no "
        "longer loop"
    )
    return RecordValidationError(
        detail,
        problems=[Problem(f"/{link}", "hierarchy-cycle", detail) for link in links],
        extra={"object": name, "field": links[0], "records": [str(r) for r in involved[:20]]},
    )
