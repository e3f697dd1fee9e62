"""Compute formulas and roll-ups for records that exist when the definition changes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.catalog.expression_references import expression_sites, references, rewrite_spans
from engine.catalog.field_users import field_users
from engine.catalog.rules import RollupLink, rollup_link_field
from engine.expressions import EvaluationContext, FunctionSignature
from engine.query.filter_keys import map_filter_keys
from engine.rules.cascade import Cascade
from engine.rules.cascade_writes import CascadeWrites
from engine.rules.hierarchy import bottom_up_order, loop_error, settle_limit
from engine.rules.rollups import refresh_rollups
from metadata.models import FieldState, FieldType, ObjectState, TenantMetadata

_CHUNK = 2_000


@dataclass(frozen=True)
class Refresh:
    """A computed field whose stored values must be (re)computed.

    `reads` names the field (`deal.probability`) whose stored values the change
    rewrites, when that is why; otherwise the field itself is new or computes
    something else now.
    """

    object: str
    field: str
    kind: str
    reads: str | None = None

    def describe(self) -> str:
        """`compute formula deal.total for existing records`, or why it is recomputed."""
        if self.reads is None:
            return f"compute {self.kind} {self.object}.{self.field} for existing records"
        return (
            f"recompute {self.kind} {self.object}.{self.field} for existing records: "
            f"it reads {self.reads}, whose stored values the change rewrites"
        )

    @property
    def reason(self) -> str:
        """Why the records are touched, as the plan's `rows_touched` says it."""
        if self.reads is None:
            return f"{self.kind} computed for existing records"
        return f"{self.kind} recomputed: it reads {self.reads}, whose values change"


def refreshes(
    old: TenantMetadata, new: TenantMetadata, functions: Mapping[str, FunctionSignature]
) -> list[Refresh]:
    """Computed fields of `new` that are new, restored, or compute something else now.

    A rewrite that only follows a rename computes the same thing and needs no refresh:
    expressions are compared with every field they name replaced by its id.
    """
    before = _meanings(old, functions)
    after = _meanings(new, functions)
    found = []
    for obj in new.live_objects:
        for field in obj.live_fields:
            kind = _computed_kind(field)
            if kind is None:
                continue
            if before.get(field.id) != after.get(field.id):
                found.append(Refresh(obj.api_name, field.api_name, kind))
    return found


def downstream_refreshes(
    old: TenantMetadata,
    new: TenantMetadata,
    rewritten: Collection[tuple[str, str]],
    functions: Mapping[str, FunctionSignature],
) -> list[Refresh]:
    """The computed fields of `new` that read fields whose stored values a change rewrites.

    `rewritten` holds (object, field) pairs of `new`: values converted by a type change
    (forced ones emptied), removed picklist values, empty values filled by a default.
    A field brought back from deletion counts too, as do the fields of a restored
    object: their values reappear. Each formula (on the object, or reading the field
    through a lookup path) and roll-up (aggregating, filtering on or following the
    field) that reads one is recomputed for every record; what those recomputations
    change is then followed by the cascade like any save, so everything downstream
    is refreshed from this one list of direct readers.
    """
    found: dict[tuple[str, str], Refresh] = {}
    for root in sorted(set(rewritten) | _restored_fields(old, new)):
        reads = f"{root[0]}.{root[1]}"
        # Readers of readers are listed too, so the plan names every field that moves.
        pending = [root]
        while pending:
            object_name, field_name = pending.pop()
            for user in field_users(new, object_name, field_name, functions):
                kind = _USER_KINDS.get(user.kind)
                if kind is None or (user.object, user.name) in found:
                    continue
                found[(user.object, user.name)] = Refresh(user.object, user.name, kind, reads)
                pending.append((user.object, user.name))
    return list(found.values())


#: The users of a field whose stored values depend on it.
_USER_KINDS = {"formula": "formula", "roll-up": "roll-up"}


def _restored_fields(old: TenantMetadata, new: TenantMetadata) -> set[tuple[str, str]]:
    """(object, field) of `new` that are live again after being deleted in `old`."""
    restored = set()
    old_objects = {obj.id: obj for obj in old.objects}
    for obj in new.live_objects:
        before = old_objects.get(obj.id)
        was_deleted = before is None or before.is_deleted
        old_fields = {f.id: f for f in before.fields} if before is not None else {}
        for field in obj.live_fields:
            previous = old_fields.get(field.id)
            if previous is not None and (was_deleted or previous.is_deleted):
                restored.add((obj.api_name, field.api_name))
    return restored


def _computed_kind(field: FieldState) -> str | None:
    if field.definition.type is FieldType.FORMULA:
        return "formula"
    if field.definition.type is FieldType.ROLLUP_SUMMARY:
        return "roll-up"
    return None


