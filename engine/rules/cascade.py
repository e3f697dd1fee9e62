"""What a saved record changes elsewhere: parents' roll-ups and formulas read through lookups.

After records of an object are written, the cascade recomputes the roll-ups of their
parents (before and after a re-parenting) and the formulas of records that read them
through lookup paths, then follows those changes in turn, up to a fixed depth.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.catalog.rules import FormulaWatch, RollupLink
from engine.errors import Problem, RecordValidationError
from engine.expressions import EvaluationContext
from engine.rules.cascade_writes import CascadeWrites
from engine.rules.detail_records import DetailRecords, detail_records
from engine.rules.evaluate import RecordSave, apply_formulas, bind_context
from engine.rules.hierarchy import Climb, climb_order, loop_error, settle_limit
from engine.rules.path_values import load_path_values
from engine.rules.rollups import add_new_children, is_additive, refresh_rollups
from engine.rules.stored_rows import load_rows, lock_rows

#: How many levels a change may travel (roll-up of a roll-up, formula of a formula, …).
MAX_DEPTH = 5
_CHUNK = 500


@dataclass(slots=True)
class RecordChange:
    """One written record: its values before (None: created) and after (None: deleted).

    `changed` names the fields an update changed; a creation or deletion touches all.
    """

    record_id: UUID
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    changed: frozenset[str] = frozenset()


@dataclass
class PendingDeletion:
    """What a deletion will change, worked out before the rows go."""

    before: Sequence[Mapping[str, Any]]
    cascaded: list[tuple[CompiledObject, RollupLink, set[UUID]]]
    #: The records the deletion takes along (master-detail), parents before children.
    details: Sequence[DetailRecords] = ()


@dataclass
class Cascade:
    """Follows the changes of one save through roll-ups and lookup formulas."""

    connection: Connection
    catalog: Catalog
    #: How recomputed values are written (stamped, reported to the after-write stage).
    writes: CascadeWrites
    new_context: Callable[[], EvaluationContext]
    #: Every record the cascade changed, as (object, id).
    touched: set[tuple[str, UUID]] = field(default_factory=set)

    def follow(
        self,
        obj: CompiledObject,
        changes: Sequence[RecordChange],
        depth: int = 0,
        *,
        is_climbed: bool = False,
    ) -> None:
        """Recompute what `changes` affect, then what that affects, up to MAX_DEPTH.

        A hierarchy (roll-ups over a lookup from `obj` to itself) is climbed to its
        root within one level (see `_climb`); `is_climbed` says the changes come from
        such a climb, whose ancestors are already up to date.
        """
        if not changes or not (obj.rules.rollups or obj.rules.watchers):
            return
        if depth >= MAX_DEPTH:
            raise RecordValidationError(
                f"the change travels through more than {MAX_DEPTH} levels of roll-ups and "
                "formulas; simplify the chain of summaries",
                problems=[Problem("", "cascade-too-deep", "too many levels of roll-ups")],
            )
        self._rollups(obj, changes, depth, is_climbed=is_climbed)
        for watch in obj.rules.watchers:
            self._watch(obj, watch, changes, depth)

    def recompute(
        self,
        obj: CompiledObject,
        ids: Collection[UUID],
        *,
        changed: dict[UUID, set[str]] | None = None,
        is_climbed: bool = False,
    ) -> set[UUID]:
        """Recompute the formulas of `ids` (and of records whose roll-ups `changed`),
        follow what changes, and return the records of `obj` that changed.

        `is_climbed`: the caller recomputes `obj`'s hierarchy itself, bottom-up (a
        recalculation), so the changes are not climbed again here.
        """
        changes = dict(changed or {})
        self._after_recompute(obj, changes, 0, recompute=ids, is_climbed=is_climbed)
        return set(changes)

    def before_delete(
        self, obj: CompiledObject, before: Sequence[Mapping[str, Any]]
    ) -> PendingDeletion:
        """Find, while they can still be found, the records a deletion will change.

        The children the deletion takes along, and the parents they fed. (Records that
        read the deleted ones through lookups lose those lookups before the rows go:
        `engine/rules/cleared_references.py` empties and recomputes them.)
        """
        ids = [values["id"] for values in before]
        details = detail_records(self.connection, self.catalog, obj, ids)
        doomed: set[tuple[str, UUID]] = {(obj.state.api_name, i) for i in ids}
        doomed.update((group.obj.state.api_name, i) for group in details for i in group.ids)
        cascaded: list[tuple[CompiledObject, RollupLink, set[UUID]]] = []
        for group in details:
            child = group.obj
            for link in child.rules.rollups:
                parents = self.connection.execute(
                    select(child.fields[link.link].column)
                    .where(child.table.c.id.in_(group.ids))
                    .distinct()
                ).scalars()
                cascaded.append((child, link, {p for p in parents if isinstance(p, UUID)}))
        # Parents deleted along with the rest need no recomputation; in a hierarchy
        # the survivors are the objects' records the deletion does not reach.
        cascaded = [
            (child, link, {p for p in parents if (link.parent, p) not in doomed})
            for child, link, parents in cascaded
        ]
        return PendingDeletion(
            before=before,
            cascaded=[c for c in cascaded if c[2]],
            details=details,
        )

    def after_delete(self, obj: CompiledObject, pending: PendingDeletion) -> None:
        """Recompute what the deletion changed (see `before_delete`)."""
        deleted = [RecordChange(b["id"], before=b, after=None) for b in pending.before]
        # A hierarchy's surviving parents of records the deletion took along, by object:
        # climbed with the deleted records' own ancestors, in one lock order.
        survivors: dict[str, dict[UUID, set[str]]] = {}
        for child, link, parents in pending.cascaded:
            if link.parent == child.state.api_name:
                seeds = survivors.setdefault(link.parent, {})
                for parent_id in parents:
                    seeds.setdefault(parent_id, set()).add(link.link)
        self.follow(obj, deleted, is_climbed=True)
        self._climb(obj, deleted, 0, seeds=survivors.pop(obj.state.api_name, {}))
        for name, seeds in survivors.items():
            self._climb(self.catalog.objects[name], [], 1, seeds=seeds)
        for child, link, parents in pending.cascaded:
            if link.parent == child.state.api_name:
                continue
            parent = self.catalog.objects[link.parent]
            changed = refresh_rollups(
                self.connection,
                self.catalog,
                child=child,
                links=[link],
                parent_ids=parents,
                writes=self.writes,
            )
            self._after_recompute(parent, changed, 1)

    def _rollups(
        self,
        obj: CompiledObject,
        changes: Sequence[RecordChange],
        depth: int,
        *,
        is_climbed: bool,
    ) -> None:
        created = [change for change in changes if change.before is None and change.after]
        others = [change for change in changes if change.before is not None]
        by_parent: dict[str, list[RollupLink]] = {}
        for link in obj.rules.rollups:
            by_parent.setdefault(link.parent, []).append(link)
        dialect = self.connection.dialect.name
        for parent_name, links in by_parent.items():
            if parent_name == obj.state.api_name:
                if not is_climbed:
                    self._climb(obj, changes, depth)
                continue
            parent = self.catalog.objects[parent_name]
            changed: dict[UUID, set[str]] = {}
            recount = list(others)
            # Folding cannot tell a listener the value before; recounting can.
            if (
                created
                and not self.writes.listens_to(parent, [link.field for link in links])
                and all(is_additive(obj, parent, link, dialect) for link in links)
            ):
                parents = _parents(links, created)
                if len(parents) > 1:
                    lock_rows(self.connection, parent, parents)
                changed = add_new_children(
                    self.connection,
                    self.catalog,
                    child=obj,
                    links=links,
                    children=[(change.record_id, change.after or {}) for change in created],
                    writes=self.writes,
                )
            else:
                recount += created
            ids = _parents([link for link in links if _touches(link, recount)], recount)
            if ids:
                for parent_id, fields in refresh_rollups(
                    self.connection,
                    self.catalog,
                    child=obj,
                    links=links,
                    parent_ids=ids,
                    writes=self.writes,
                ).items():
                    changed.setdefault(parent_id, set()).update(fields)
            self._after_recompute(parent, changed, depth)

    def _watch(
        self, obj: CompiledObject, watch: FormulaWatch, changes: Sequence[RecordChange], depth: int
    ) -> None:
        # A deleted record has no readers left: their lookups to it were emptied before
        # it went (or they went with it).
        ids = {
            change.record_id
            for change in changes
            if change.after is not None and (change.before is None or change.changed & watch.fields)
        }
        if not ids:
            return
        source = self.catalog.objects[watch.source]
        sources = list(self.connection.execute(self._sources(source, watch.chain, ids)).scalars())
        self._after_recompute(source, {}, depth, recompute=sources)

    def _sources(
        self, source: CompiledObject, chain: tuple[str, ...], ids: Collection[Any]
    ) -> Select[Any]:
        """Ids of `source` records whose lookups `chain` lead to one of `ids`."""
        objects = [source]
        for hop in chain[:-1]:
            objects.append(
                self.catalog.objects[objects[-1].fields[hop].state.definition.target or ""]
            )
        wanted: Any = list(ids)
        query: Select[Any] | None = None
        for obj, hop in reversed(list(zip(objects, chain, strict=True))):
            query = select(obj.table.c.id).where(obj.fields[hop].column.in_(wanted))
            wanted = query
        assert query is not None
        return query

    def _after_recompute(
        self,
        obj: CompiledObject,
        changed: dict[UUID, set[str]],
        depth: int,
        *,
        recompute: Collection[UUID] = (),
        is_climbed: bool = False,
    ) -> None:
        ids = set(changed) | set(recompute)
        if obj.rules.formulas and ids:
            for record_id, fields in recompute_formulas(
                self.connection,
                self.catalog,
                obj,
                ids,
                writes=self.writes,
                new_context=self.new_context,
                bumped=set(changed),
            ).items():
                changed.setdefault(record_id, set()).update(fields)
        self.touched.update((obj.state.api_name, record_id) for record_id in changed)
        if changed:
            self.follow(obj, self._recomputed(obj, changed), depth + 1, is_climbed=is_climbed)

    def _recomputed(
        self, obj: CompiledObject, changed: Mapping[UUID, set[str]]
    ) -> list[RecordChange]:
        """Changes of records the cascade recomputed, with the lookups their roll-ups follow.

        A recomputation never moves a record, so its links are the same before and
        after; they are read back so the parents it feeds can be found.
        """
        links = sorted({link.link for link in obj.rules.rollups})
        values: dict[UUID, dict[str, Any]] = {record_id: {} for record_id in changed}
        if links:
            columns = [obj.fields[name].column for name in links]
            ordered = sorted(changed)
            for start in range(0, len(ordered), _CHUNK):
                rows = self.connection.execute(
                    select(obj.table.c.id, *columns).where(
                        obj.table.c.id.in_(ordered[start : start + _CHUNK])
                    )
                )
                for row in rows:
                    values[row[0]] = dict(zip(links, row[1:], strict=True))
        return [
            RecordChange(i, before=values[i], after=values[i], changed=frozenset(f))
            for i, f in changed.items()
        ]

    def _climb(
        self,
        obj: CompiledObject,
        changes: Sequence[RecordChange],
        depth: int,
        *,
        seeds: Mapping[UUID, set[str]] | None = None,
    ) -> None:
        """Recompute the roll-ups `obj` keeps over its own records, up to the roots.

        Each self-lookup (`parent`, `billing_parent`) is a chain of its own: a record's
        parent through a lookup is recomputed when a change below it can move a roll-up
        over that lookup. All chains are climbed together, level by level (see
        `climb_order`), so a record is recomputed after every changed record below it
        through any lookup: a sum of sums is right at each level, even when it sums a
        value that a roll-up over another lookup feeds, and a move (old and new
        parents) or a batch at several depths touches each ancestor only once. Its
        formulas follow its roll-ups; what else the climb changed (other roll-ups,
        lookup formulas) is then followed as one level of the cascade. `seeds` adds
        records to recompute, with the lookups whose roll-ups to refresh (survivors of
        a deletion).
        """
        groups: dict[str, list[RollupLink]] = {}
        for link in obj.rules.rollups:
            if link.parent == obj.state.api_name:
                groups.setdefault(link.link, []).append(link)
        if not groups:
            return
        dirty: dict[UUID, set[str]] = {key: set(value) for key, value in (seeds or {}).items()}
        moved: dict[str, set[UUID]] = {}
        for name, group in groups.items():
            relevant = [link for link in group if _touches(link, changes)]
            for parent_id in _parents(relevant, changes):
                dirty.setdefault(parent_id, set()).add(name)
            moved[name] = {
                change.record_id
                for change in changes
                if change.after is not None and (change.before is None or name in change.changed)
            }
        if not dirty:
            return
        climb = climb_order(self.connection, obj, links=sorted(groups), seeds=dirty, moved=moved)
        changed: dict[UUID, set[str]] = {}
        for level in climb.levels:
            self._settle(obj, level, climb=climb, groups=groups, dirty=dirty, changed=changed)
        self.touched.update((obj.state.api_name, record_id) for record_id in changed)
        if changed:
            self.follow(obj, self._recomputed(obj, changed), depth + 1, is_climbed=True)

    def _settle(
        self,
        obj: CompiledObject,
        level: Sequence[UUID],
        *,
        climb: Climb,
        groups: Mapping[str, Sequence[RollupLink]],
        dirty: dict[UUID, set[str]],
        changed: dict[UUID, set[str]],
    ) -> None:
        """Recompute the records of one level of a climb that `dirty` names.

        Only a seed, or a record a child of which changed a value its roll-ups read,
        is recomputed: a climb stops where the values stop moving. A changed record
        makes its parents dirty through the lookups whose roll-ups read what changed;
        in a loop across lookups that can be a record of the same level, which is then
        recomputed again, until nothing moves.
        """
        rollups = sum(len(group) for group in groups.values())
        for _ in range(settle_limit(len(level), rollups)):
            pending = {record_id: dirty.pop(record_id) for record_id in level if record_id in dirty}
            if not pending:
                return
            # One statement for the level: the roll-ups of every lookup a record of it
            # needs (recomputing one that did not move changes nothing).
            names = sorted(set().union(*pending.values()))
            fresh = refresh_rollups(
                self.connection,
                self.catalog,
                child=obj,
                links=[link for name in names for link in groups[name]],
                parent_ids=pending,
                writes=self.writes,
            )
            if obj.rules.formulas and fresh:
                for record_id, fields in recompute_formulas(
                    self.connection,
                    self.catalog,
                    obj,
                    fresh,
                    writes=self.writes,
                    new_context=self.new_context,
                    bumped=set(fresh),
                ).items():
                    fresh[record_id].update(fields)
            for record_id, fields in fresh.items():
                changed.setdefault(record_id, set()).update(fields)
                for name, parent_id in climb.parents.get(record_id, {}).items():
                    if name in groups and _feeds(groups[name], fields):
                        dirty.setdefault(parent_id, set()).add(name)
        if any(record_id in dirty for record_id in level):
            raise loop_error(obj, sorted(groups), [r for r in level if r in climb.looped])


def _parents(links: Sequence[RollupLink], changes: Sequence[RecordChange]) -> set[UUID]:
    """The parents (before and after) that `changes` of children feed through `links`."""
    return {
        values[link.link]
        for link in links
        for change in changes
        for values in (change.before, change.after)
        if values and values.get(link.link) is not None
    }


def _feeds(links: Sequence[RollupLink], fields: Collection[str]) -> bool:
    """Whether a recomputed child whose `fields` changed can move one of `links`' values."""
    return any(link.filter or link.child_field in fields for link in links)


