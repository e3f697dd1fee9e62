"""Access scopes: the predicates record sharing adds where queries are built.

Every query the compiler builds (lists, counts, aggregates, expands and the joins of
dotted paths) asks the scope for a predicate on each table it reads, so a row the caller
may not see never counts, never pages and never appears through a lookup.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import FromClause
from sqlalchemy.sql.elements import ColumnElement

from engine.catalog import CompiledObject


class QueryScope(Protocol):
    """Decides which rows of an object the caller may read."""

    def predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        """Return the condition a readable row of `obj` (as `table`) meets, or None for all."""
        ...


class AllRows:
    """The scope of a caller who may read every row of the tenant (no sharing rules yet)."""

    def predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        """Every row is readable."""
        return None
