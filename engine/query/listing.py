"""List records: filter, sort, field selection, expanded lookups, keyset pages, totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.catalog import SYSTEM_COLUMNS, Catalog, CompiledObject, PicklistLabels
from engine.catalog.record_output import row_renderer
from engine.query.errors import invalid
from engine.query.filters import compile_filter
from engine.query.paths import JoinPlan
from engine.query.scope import QueryScope
from engine.query.sorting import after_cursor, decode_cursor, encode_cursor, parse_sort
from metadata.models import REFERENCE_TYPES

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
#: Columns one page may select (fields, sort keys, expanded records together): PostgreSQL
#: takes at most 1,664 in a result, SQLite 2,000.
MAX_RESULT_COLUMNS = 1664


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


@dataclass(frozen=True)
class _Expansion:
    name: str
    target: CompiledObject
    labels: dict[str, str]


def build_plan(
    catalog: Catalog, obj: CompiledObject, *, scope: QueryScope, dialect: str
) -> JoinPlan:
    """Return an empty join plan rooted at `obj`'s table."""
    return JoinPlan(catalog=catalog, base=obj, scope=scope, root=obj.table, dialect=dialect)


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
) -> dict[str, Any]:
    """Return one page: `{"data": [...], "next_cursor": ..., "total": n?}`.

    Raises:
        InvalidQuery: anything in `query` the engine cannot apply (422, never 500).
    """
    if not 1 <= query.limit <= MAX_LIMIT:
        raise invalid("/limit", "out-of-range", f"limit is between 1 and {MAX_LIMIT}")
    plan = build_plan(catalog, obj, scope=scope, dialect=connection.dialect.name)
    fields = _selected_fields(obj, query.fields)
    condition = base_condition(plan, query.filter)
    keys = parse_sort(query.sort, plan)
    _refuse_repeats(query.expand, pointer="/expand")
    expansions = [_expand(plan, obj, name) for name in query.expand or ()]
    table = obj.table
    columns: list[Any] = [table.c[name] for name in SYSTEM_COLUMNS]
    columns += [table.c[obj.fields[name].state.column_name] for name in fields]
    # Rows are read by position: the renderers and the cursor know each column's index.
    positions = {column.name: index for index, column in enumerate(columns)}
    key_positions = []
    for i, key in enumerate(keys):
        column = key.resolved.column
        index = positions.get(column.name)
        if index is None or columns[index] is not column:
            # Sort keys not among the record's own columns (dotted paths) come along.
            index = len(columns)
            columns.append(column.label(f"_k{i}"))
        key_positions.append(index)
    renderers = []
    for expansion in expansions:
        alias = plan.joins[(expansion.name,)][1]
        start = len(columns)
        columns += [alias.c[column].label(label) for column, label in expansion.labels.items()]
        expanded = {column: start + i for i, column in enumerate(expansion.labels)}
        renderers.append((expansion.name, expanded["id"], row_renderer(expansion.target, expanded)))
    if len(columns) > MAX_RESULT_COLUMNS:
        raise invalid(
            "/expand" if expansions else "/fields",
            "too-many-columns",
            f"the page would select {len(columns)} columns; at most {MAX_RESULT_COLUMNS} "
            "fit in one result: choose fewer fields with fields=, or expand fewer lookups",
        )
    page: Select[Any] = select(*columns)
    conditions = [condition] if condition is not None else []
    if query.cursor:
        conditions.append(after_cursor(keys, decode_cursor(query.cursor, keys, sort=query.sort)))
    page = page.select_from(plan.apply(table)).where(*conditions)
    page = page.order_by(*(key.order_by() for key in keys)).limit(query.limit + 1)
    rows = connection.execute(page).all()
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    render = row_renderer(obj, positions, fields=fields)
    data = [render(row) for row in rows]
    for name, id_index, render_expanded in renderers:
        for record, row in zip(data, rows, strict=True):
            record[name] = None if row[id_index] is None else render_expanded(row)
    if query.labels:
        _add_labels(obj, data, fields, expansions)
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


def _add_labels(
    obj: CompiledObject,
    data: list[dict[str, Any]],
    fields: list[str],
    expansions: list[_Expansion],
) -> None:
    """Give each record (and each expanded one) the labels of its picklist values."""
    labels = PicklistLabels.of(obj)
    expanded = [(expansion.name, PicklistLabels.of(expansion.target)) for expansion in expansions]
    for record in data:
        labels.add_to(record, fields)
        for name, target_labels in expanded:
            if record[name] is not None:
                target_labels.add_to(record[name])


def _refuse_repeats(names: list[str] | None, *, pointer: str) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names or ()):
        if name in seen:
            raise invalid(
                f"{pointer}/{index}", "repeated-name", f"{name!r} is named more than once"
            )
        seen.add(name)


def _selected_fields(obj: CompiledObject, requested: list[str] | None) -> list[str]:
    if requested is None:
        return list(obj.fields)
    _refuse_repeats(requested, pointer="/fields")
    unknown = [name for name in requested if name not in obj.fields and name not in SYSTEM_COLUMNS]
    if unknown:
        raise invalid(
            "/fields",
            "unknown-field",
            f"{obj.state.api_name!r} has no field(s) {', '.join(unknown)}",
        )
    return [name for name in requested if name in obj.fields]


def _expand(plan: JoinPlan, obj: CompiledObject, name: str) -> _Expansion:
    compiled = obj.fields.get(name)
    if compiled is None or compiled.state.definition.type not in REFERENCE_TYPES:
        raise invalid(
            "/expand", "not-a-lookup", f"{name!r} is not a lookup field of {obj.state.api_name!r}"
        )
    plan.resolve(f"{name}.id", pointer="/expand")
    target = plan.joins[(name,)][0]
    labels = {column: f"_e_{name}__{column}" for column in SYSTEM_COLUMNS}
    labels.update(
        {
            target.fields[
                field
            ].state.column_name: f"_e_{name}__{target.fields[field].state.column_name}"
            for field in target.fields
        }
    )
    return _Expansion(name=name, target=target, labels=labels)
