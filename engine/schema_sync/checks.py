"""Data checks a plan runs before it applies: rows that block a change, rows it touches."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Table
from sqlalchemy.sql.elements import ColumnElement


class CheckKind(StrEnum):
    """What a check looks for."""

    ROWS = "rows"
    DUPLICATES = "duplicates"


@dataclass(frozen=True, eq=False)
class DataCheck:
    """Rows of `table` that block a change (or, with `is_forceable`, lose their value if forced).

    `predicate` selects the blocking rows; for duplicates, `column` is grouped instead.
    """

    object_name: str
    field_name: str
    code: str
    message: str
    table: Table
    predicate: ColumnElement[bool] | None = None
    column: ColumnElement[Any] | None = None
    kind: CheckKind = CheckKind.ROWS
    is_forceable: bool = False


@dataclass(frozen=True, eq=False)
class RowsTouched:
    """Rows of `table` a change rewrites (all rows when `predicate` is None)."""

    object_name: str
    field_name: str | None
    reason: str
    table: Table
    predicate: ColumnElement[bool] | None = None


@dataclass(frozen=True, eq=False)
class ValuesRewritten:
    """Rows of `table` whose stored value of an existing field the change replaces.

    A forced conversion empties the values that do not convert (or gives them the
    default); a default fills the empty values of a field made required. `predicate`
    selects those rows before the change; they get a new version, and the after-write
    hooks see them.
    """

    object_name: str
    field_name: str
    table: Table
    predicate: ColumnElement[bool]
