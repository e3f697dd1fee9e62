"""Search on SQLite: an external-content FTS5 table per object, kept current by triggers.

The FTS5 table indexes the searchable columns with the trigram tokenizer, which finds any
part of three characters or more of a text, in any language (Chinese included), case
ignored. It stores no copy of the text: it reads the object's table (`content=`) by rowid.
Three triggers on the object's table keep it current on every insert, update of a
searchable column, and delete (foreign-key cascades included), so every write path, the
engine's own and any other, keeps the index right.

A word of one or two characters is too short for trigrams: it is found by reading the
object's rows (a scan). Case is ignored in every script: the tokenizer folds it, and the
conditions on the rows compare text case-folded by Python (SQLite's `lower()` and `LIKE`
fold ASCII only). SQLite has no stemming: "invoice" finds "invoices", not the other way
round.

Rowids are not stable across a table rebuild, so the planner drops and builds the index
around one (`engine/schema_sync/plan.py`), as around any change of its columns or table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, Text, and_, column, func, literal_column, or_, select
from sqlalchemy import table as table_clause
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import text
from sqlalchemy.sql.expression import Executable
from sqlalchemy.sql.functions import Function

from engine.database import CASEFOLD_FUNCTION
from engine.search.index import SearchIndex
from engine.search.terms import TRIGRAM_LENGTH

_PREPARER = sqlite.dialect().identifier_preparer
_TRIGGERS = ("insert", "update", "delete")


def _quote(name: str) -> str:
    return _PREPARER.quote_identifier(name)


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fts_table_name(index: SearchIndex) -> str:
    """The FTS5 table's name: no object's table starts with `_`, so none can take it."""
    return f"_{index.name}"


def _trigger_name(index: SearchIndex, event: str) -> str:
    return f"{fts_table_name(index)}_{event}"


def object_names(index: SearchIndex) -> tuple[str, ...]:
    """The FTS5 table and the triggers of `index`."""
    return (fts_table_name(index), *(_trigger_name(index, event) for event in _TRIGGERS))


def create_statements(index: SearchIndex) -> list[Executable]:
    """The statements that create the FTS5 table and its triggers, then index every row."""
    schema, fts = _quote(index.schema), _quote(fts_table_name(index))
    columns = [_quote(name) for name in index.column_names]
    listed = ", ".join(columns)
    news = ", ".join(f"new.{name}" for name in columns)
    olds = ", ".join(f"old.{name}" for name in columns)
    table = _quote(index.table_name)
    add = f"INSERT INTO {fts} (rowid, {listed}) VALUES (new.rowid, {news});"
    remove = f"INSERT INTO {fts} ({fts}, rowid, {listed}) VALUES ('delete', old.rowid, {olds});"
    changed = " OR ".join(f"old.{name} IS NOT new.{name}" for name in columns)
    triggers = {
        "insert": f"AFTER INSERT ON {table} BEGIN {add} END",
        "update": f"AFTER UPDATE OF {listed} ON {table} WHEN {changed} BEGIN {remove} {add} END",
        "delete": f"AFTER DELETE ON {table} BEGIN {remove} END",
    }
    statements = [
        f"CREATE VIRTUAL TABLE {schema}.{fts} USING fts5({listed}, "
        f"content={_string(index.table_name)}, content_rowid='rowid', tokenize='trigram')",
        *(
            f"CREATE TRIGGER {schema}.{_quote(_trigger_name(index, event))} {triggers[event]}"
            for event in _TRIGGERS
        ),
        # Index the rows the table already has (nothing, for a new table).
        f"INSERT INTO {schema}.{fts} ({fts}) VALUES ('rebuild')",
    ]
    return [text(statement) for statement in statements]


def drop_statements(index: SearchIndex) -> list[Executable]:
    """The statements that drop the triggers and the FTS5 table."""
    schema = _quote(index.schema)
    statements = [
        f"DROP TRIGGER IF EXISTS {schema}.{_quote(_trigger_name(index, event))}"
        for event in _TRIGGERS
    ]
    statements.append(f"DROP TABLE IF EXISTS {schema}.{_quote(fts_table_name(index))}")
    return [text(statement) for statement in statements]


def _folded(column: ColumnElement[Any]) -> ColumnElement[Any]:
    # Case-folded in Python (`engine/database/sqlite.py`): SQLite's lower() and LIKE fold
    # ASCII only, and the trigram tokenizer folds every script.
    return Function(CASEFOLD_FUNCTION, column, type_=Text())


def _phrase(word: str) -> str:
    # An FTS5 string: any text between double quotes, a quote doubled; never an operator.
    return '"' + word.replace('"', '""') + '"'


class SqliteMatcher:
    """The conditions and ranking terms of a search of one object's table on SQLite."""

    def __init__(self, table: Table, index: SearchIndex) -> None:
        self._index = index
        self._columns = [table.c[name] for name in index.column_names]

    def candidates(self, words: Sequence[str]) -> ColumnElement[bool]:
        """Rows where every word is found: long words through FTS5, short ones in the rows."""
        index = self._index
        conditions: list[ColumnElement[bool]] = []
        indexed = [word for word in words if len(word) >= TRIGRAM_LENGTH]
        if indexed:
            name = fts_table_name(index)
            fts = table_clause(name, column(name), column("rowid"), schema=index.schema)
            matching = select(fts.c.rowid).where(
                fts.c[name].match(" AND ".join(_phrase(word) for word in indexed))
            )
            rowid: ColumnElement[Any] = literal_column(
                f"{_quote(index.schema)}.{_quote(index.table_name)}.rowid"
            )
            conditions.append(rowid.in_(matching))
        for word in words:
            if len(word) < TRIGRAM_LENGTH:
                conditions.append(or_(*(self.contains(column, word) for column in self._columns)))
        return and_(*conditions)

    def contains(self, column: ColumnElement[Any], word: str) -> ColumnElement[bool]:
        """Whether `column` holds `word` as part of its text, case ignored."""
        return func.instr(_folded(column), word.casefold()) > 0

    def equals(self, column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
        """Whether `column` is `value`, case ignored."""
        return _folded(column) == value.casefold()

    def starts_with(self, column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
        """Whether `column` starts with `value`, case ignored."""
        return func.instr(_folded(column), value.casefold()) == 1

    def greatest(self, values: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        """The largest of `values` (at least two: SQLite's one-argument max aggregates)."""
        return func.max(*values)

    def relevance(self, text_searched: str) -> ColumnElement[Any] | None:
        """None: equal scores are ordered by name."""
        return None
