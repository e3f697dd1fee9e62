"""Compute formulas and roll-ups for records that exist when the definition changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.catalog.expression_references import expression_sites, references, rewrite_spans
from engine.catalog.rules import RollupLink
from engine.expressions import EvaluationContext, FunctionSignature
from engine.query.filter_keys import map_filter_keys
from engine.rules.cascade import Cascade
from engine.rules.hierarchy import bottom_up_order
from engine.rules.rollups import refresh_rollups
from metadata.models import FieldState, FieldType, ObjectState, TenantMetadata

_CHUNK = 2_000


@dataclass(frozen=True)
class Refresh:
    """A computed field whose stored values must be (re)computed."""

    object: str
    field: str
    kind: str

    def describe(self) -> str:
        """`compute formula deal.total for existing records`."""
        return f"compute {self.kind} {self.object}.{self.field} for existing records"


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
                canonical[field.id] = (
                    child.id if child else None,
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
    now: object,
    new_context: Callable[[], EvaluationContext],
) -> int:
    """Compute the planned fields for every existing record; return how many values changed.

    An object that is a hierarchy (roll-ups over its own records) is rebuilt from its
    leaves to its roots, its own roll-ups and formulas level by level, so each record
    is computed once from final values below it.
    """
    cascade = Cascade(connection=connection, catalog=catalog, now=now, new_context=new_context)
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
        changed += _rebuild_hierarchy(connection, catalog, cascade, catalog.objects[name], now=now)
    for name in sorted({r.object for r in planned if r.kind == "formula"} - set(hierarchies)):
        obj = catalog.objects[name]
        for ids in _id_chunks(connection, catalog, name):
            changed += cascade.recompute(obj, ids)
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
                connection, catalog, child=child, links=[link], parent_ids=ids, now=now
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
    connection: Connection, catalog: Catalog, cascade: Cascade, obj: CompiledObject, *, now: object
) -> int:
    """Recompute a hierarchy's own roll-ups and formulas, deepest records first."""
    links = hierarchy_links(obj)
    changed = 0
    for level in bottom_up_order(connection, obj, links[0].link):
        for start in range(0, len(level), _CHUNK):
            ids = level[start : start + _CHUNK]
            fresh = refresh_rollups(
                connection, catalog, child=obj, links=links, parent_ids=ids, now=now
            )
            changed += cascade.recompute(obj, ids, changed=fresh, is_climbed=True)
    return changed


def _id_chunks(connection: Connection, catalog: Catalog, object_name: str) -> list[list[UUID]]:
    table = catalog.objects[object_name].table
    ids: list[UUID] = list(connection.execute(select(table.c.id).order_by(table.c.id)).scalars())
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]
