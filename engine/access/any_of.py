"""`value IN (subquery)` for a short list of keys, written as each database plans it best.

PostgreSQL runs `grantee = ANY(ARRAY(subquery))` as one subquery (an InitPlan) whose few
keys then drive an index scan, whatever its statistics say; `IN (subquery)` leaves the
choice to estimates, and a sharing table just filled has none. SQLite plans `IN` well.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, any_, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType


class InKeys(ColumnElement[bool]):
    """`column IN (keys)`, where `keys` is a subquery selecting a handful of values."""

    __visit_name__ = "in_keys"
    inherit_cache = True
    type = Boolean()
    # SQLAlchemy's cache keys walk these (its own elements declare them the same way).
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("keys", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], keys: Select[Any]) -> None:
        self.column = column
        self.keys = keys


@compiles(InKeys)
def _in(element: InKeys, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.keys), **kw)


@compiles(InKeys, "postgresql")
def _any_of_array(element: InKeys, compiler: SQLCompiler, **kw: Any) -> str:
    keys = func.array(element.keys.scalar_subquery())
    return compiler.process(element.column == any_(keys), **kw)