def _touches(link: RollupLink, changes: Sequence[RecordChange]) -> bool:
    """Whether any change can alter `link`'s value (a filter may read any field)."""
    relevant = None if link.filter else {link.link, link.child_field}
    return any(
        change.before is None
        or change.after is None
        or relevant is None
        or bool(change.changed & relevant)
        for change in changes
    )


def recompute_formulas(
    connection: Connection,
    catalog: Catalog,
    obj: CompiledObject,
    ids: Collection[UUID],
    *,
    writes: CascadeWrites,
    new_context: Callable[[], EvaluationContext],
    bumped: Collection[UUID] = (),
) -> dict[UUID, set[str]]:
    """Recompute the formulas of records `ids`; write and return the fields that changed.

    Records of `bumped` got their new version from this step of the cascade already
    (their roll-ups changed), so their formulas are written without another.
    """
    changed: dict[UUID, set[str]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        rows = load_rows(connection, obj, ordered[start : start + _CHUNK], lock=True)
        saves = [
            RecordSave(record_id=i, is_new=False, values={}, prior=row) for i, row in rows.items()
        ]
        scopes = [save.scope(obj) for save in saves]
        if obj.rules.paths:
            load_path_values(connection, catalog, obj, scopes, obj.rules.paths)
        context = new_context()
        for save, scope in zip(saves, scopes, strict=True):
            bind_context(scope, context, save, obj=obj)
            apply_formulas(obj, save, scope, context)
            if save.problems:
                raise RecordValidationError(
                    f"a change reaches {obj.state.api_name} record {save.record_id}, whose "
                    "formula then fails",
                    problems=save.problems,
                )
            if not save.values:
                continue
            changed[save.record_id] = set(save.values)
            writes.update(
                obj,
                save.record_id,
                save.values,
                before=save.prior,
                is_new_version=save.record_id not in bumped,
            )
    return changed
