"""List records: filter, sort, field selection, expanded lookups, keyset pages, totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.catalog import Catalog, CompiledObject
from engine.query.errors import invalid
from engine.query.field_access import FieldAccess
from engine.query.filters import compile_filter
from engine.query.paths import JoinPlan
from engine.query.projection import project
from engine.query.scope import QueryScope
from engine.query.sorting import after_cursor, decode_cursor, encode_cursor, parse_sort

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class ListQuery:
    """What a list request asks for (already parsed from the query string)."""

    filter: Any = None
    sort: str | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    fields: list[str] | None = None
    expand: list[str] | None = None
    count: bool = False
    labels: bool = False


def build_plan(
    catalog: Catalog,
    obj: CompiledObject,
    *,
    scope: QueryScope,
    access: FieldAccess,
    dialect: str,
) -> JoinPlan:
    """Return an empty join plan rooted at `obj`'s table."""
    return JoinPlan(
        catalog=catalog, base=obj, scope=scope, access=access, root=obj.table, dialect=dialect
    )


def base_condition(plan: JoinPlan, document: Any) -> ColumnElement[bool] | None:
    """The filter and the scope's predicate on the root table, ANDed."""
    conditions = []
    if document is not None:
        conditions.append(compile_filter(document, plan))
    visible = plan.scope.predicate(plan.base, plan.root)
    if visible is not None:
        conditions.append(visible)
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else and_(*conditions)


def list_records(
    connection: Connection,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    query: ListQuery,
    scope: QueryScope,
    access: FieldAccess,
) -> dict[str, Any]:
    """Return one page: `{"data": [...], "next_cursor": ..., "total": n?}`.

    Raises:
        InvalidQuery: anything in `query` the engine cannot apply (422, never 500).
        PermissionDenied: `query` names a field or object the caller may not query.
    """
    if not 1 <= query.limit <= MAX_LIMIT:
        raise invalid("/limit", "out-of-range", f"limit is between 1 and {MAX_LIMIT}")
    plan = build_plan(catalog, obj, scope=scope, access=access, dialect=connection.dialect.name)
    projection = project(plan, obj, fields=query.fields, expand=query.expand)
    condition = base_condition(plan, query.filter)
    keys = parse_sort(query.sort, plan)
    table = obj.table
    columns = projection.columns
    positions = projection.positions
    key_positions = []
    for i, key in enumerate(keys):
        column = key.resolved.column
        index = positions.get(column.name)
        if index is None or columns[index] is not column:
            # Sort keys not among the record's own columns (dotted paths) come along.
            index = len(columns)
            columns.append(column.label(f"_k{i}"))
        key_positions.append(index)
    projection.check_size()
    page: Select[Any] = select(*columns)
    conditions = [condition] if condition is not None else []
    if query.cursor:
        conditions.append(after_cursor(keys, decode_cursor(query.cursor, keys, sort=query.sort)))
    page = page.select_from(plan.apply(table)).where(*conditions)
    page = page.order_by(*(key.order_by() for key in keys)).limit(query.limit + 1)
    rows = connection.execute(page).all()
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    data = projection.render(obj, rows, labels=query.labels)
    result: dict[str, Any] = {"data": data, "next_cursor": None}
    if has_more:
        last = rows[-1]
        result["next_cursor"] = encode_cursor(
            keys, [last[index] for index in key_positions], sort=query.sort
        )
    if query.count:
        total = select(func.count()).select_from(plan.apply(table))
        if condition is not None:
            total = total.where(condition)
        result["total"] = connection.execute(total).scalar_one()
    return result