def _meanings(
    state: TenantMetadata, functions: Mapping[str, FunctionSignature]
) -> dict[object, object]:
    ids = {
        (obj.api_name, field.api_name): str(field.id)
        for obj in state.live_objects
        for field in obj.live_fields
    }
    canonical: dict[object, object] = {}
    by_name = {obj.api_name: obj for obj in state.live_objects}
    for site in expression_sites(state):
        if site.kind != "formula":
            continue
        field = by_name[site.object].find_field(site.name)
        assert field is not None
        text = site.source
        for ref in sorted(references(state, site, functions), key=lambda r: -r.start):
            identity = ids.get((ref.object, ref.field))
            if identity is not None:
                text = rewrite_spans(text, [(ref.start, ref.end)], f"«{identity}»")
        canonical[field.id] = (text, field.definition.return_type, field.definition.scale)
    for obj in state.live_objects:
        for field in obj.live_fields:
            rollup = field.definition.rollup
            if field.definition.type is FieldType.ROLLUP_SUMMARY and rollup is not None:
                child = by_name.get(rollup.child)
                target = child.find_field(rollup.field) if child and rollup.field else None
                # The lookup followed to the parent is part of the meaning: deleting the
                # first of two lookups to the parent makes the roll-up follow the other,
                # and a roll-up re-pointed to another `link` counts other children.
                link = rollup_link_field(child, obj.api_name, link=rollup.link) if child else None
                canonical[field.id] = (
                    child.id if child else None,
                    link.id if link else None,
                    target.id if target else None,
                    rollup.function,
                    repr(_filter_by_ids(rollup.filter or {}, child)),
                )
    return canonical


def _filter_by_ids(document: Mapping[str, Any], child: ObjectState | None) -> Any:
    """A roll-up filter with field names replaced by field ids (renames do not change it)."""

    def identity(head: str) -> str:
        field = child.find_field(head) if child else None
        return str(field.id) if field else head

    return map_filter_keys(document, identity)


def run_refreshes(
    connection: Connection,
    catalog: Catalog,
    planned: list[Refresh],
    *,
    writes: CascadeWrites,
    new_context: Callable[[], EvaluationContext],
) -> int:
    """Compute the planned fields for every existing record; return how many values changed.

    An object that is a hierarchy (roll-ups over its own records) is rebuilt from its
    leaves to its roots, its own roll-ups and formulas level by level, so each record
    is computed once from final values below it.
    """
    cascade = Cascade(
        connection=connection, catalog=catalog, writes=writes, new_context=new_context
    )
    changed = 0
    hierarchies = sorted(
        {
            r.object
            for r in planned
            if hierarchy_links(catalog.objects[r.object])
            and (r.kind == "formula" or _is_self_rollup(catalog, r))
        }
    )
    for name in hierarchies:
        changed += _rebuild_hierarchy(
            connection, catalog, cascade, catalog.objects[name], writes=writes
        )
    for name in sorted({r.object for r in planned if r.kind == "formula"} - set(hierarchies)):
        obj = catalog.objects[name]
        for ids in _id_chunks(connection, catalog, name):
            changed += len(cascade.recompute(obj, ids))
    for refresh in planned:
        if refresh.kind != "roll-up" or refresh.object in hierarchies:
            continue
        parent = catalog.objects[refresh.object]
        state = parent.fields[refresh.field].state.definition.rollup
        assert state is not None
        child = catalog.objects[state.child]
        link = next(link for link in child.rules.rollups if link.field == refresh.field)
        for ids in _id_chunks(connection, catalog, refresh.object):
            result = refresh_rollups(
                connection, catalog, child=child, links=[link], parent_ids=ids, writes=writes
            )
            changed += len(result)
            cascade.recompute(parent, [], changed=result)
    return changed


def hierarchy_links(obj: CompiledObject) -> list[RollupLink]:
    """The roll-ups `obj` keeps over its own records (empty unless it is a hierarchy)."""
    return [link for link in obj.rules.rollups if link.parent == obj.state.api_name]


def _is_self_rollup(catalog: Catalog, refresh: Refresh) -> bool:
    links = hierarchy_links(catalog.objects[refresh.object])
    return refresh.kind == "roll-up" and any(link.field == refresh.field for link in links)


def _rebuild_hierarchy(
    connection: Connection,
    catalog: Catalog,
    cascade: Cascade,
    obj: CompiledObject,
    *,
    writes: CascadeWrites,
) -> int:
    """Recompute a hierarchy's own roll-ups and formulas, from its leaves to its roots.

    The levels follow every lookup of the object to itself at once (see
    `bottom_up_order`), and each record's roll-ups over all of them are recomputed
    together, so a roll-up over one lookup that sums values fed by another is right. A
    level holding records of a loop across lookups is recomputed until it settles.

    Raises:
        RecordValidationError: a cycle through one lookup, or a loop whose values never
            settle.
    """
    links = hierarchy_links(obj)
    order = bottom_up_order(connection, obj, links=sorted({link.link for link in links}))
    changed: set[UUID] = set()
    for level in order.levels:
        looped = [record_id for record_id in level if record_id in order.looped]
        ids = level
        for _ in range(settle_limit(len(level), len(links))):
            moved: set[UUID] = set()
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                fresh = refresh_rollups(
                    connection, catalog, child=obj, links=links, parent_ids=chunk, writes=writes
                )
                moved |= cascade.recompute(obj, chunk, changed=fresh, is_climbed=True)
            changed |= moved
            # Only a record of a loop feeds a record of its own level.
            ids = looped if moved.intersection(looped) else []
            if not ids:
                break
        else:
            raise loop_error(obj, sorted({link.link for link in links}), looped)
    return len(changed)


def _id_chunks(connection: Connection, catalog: Catalog, object_name: str) -> list[list[UUID]]:
    table = catalog.objects[object_name].table
    ids: list[UUID] = list(connection.execute(select(table.c.id).order_by(table.c.id)).scalars())
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]
