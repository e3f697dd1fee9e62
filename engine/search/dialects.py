"""The one switch between the databases' search: DDL of the index, and the query's terms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Table
from sqlalchemy.sql.expression import Executable

from engine.search import postgresql, sqlite
from engine.search.index import SearchIndex
from engine.search.support import SearchSupport


class RecordMatcher(Protocol):
    """How one database finds and ranks the records of one object through its index."""

    def candidates(self, words: Sequence[str]) -> ColumnElement[bool]:
        """The condition of rows in which every word is found (through the index)."""
        ...

    def contains(self, column: ColumnElement[Any], word: str) -> ColumnElement[bool]:
        """Whether one column holds a word."""
        ...

    def equals(self, column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
        """Whether one column is the text searched for, case ignored."""
        ...

    def starts_with(self, column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
        """Whether one column starts with the text searched for, case ignored."""
        ...

    def greatest(self, values: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        """The largest of two or more values."""
        ...

    def relevance(self, text_searched: str) -> ColumnElement[Any] | None:
        """A finer order among records of equal score, where the database has one."""
        ...


def record_matcher(table: Table, index: SearchIndex, *, dialect: str) -> RecordMatcher:
    """Return how `dialect` (`postgresql` or `sqlite`) searches `table` through `index`."""
    if dialect == "postgresql":
        return postgresql.PostgresqlMatcher(table, index)
    return sqlite.SqliteMatcher(table, index)


def create_index_statements(
    index: SearchIndex, *, dialect: str, support: SearchSupport
) -> list[Executable]:
    """The DDL that builds `index` over the rows its table has."""
    if dialect == "postgresql":
        return postgresql.create_statements(index, support)
    return sqlite.create_statements(index)


def drop_index_statements(index: SearchIndex, *, dialect: str) -> list[Executable]:
    """The DDL that drops `index`."""
    if dialect == "postgresql":
        return postgresql.drop_statements(index)
    return sqlite.drop_statements(index)


def database_names(index: SearchIndex, *, dialect: str) -> tuple[str, ...]:
    """The names of what `index` is made of: PostgreSQL's two indexes, SQLite's FTS5
    table and triggers (so what reads a table's objects can tell them as Tessera's)."""
    if dialect == "postgresql":
        return (postgresql.words_index_name(index), postgresql.trigram_index_name(index))
    return sqlite.object_names(index)


def enable_extension_statements(support: SearchSupport, *, dialect: str) -> list[Executable]:
    """The DDL that enables what search indexes need (PostgreSQL's `pg_trgm`)."""
    if dialect == "postgresql":
        return [postgresql.enable_extension_statement(support)]
    return []
