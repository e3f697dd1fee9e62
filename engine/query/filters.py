"""Compile the filter JSON of the API into a SQL condition with bound parameters.

`{"amount": {"gt": 100}, "stage": {"in": ["won", "lost"]}}`; combinators `and`, `or`,
`not`; operators `eq ne gt gte lt lte in nin contains starts_with is_null`; a dotted
path follows lookups. Values are coerced like API input, so a wrong type is a 422.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, cast, exists, false, func, literal, not_, or_, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from engine.catalog.values import ValueProblem, coerce_value
from engine.errors import InvalidRequest, Problem
from engine.json_input import InvalidJson, decode_json
from engine.query.errors import InvalidQuery, invalid
from engine.query.paths import JoinPlan, ResolvedPath, comparable_definition
from engine.suggestions import did_you_mean
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
#: What other query languages call the operators (lower case), for "did you mean" hints.
OPERATOR_SYNONYMS = {
    **dict.fromkeys(("=", "==", "equals", "$eq", "_eq", "is"), "eq"),
    **dict.fromkeys(("!=", "<>", "neq", "not_eq", "$ne", "_neq", "not_equals"), "ne"),
    **dict.fromkeys((">", "$gt", "_gt", "greater_than"), "gt"),
    **dict.fromkeys((">=", "$gte", "_gte", "ge"), "gte"),
    **dict.fromkeys(("<", "$lt", "_lt", "less_than"), "lt"),
    **dict.fromkeys(("<=", "$lte", "_lte", "le"), "lte"),
    **dict.fromkeys(("$in", "_in", "one_of", "any"), "in"),
    **dict.fromkeys(("not_in", "$nin", "_nin", "notin"), "nin"),
    **dict.fromkeys(("like", "ilike", "icontains", "_contains", "$regex", "includes"), "contains"),
    **dict.fromkeys(("startswith", "begins_with", "_starts_with", "prefix"), "starts_with"),
    **dict.fromkeys(("null", "isnull", "_null", "is_empty", "$exists", "empty"), "is_null"),
}
#: How deeply `and`, `or` and `not` may nest.
MAX_DEPTH = 10
#: How many conditions (one per operator on a field) a filter may hold. SQLite refuses
#: expressions nested over 1,000 deep, and `a OR b OR …` nests one level per term; this
#: bound keeps every query built from a filter (lists, counts, aggregates, roll-ups, whose
#: fold tests each roll-up filter in its own aggregate) well inside it on both databases.
MAX_TERMS = 200
#: How many values a filter may compare against, `in` and `nin` lists included; each is a
#: bound parameter (PostgreSQL takes at most 65,535 in one statement).
MAX_VALUES = 1000
_ORDERED = ("gt", "gte", "lt", "lte")


def filter_size_problems(document: Any, *, pointer: str) -> list[Problem]:
    """Return the problems of a filter too deep or too large to compile (empty if it fits).

    Walked without recursion, so a filter nested thousands deep costs no stack; the list
    API and the metadata checks (roll-up filters) share these limits.
    """
    terms = values = 0
    pending: list[tuple[Any, str, int]] = [(document, pointer, 0)]
    while pending:
        node, where, depth = pending.pop()
        if depth > MAX_DEPTH:
            return [Problem(where, "filter-too-deep", f"filters nest at most {MAX_DEPTH} levels")]
        if not isinstance(node, Mapping):
            continue
        for key, value in node.items():
            if key in ("and", "or") and isinstance(value, list):
                pending.extend(
                    (item, f"{where}/{key}/{i}", depth + 1) for i, item in enumerate(value)
                )
            elif key == "not":
                pending.append((value, f"{where}/{key}", depth + 1))
            else:
                spec = value if isinstance(value, Mapping) else {"eq": value}
                terms += max(len(spec), 1)
                values += sum(len(v) if isinstance(v, list) else 1 for v in spec.values())
        if terms > MAX_TERMS:
            return [
                Problem(
                    pointer,
                    "filter-too-large",
                    f"a filter holds at most {MAX_TERMS} conditions; combine values with "
                    '"in" instead of many "or" terms',
                )
            ]
        if values > MAX_VALUES:
            return [
                Problem(
                    pointer,
                    "filter-too-large",
                    f"a filter compares at most {MAX_VALUES} values in all",
                )
            ]
    return []


#: A filter that does not parse, yet starts like no JSON object or holds a percent escape,
#: was mostly sent unencoded: curl takes `{…}` in a URL for a glob and drops the braces.
_LOOKS_UNENCODED = re.compile(r"\A\s*[^\s{\[]|%[0-9A-Fa-f]{2}")
_ENCODING_HINT = """URL-encode it, e.g. curl -G --data-urlencode 'filter={"stage": "won"}'"""


def decode_filter(text: str | None) -> Any:
    """Return the filter document a query string's `filter` holds; None when it is empty.

    Decoded as strictly as a body, and refused as what it is, a query. Text that does
    not parse and looks sent without URL encoding is told how to encode it.

    Raises:
        InvalidQuery: the text is not strict JSON (its problem says line and column).
    """
    if text is None or not text.strip():
        return None
    try:
        return decode_json(text, pointer="/filter", what="the filter")
    except InvalidRequest as exc:
        refused = exc
        if isinstance(exc, InvalidJson) and exc.is_unparsable and _LOOKS_UNENCODED.search(text):
            refused = exc.with_hint(_ENCODING_HINT)
        raise InvalidQuery(refused.detail, problems=refused.problems) from exc


def compile_filter(
    document: Any, plan: JoinPlan, *, pointer: str = "/filter", depth: int = 0
) -> ColumnElement[bool]:
    """Return the SQL condition of a filter document.

    Raises:
        InvalidQuery: unknown fields or operators, wrong value types, too deep or too
            large a filter (`MAX_DEPTH`, `MAX_TERMS`, `MAX_VALUES`).
    """
    if depth == 0:
        problems = filter_size_problems(document, pointer=pointer)
        if problems:
            raise InvalidQuery(problems[0].detail, problems=problems)
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
            f"unknown operator {op!r}{did_you_mean(op, OPERATORS, synonyms=OPERATOR_SYNONYMS)}; "
            f"use one of: {', '.join(OPERATORS)}",
        )
    if op == "is_null":
        if not isinstance(value, bool):
            raise invalid(pointer, "wrong-type", "is_null takes true or false")
        return column.is_(None) if value else column.is_not(None)
    if field_type in (FieldType.JSON, FieldType.FILE):
        # A JSON value has no order and no equality both databases agree on (jsonb
        # normalizes, SQLite compares text), so only emptiness is a portable question; a
        # file field is asked whether it has a file.
        raise invalid(
            pointer, "wrong-operator", f"{field_type} fields are filtered with is_null only"
        )
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
        if not isinstance(value, list) or len(value) > MAX_VALUES:
            raise invalid(
                pointer, "wrong-type", f"{op} takes a list of at most {MAX_VALUES} values"
            )
        values = [_coerce(path, item, pointer=f"{pointer}/{i}") for i, item in enumerate(value)]
        return column.in_(values) if op == "in" else or_(column.not_in(values), column.is_(None))
    if op in _ORDERED and field_type in (
        FieldType.BOOLEAN,
        FieldType.LOOKUP,
        FieldType.MASTER_DETAIL,
    ):
        raise invalid(pointer, "wrong-operator", f"{op} does not apply to {field_type} fields")
    operand = _coerce(path, value, pointer=pointer)
    if op in ("eq", "ne") and operand is None:
        return column.is_(None) if op == "eq" else column.is_not(None)
    if operand is None:
        raise invalid(
            pointer, "wrong-type", f"{op} compares with a value; find empty ones with is_null"
        )
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
    if dialect == "sqlite":
        # Walk the stored JSON array in SQL.
        elements = func.json_each(path.column).table_valued("value")
        return exists(select(literal(1)).select_from(elements).where(elements.c.value == value))
    # Containment, not jsonb_array_elements_text: a JSON null (stored by versions that
    # kept an emptied list that way) holds no value instead of failing the query.
    listed = cast(literal(json.dumps([value])), postgresql.JSONB)
    return path.column.bool_op("@>")(listed)
