"""Compile the filter JSON of the API into a SQL condition with bound parameters.

`{"amount": {"gt": 100}, "stage": {"in": ["won", "lost"]}}`; combinators `and`, `or`,
`not`; operators `eq ne gt gte lt lte in nin contains starts_with is_null`; a dotted
path follows lookups. Values are coerced like API input, so a wrong type is a 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, exists, false, func, literal, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from engine.catalog.values import ValueProblem, coerce_value
from engine.query.errors import invalid
from engine.query.paths import JoinPlan, ResolvedPath, comparable_definition
from metadata.models import TEXT_TYPES, FieldType

OPERATORS = (
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "nin",
    "contains",
    "starts_with",
    "is_null",
)
MAX_DEPTH = 10
MAX_LIST = 1000
_ORDERED = ("gt", "gte", "lt", "lte")


def compile_filter(
    document: Any, plan: JoinPlan, *, pointer: str = "/filter", depth: int = 0
) -> ColumnElement[bool]:
    """Return the SQL condition of a filter document.

    Raises:
        InvalidQuery: unknown fields or operators, wrong value types, too deep a filter.
    """
    if depth > MAX_DEPTH:
        raise invalid(pointer, "filter-too-deep", f"filters nest at most {MAX_DEPTH} levels")
    if not isinstance(document, Mapping):
        raise invalid(
            pointer, "invalid-filter", 'a filter is a JSON object such as {"amount": {"gt": 100}}'
        )
    conditions: list[ColumnElement[bool]] = []
    for key, value in document.items():
        where = f"{pointer}/{key}"
        if key in ("and", "or"):
            if not isinstance(value, list) or not value:
                raise invalid(where, "invalid-filter", f"{key!r} takes a non-empty list of filters")
            parts = [
                compile_filter(item, plan, pointer=f"{where}/{i}", depth=depth + 1)
                for i, item in enumerate(value)
            ]
            conditions.append(and_(*parts) if key == "and" else or_(*parts))
        elif key == "not":
            inner = compile_filter(value, plan, pointer=where, depth=depth + 1)
            # SQL's NOT of an unknown is unknown; "not gold" must keep records with no tier.
            conditions.append(not_(func.coalesce(inner, false())))
        else:
            path = plan.resolve(key, pointer=where)
            conditions.append(_field_condition(path, value, dialect=plan.dialect, pointer=where))
    return and_(true(), *conditions) if len(conditions) != 1 else conditions[0]


def _field_condition(
    path: ResolvedPath, spec: Any, *, dialect: str, pointer: str
) -> ColumnElement[bool]:
    if not isinstance(spec, Mapping):
        # A bare value is shorthand for eq.
        spec = {"eq": spec}
    if not spec:
        raise invalid(pointer, "invalid-filter", 'give at least one operator, e.g. {"eq": …}')
    conditions = [
        _operator(path, op, value, dialect=dialect, pointer=f"{pointer}/{op}")
        for op, value in spec.items()
    ]
    return conditions[0] if len(conditions) == 1 else and_(*conditions)


def _operator(
    path: ResolvedPath, op: str, value: Any, *, dialect: str, pointer: str
) -> ColumnElement[bool]:
    column = path.column
    field_type = comparable_definition(path.definition).type
    if op not in OPERATORS:
        raise invalid(
            pointer,
            "unknown-operator",
            f"unknown operator {op!r}; use one of: {', '.join(OPERATORS)}",
        )
    if op == "is_null":
        if not isinstance(value, bool):
            raise invalid(pointer, "wrong-type", "is_null takes true or false")
        return column.is_(None) if value else column.is_not(None)
    if field_type is FieldType.MULTI_PICKLIST:
        return _multi_picklist(path, op, value, dialect=dialect, pointer=pointer)
    if op in ("contains", "starts_with"):
        if field_type not in TEXT_TYPES:
            raise invalid(
                pointer, "wrong-operator", f"{op} applies to text fields, not {field_type}"
            )
        if not isinstance(value, str) or "\x00" in value:
            raise invalid(pointer, "wrong-type", f"{op} takes a string (without NUL characters)")
        return (
            column.icontains(value, autoescape=True)
            if op == "contains"
            else column.istartswith(value, autoescape=True)
        )
    if op in ("in", "nin"):
        if not isinstance(value, list) or len(value) > MAX_LIST:
            raise invalid(pointer, "wrong-type", f"{op} takes a list of at most {MAX_LIST} values")
        values = [_coerce(path, item, pointer=f"{pointer}/{i}") for i, item in enumerate(value)]
        return column.in_(values) if op == "in" else or_(column.not_in(values), column.is_(None))
    if op in _ORDERED and field_type in (
        FieldType.BOOLEAN,
        FieldType.JSON,
        FieldType.LOOKUP,
        FieldType.MASTER_DETAIL,
    ):
        raise invalid(pointer, "wrong-operator", f"{op} does not apply to {field_type} fields")
    operand = _coerce(path, value, pointer=pointer)
    if op in ("eq", "ne") and operand is None:
        return column.is_(None) if op == "eq" else column.is_not(None)
    if op == "ne":
        return or_(column != operand, column.is_(None))
    return {
        "eq": column.__eq__,
        "gt": column.__gt__,
        "gte": column.__ge__,
        "lt": column.__lt__,
        "lte": column.__le__,
    }[op](operand)


def _coerce(path: ResolvedPath, value: Any, *, pointer: str) -> Any:
    try:
        return coerce_value(comparable_definition(path.definition), value)
    except ValueProblem as problem:
        raise invalid(
            pointer, problem.code, f"{path.definition.api_name}: {problem.message}"
        ) from problem


def _multi_picklist(
    path: ResolvedPath, op: str, value: Any, *, dialect: str, pointer: str
) -> ColumnElement[bool]:
    if op != "contains":
        raise invalid(
            pointer, "wrong-operator", "multi-picklist fields are filtered with contains or is_null"
        )
    if not isinstance(value, str) or "\x00" in value:
        raise invalid(pointer, "wrong-type", "contains takes one picklist value")
    # Walk the stored JSON array in SQL: json_each on SQLite,
    # jsonb_array_elements_text on PostgreSQL.
    if dialect == "sqlite":
        elements = func.json_each(path.column).table_valued("value")
    else:
        elements = func.jsonb_array_elements_text(path.column).table_valued("value")
    return exists(select(literal(1)).select_from(elements).where(elements.c.value == value))
