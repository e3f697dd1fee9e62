"""Read the values of dotted lookup paths (`account.industry`) for records being saved."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.expressions import path_key
from engine.query import AllRows, build_plan

#: The scope key holding the lookups whose target record was found.
VERIFIED_KEY = "_verified_lookups"


def load_path_values(
    connection: Connection,
    catalog: Catalog,
    obj: CompiledObject,
    scopes: Iterable[dict[str, Any]],
    paths: Collection[tuple[str, ...]],
) -> None:
    """Put each path's value into each scope, under `path_key(path)`.

    One query per first lookup of the paths, for all scopes at once; a blank lookup
    gives blank values. Each scope's `VERIFIED_KEY` set receives the lookups whose
    record was found, so the reference check need not read them again.
    """
    scopes = list(scopes)
    by_lookup: dict[str, list[tuple[str, ...]]] = {}
    for path in paths:
        by_lookup.setdefault(path[0], []).append(path)
    for lookup, lookup_paths in by_lookup.items():
        target = catalog.objects[obj.fields[lookup].state.definition.target or ""]
        ids = {scope.get(lookup) for scope in scopes} - {None}
        rows: dict[Any, Any] = {}
        if ids:
            plan = build_plan(catalog, target, scope=AllRows(), dialect=connection.dialect.name)
            columns = [
                plan.resolve(".".join(path[1:]), pointer=f"/{path_key(path)}").column
                for path in lookup_paths
            ]
            query = (
                select(target.table.c.id, *columns)
                .select_from(plan.apply(target.table))
                .where(target.table.c.id.in_(ids))
            )
            rows = {row[0]: tuple(row[1:]) for row in connection.execute(query)}
        for scope in scopes:
            row = rows.get(scope.get(lookup))
            if row is not None:
                scope.setdefault(VERIFIED_KEY, set()).add(lookup)
            for index, path in enumerate(lookup_paths):
                scope[path_key(path)] = None if row is None else row[index]
