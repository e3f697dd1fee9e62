"""Read the values of dotted lookup paths (`account.industry`) for records being saved."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.expressions import path_key
from engine.query import AllFields, AllRows, build_plan


def load_path_values(
    connection: Connection,
    catalog: Catalog,
    obj: CompiledObject,
    scopes: Iterable[dict[str, Any]],
    paths: Collection[tuple[str, ...]],
) -> dict[str, set[Any]]:
    """Put each path's value into each scope, under `path_key(path)`.

    One query per first lookup of the paths, for all scopes at once; a blank lookup
    gives blank values. Returns the ids found, by lookup: those records exist, so the
    reference check need not read them again.
    """
    scopes = list(scopes)
    by_lookup: dict[str, list[tuple[str, ...]]] = {}
    for path in paths:
        by_lookup.setdefault(path[0], []).append(path)
    found: dict[str, set[Any]] = {}
    for lookup, lookup_paths in by_lookup.items():
        ids = {scope.get(lookup) for scope in scopes} - {None}
        rows: dict[Any, Any] = {}
        if ids:
            is_single = len(ids) == 1
            query = _path_query(
                connection, catalog, obj, lookup, tuple(sorted(lookup_paths)), is_single=is_single
            )
            parameters = {"id": next(iter(ids))} if is_single else {"ids": list(ids)}
            rows = {row[0]: row[1:] for row in connection.execute(query, parameters)}
        found[lookup] = set(rows)
        keys = [path_key(path) for path in sorted(lookup_paths)]
        blank = (None,) * len(keys)
        for scope in scopes:
            row = rows.get(scope.get(lookup), blank)
            for key, value in zip(keys, row, strict=True):
                scope[key] = value
    return found


def _path_query(
    connection: Connection,
    catalog: Catalog,
    obj: CompiledObject,
    lookup: str,
    paths: tuple[tuple[str, ...], ...],
    *,
    is_single: bool,
) -> Select[Any]:
    """The query reading `paths` through `lookup` for one id or a set (built once per revision).

    One id (a single-record save) is bound without an expanding IN list, which
    SQLAlchemy would render anew on every execution.
    """
    key = ("path-values", obj.state.api_name, lookup, paths, is_single)

    def build() -> Select[Any]:
        target = catalog.objects[obj.fields[lookup].state.definition.target or ""]
        plan = build_plan(
            catalog, target, scope=AllRows(), access=AllFields(), dialect=connection.dialect.name
        )
        columns = [
            plan.resolve(".".join(path[1:]), pointer=f"/{path_key(path)}").read_column
            for path in paths
        ]
        return (
            select(target.table.c.id, *columns)
            .select_from(plan.apply(target.table))
            .where(
                target.table.c.id == bindparam("id")
                if is_single
                else target.table.c.id.in_(bindparam("ids", expanding=True))
            )
        )

    return catalog.statements.get_or_build(key, build)
