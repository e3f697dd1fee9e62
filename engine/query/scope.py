"""Access scopes: the predicates record sharing adds where queries are built.

Every query the compiler builds (lists, counts, aggregates, expands and the joins of
dotted paths) and every single-record read and write (get, update, delete, the bulk
upsert's key lookup) asks the scope for a predicate on each table it reads, so a row the
caller may not see never counts, never pages, never appears through a lookup and is never
changed. A scope is always passed: there is no default that means "every row"; code that
reads every row says so with `AllRows()`.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import FromClause
from sqlalchemy.sql.elements import ColumnElement

from engine.catalog import CompiledObject


class QueryScope(Protocol):
    """Decides which rows of an object the caller may read, and which it may change."""

    def predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        """Return the condition a readable row of `obj` (as `table`) meets, or None for all."""
        ...

    def edit_predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        """Return the condition a row the caller may change (update, delete, re-parent a
        detail under) meets, or None for all. Every such row is readable too."""
        ...


class AllRows:
    """Every row of the tenant, named where it is meant.

    The scope of the engine's own reads that must see every row whoever saves (roll-ups,
    cross-object functions, the cascade, the upkeep of record sharing). A caller's scope
    is `engine.records.caller_scope(context)`.
    """

    def predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        """Every row is readable."""
        return None

    def edit_predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        """Every row may be changed."""
        return None
