"""Aggregates for analytics: group by fields or date buckets, count/sum/avg/min/max, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Float, Integer, String, cast, func, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from engine.catalog import Catalog, CompiledObject, ExactDecimal, render_stored, storage_type
from engine.query.errors import invalid
from engine.query.field_access import FieldAccess
from engine.query.listing import base_condition, build_plan
from engine.query.paths import JoinPlan, ResolvedPath
from engine.query.scope import QueryScope
from engine.suggestions import did_you_mean
from metadata.models import DECIMAL_TYPES, FieldType

BUCKETS = ("day", "week", "month", "quarter", "year")
FUNCTIONS = ("count", "sum", "avg", "min", "max")
MAX_GROUPS = 10_000
#: How many group keys and metrics one request may ask for.
MAX_GROUP_KEYS = 10
MAX_METRICS = 20
_NUMERIC = DECIMAL_TYPES | {FieldType.INTEGER}
_ORDERED = _NUMERIC | {FieldType.DATE, FieldType.DATETIME, FieldType.TEXT, FieldType.PICKLIST}


@dataclass(frozen=True)
class AggregateQuery:
    """What an aggregate request asks for, as raw tokens from the query string."""

    group_by: list[str]
    metrics: list[str]
    filter: Any = None
    limit: int = 1000


def aggregate_records(
    connection: Connection,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    query: AggregateQuery,
    scope: QueryScope,
    access: FieldAccess,
) -> dict[str, Any]:
    """Return `{"data": [{<group key>: value, …, <metric>: value, …}]}`, groups in key order.

    Raises:
        InvalidQuery: unknown fields, buckets or functions; a metric that does not fit a type.
        PermissionDenied: a group, metric or filter on a field the caller may not query.
    """
    if not 1 <= query.limit <= MAX_GROUPS:
        raise invalid("/limit", "out-of-range", f"limit is between 1 and {MAX_GROUPS}")
    if len(query.group_by) > MAX_GROUP_KEYS:
        raise invalid("/group_by", "too-many-keys", f"group by at most {MAX_GROUP_KEYS} fields")
    if len(query.metrics) > MAX_METRICS:
        raise invalid("/metrics", "too-many-metrics", f"ask for at most {MAX_METRICS} metrics")
    dialect = connection.dialect.name
    plan = build_plan(catalog, obj, scope=scope, access=access, dialect=dialect)
    condition = base_condition(plan, query.filter)
    groups = [_group(plan, token, index, dialect) for index, token in enumerate(query.group_by)]
    metrics = [
        _metric(plan, token, index) for index, token in enumerate(query.metrics or ["count"])
    ]
    statement = select(
        *(g.expression.label(g.label) for g in groups),
        *(m.expression.label(m.label) for m in metrics),
    )
    statement = statement.select_from(plan.apply(obj.table))
    if condition is not None:
        statement = statement.where(condition)
    if groups:
        statement = statement.group_by(*(g.expression for g in groups)).order_by(
            *(g.expression.asc().nulls_last() for g in groups)
        )
    rows = connection.execute(statement.limit(query.limit)).mappings().all()
    return {"data": [_render(row, groups, metrics, dialect) for row in rows]}


@dataclass(frozen=True)
class _Group:
    token: str
    label: str
    expression: ColumnElement[Any]
    path: ResolvedPath
    is_bucket: bool


@dataclass(frozen=True)
class _Metric:
    token: str
    label: str
    function: str
    expression: ColumnElement[Any]
    path: ResolvedPath | None


def _group(plan: JoinPlan, token: str, index: int, dialect: str) -> _Group:
    pointer = f"/group_by/{index}"
    name, _, bucket = token.partition(":")
    path = plan.resolve(name, pointer=pointer)
    field_type = storage_type(path.definition.type, path.definition)
    if field_type in (FieldType.JSON, FieldType.MULTI_PICKLIST, FieldType.FILE):
        raise invalid(
            pointer, "ungroupable", f"{name!r} is a {field_type} field and cannot be grouped"
        )
    if not bucket:
        return _Group(token, f"_g{index}", path.column, path, is_bucket=False)
    if bucket not in BUCKETS:
        raise invalid(
            pointer,
            "unknown-bucket",
            f"unknown bucket {bucket!r}{did_you_mean(bucket, BUCKETS)}; "
            f"use one of: {', '.join(BUCKETS)}",
        )
    if field_type not in (FieldType.DATE, FieldType.DATETIME):
        raise invalid(
            pointer, "wrong-type", f"{name!r} is not a date or date-time; only those are bucketed"
        )
    return _Group(token, f"_g{index}", _bucket(path.column, bucket, dialect), path, is_bucket=True)


def _bucket(column: ColumnElement[Any], bucket: str, dialect: str) -> ColumnElement[Any]:
    """The first day of the bucket holding each value (weeks start on Monday)."""
    if dialect != "sqlite":
        return cast(func.date_trunc(bucket, column), Date)
    raw = type_coerce(column, String)
    if bucket == "day":
        return func.date(raw)
    if bucket == "week":
        return func.date(raw, "weekday 0", "-6 days")
    if bucket == "month":
        return func.strftime("%Y-%m-01", raw)
    if bucket == "year":
        return func.strftime("%Y-01-01", raw)
    month = cast(func.strftime("%m", raw), Integer)
    return func.printf("%s-%02d-01", func.strftime("%Y", raw), ((month - 1) // 3) * 3 + 1)


def _metric(plan: JoinPlan, token: str, index: int) -> _Metric:
    pointer = f"/metrics/{index}"
    function, _, name = token.partition(":")
    if function not in FUNCTIONS:
        raise invalid(
            pointer,
            "unknown-function",
            f"unknown metric {function!r}{did_you_mean(function, FUNCTIONS)}; "
            f"use one of: {', '.join(FUNCTIONS)}",
        )
    if function == "count" and not name:
        return _Metric(token, f"_m{index}", function, func.count(), None)
    if not name:
        raise invalid(pointer, "missing-field", f"{function} needs a field, e.g. {function}:amount")
    path = plan.resolve(name, pointer=pointer)
    field_type = storage_type(path.definition.type, path.definition)
    if function == "count":
        return _Metric(token, f"_m{index}", function, func.count(path.column), path)
    allowed = _NUMERIC if function in ("sum", "avg") else _ORDERED
    if field_type not in allowed:
        raise invalid(
            pointer, "wrong-type", f"{function} does not apply to {field_type} field {name!r}"
        )
    if function == "avg":
        # Averages skip the column's result processing: on SQLite the scaled integers'
        # mean is rescaled in `_average`, on PostgreSQL NUMERIC's mean is already exact.
        raw = type_coerce(path.column, Float) if plan.dialect == "sqlite" else path.column
        return _Metric(
            token,
            f"_m{index}",
            function,
            type_coerce(func.avg(raw), Float if plan.dialect == "sqlite" else String),
            path,
        )
    return _Metric(token, f"_m{index}", function, getattr(func, function)(path.column), path)


def _render(row: Any, groups: list[_Group], metrics: list[_Metric], dialect: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for group in groups:
        value = row[group.label]
        if group.is_bucket:
            result[group.token] = None if value is None else str(value)[:10]
        else:
            result[group.token] = render_stored(group.path.definition, value)
    for metric in metrics:
        value = row[metric.label]
        if metric.path is None or metric.function == "count":
            result[metric.token] = int(value or 0)
        elif metric.function == "avg":
            result[metric.token] = _average(value, metric.path, dialect)
        elif (
            value is not None
            and storage_type(metric.path.definition.type, metric.path.definition)
            is FieldType.INTEGER
        ):
            # PostgreSQL sums BIGINT as NUMERIC.
            result[metric.token] = int(value)
        else:
            result[metric.token] = render_stored(metric.path.definition, value)
    return result


def _average(value: Any, path: ResolvedPath, dialect: str) -> str | None:
    """An average as an exact-looking decimal string, two places finer than the field."""
    if value is None:
        return None
    column_type = path.column.type
    scale = column_type.scale if isinstance(column_type, ExactDecimal) else 0
    number = Decimal(str(value))
    if dialect == "sqlite" and scale:
        number = number.scaleb(-scale)
    return str(number.quantize(Decimal(1).scaleb(-(scale + 2))))
