"""Sorting and keyset pagination: stable pages while rows are inserted."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from engine.catalog import render_stored
from engine.catalog.values import ValueProblem, coerce_value
from engine.errors import InvalidRequest
from engine.json_input import decode_json
from engine.query.errors import invalid
from engine.query.paths import JoinPlan, ResolvedPath, comparable_definition
from metadata.models import FieldType

#: How many fields one sort may name (each adds a level to the keyset condition).
MAX_SORT_KEYS = 10


@dataclass(frozen=True)
class SortKey:
    """One sort column: its path, direction and resolved column."""

    path: str
    is_descending: bool
    resolved: ResolvedPath

    def order_by(self) -> UnaryExpression[Any]:
        """ORDER BY term; NULLs sort last both ways on every dialect.

        NOT NULL columns get no NULLS clause, so a descending sort can use their index.
        """
        column = self.resolved.column
        ordered = column.desc() if self.is_descending else column.asc()
        is_nullable = getattr(column, "nullable", True)
        return ordered.nulls_last() if is_nullable else ordered


def parse_sort(sort: str | None, plan: JoinPlan) -> list[SortKey]:
    """Return the sort keys of `sort=-amount,name`, always ending with `id` (the tiebreaker).

    Raises:
        InvalidQuery: an unknown field or an unsortable type.
    """
    keys: list[SortKey] = []
    parts = [part.strip() for part in (sort or "").split(",") if part.strip()]
    if len(parts) > MAX_SORT_KEYS:
        raise invalid("/sort", "too-many-keys", f"sort by at most {MAX_SORT_KEYS} fields")
    seen: set[str] = set()
    for index, raw in enumerate(parts):
        path = raw.removeprefix("-").removeprefix("+")
        if path in seen:
            raise invalid(f"/sort/{index}", "repeated-name", f"{path!r} is sorted on twice")
        seen.add(path)
        resolved = plan.resolve(path, pointer=f"/sort/{index}")
        if resolved.definition.type in (FieldType.JSON, FieldType.MULTI_PICKLIST, FieldType.FILE):
            raise invalid(
                f"/sort/{index}",
                "unsortable",
                f"{path!r} is a {resolved.definition.type} field and cannot be sorted",
            )
        keys.append(SortKey(path=path, is_descending=raw.startswith("-"), resolved=resolved))
    if not any(key.path == "id" for key in keys):
        keys.append(
            SortKey(path="id", is_descending=False, resolved=plan.resolve("id", pointer="/sort"))
        )
    return keys


def after_cursor(keys: list[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """Return the condition of rows that sort strictly after the row whose keys are `values`."""

    def after(index: int) -> ColumnElement[bool]:
        if index == len(keys):
            return false()
        column = keys[index].resolved.column
        value = values[index]
        if value is None:
            return and_(column.is_(None), after(index + 1))
        beyond = column < value if keys[index].is_descending else column > value
        return or_(beyond, column.is_(None), and_(column == value, after(index + 1)))

    return after(0)


def encode_cursor(keys: list[SortKey], row_values: list[Any], *, sort: str | None) -> str:
    """Return an opaque cursor holding the last row's sort values."""
    rendered = [
        render_stored(key.resolved.definition, value)
        for key, value in zip(keys, row_values, strict=True)
    ]
    document = json.dumps({"s": sort or "", "k": rendered}, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, keys: list[SortKey], *, sort: str | None) -> list[Any]:
    """Return the typed sort values a cursor holds.

    Raises:
        InvalidQuery: a cursor that is malformed or was made for another sort.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        document = decode_json(base64.urlsafe_b64decode(padded.encode()), pointer="/cursor")
        rendered = document["k"]
        made_for = document["s"]
    except (InvalidRequest, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise invalid(
            "/cursor", "invalid-cursor", "the cursor is not one this API returned"
        ) from exc
    if made_for != (sort or "") or not isinstance(rendered, list) or len(rendered) != len(keys):
        raise invalid(
            "/cursor",
            "invalid-cursor",
            "the cursor was made for another sort; start from the first page",
        )
    values = []
    for key, value in zip(keys, rendered, strict=True):
        try:
            values.append(coerce_value(comparable_definition(key.resolved.definition), value))
        except ValueProblem as exc:
            raise invalid(
                "/cursor", "invalid-cursor", "the cursor is not one this API returned"
            ) from exc
    return values
