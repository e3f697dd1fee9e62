"""Search on PostgreSQL: two GIN expression indexes over a record's searchable text.

The indexed document is the searchable columns joined by spaces (its first
`MAX_INDEXED_CHARACTERS` characters):

- a full-text index, `to_tsvector('english', document)`, finds words in their stemmed
  forms ("invoices" finds "invoice");
- a trigram index (`pg_trgm`), `document gin_trgm_ops`, serves `ILIKE '%…%'`, which finds
  any part of a word, and text without spaces between its words, such as Chinese: the
  full-text parser keeps `北京科技有限公司` as one word, but `科技` is inside it.

A word matches when either finds it. Both are expression indexes: PostgreSQL keeps them
current on every write (insert, update, delete, COPY, cascades of foreign keys) with no
trigger or column, and a renamed column stays indexed. The query repeats the indexed
expressions exactly, literals inlined, so the planner recognises them.

Trigrams are three characters long: a word of one or two characters (`两票`) cannot use
the trigram index, and is found by reading the object's rows with ILIKE alone (such a
word is its own stem, so the full-text index would find nothing more).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Index,
    MetaData,
    Table,
    Text,
    and_,
    case,
    func,
    literal_column,
    or_,
    text,
)
from sqlalchemy.schema import CreateIndex, DropIndex
from sqlalchemy.sql.expression import Executable

from engine.search.index import SearchIndex
from engine.search.support import TRIGRAM_EXTENSION, SearchSupport
from engine.search.terms import TRIGRAM_LENGTH

#: The text search configuration: English stemming and stop words. Words of other
#: languages are kept as they are written, and the trigram index finds their parts.
TEXT_SEARCH_CONFIG = "english"
#: How much of a record's searchable text is indexed; a text search vector holds at
#: most 1 MB, which a long text of distinct words could pass.
MAX_INDEXED_CHARACTERS = 100_000

_CONFIG: ColumnElement[Any] = literal_column(f"'{TEXT_SEARCH_CONFIG}'::regconfig")
_EMPTY: ColumnElement[Any] = literal_column("''")
_SPACE: ColumnElement[Any] = literal_column("' '")
_LIMIT: ColumnElement[Any] = literal_column(str(MAX_INDEXED_CHARACTERS))


def words_index_name(index: SearchIndex) -> str:
    """The name of the full-text index."""
    return f"ix_{index.name}_words"


def trigram_index_name(index: SearchIndex) -> str:
    """The name of the trigram index."""
    return f"ix_{index.name}_trigrams"


def document(columns: Sequence[ColumnElement[Any]]) -> ColumnElement[str]:
    """The text both indexes cover: the columns joined by spaces, cut to the indexed length."""
    joined: ColumnElement[Any] = func.coalesce(columns[0], _EMPTY)
    for column in columns[1:]:
        joined = joined.op("||")(_SPACE).op("||")(func.coalesce(column, _EMPTY))
    return func.left(joined, _LIMIT)


def _vector(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.to_tsvector(_CONFIG, value)


def _query(word: str) -> ColumnElement[Any]:
    # plainto_tsquery reads words only: no operator of the text is ever interpreted.
    return func.plainto_tsquery(_CONFIG, word)


def _is_stemmed(word: str) -> bool:
    """Whether the full-text index can find `word` other than as part of a text.

    A word of one or two characters is its own stem: where it occurs, ILIKE finds it,
    and asking the full-text index too would only compute a vector for every row a
    scan reads.
    """
    return len(word) >= TRIGRAM_LENGTH


def _like_pattern(word: str, *, is_prefix: bool = False) -> str:
    # Backslash is PostgreSQL's LIKE escape; no ESCAPE clause keeps the trigram index usable.
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if is_prefix else f"%{escaped}%"


def create_statements(index: SearchIndex, support: SearchSupport) -> list[Executable]:
    """The statements that build the index over the existing rows."""
    scratch = Table(
        index.table_name,
        MetaData(),
        *(Column(name, Text()) for name in index.column_names),
        schema=index.schema,
    )
    indexed = document(list(scratch.columns))
    trigram_ops = f"{support.extension_schema}.gin_trgm_ops"
    return [
        CreateIndex(
            Index(words_index_name(index), _vector(indexed), postgresql_using="gin", _table=scratch)
        ),
        CreateIndex(
            Index(
                trigram_index_name(index),
                indexed.label("document"),
                postgresql_using="gin",
                postgresql_ops={"document": trigram_ops},
                _table=scratch,
            )
        ),
    ]


def drop_statements(index: SearchIndex) -> list[Executable]:
    """The statements that drop the index."""
    scratch = Table(index.table_name, MetaData(), schema=index.schema)
    return [
        DropIndex(Index(name, _table=scratch))
        for name in (words_index_name(index), trigram_index_name(index))
    ]


def enable_extension_statement(support: SearchSupport) -> Executable:
    """The statement that enables `pg_trgm` in the schema the indexes will name."""
    return text(
        f'CREATE EXTENSION IF NOT EXISTS {TRIGRAM_EXTENSION} SCHEMA "{support.extension_schema}"'
    )


class PostgresqlMatcher:
    """The conditions and ranking terms of a search of one object's table on PostgreSQL."""

    def __init__(self, table: Table, index: SearchIndex) -> None:
        self._document = document([table.c[name] for name in index.column_names])
        self._vector = _vector(self._document)

    def candidates(self, words: Sequence[str]) -> ColumnElement[bool]:
        """Rows where every word is found, through either index."""
        # ILIKE first: PostgreSQL evaluates OR in order, and a row it finds needs no
        # text search vector computed when it rechecks or scans rows.
        return and_(
            *(
                or_(self._holds(word), self._has_word(word))
                if _is_stemmed(word)
                else self._holds(word)
                for word in words
            )
        )

    def contains(self, column: ColumnElement[Any], word: str) -> ColumnElement[bool]:
        """Whether `column` holds `word`: as part of its text or, when no field of the
        record holds it so, in a stemmed form (the vector of one field is computed only
        for the records found through stemming)."""
        holds = column.ilike(_like_pattern(word))
        if not _is_stemmed(word):
            return holds
        field_vector = _vector(func.left(func.coalesce(column, _EMPTY), _LIMIT))
        return case(
            (self._holds(word), holds),
            else_=field_vector.bool_op("@@")(_query(word)),
        )

    def equals(self, column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
        """Whether `column` is `value`, case ignored."""
        return func.lower(column) == func.lower(value)

    def starts_with(self, column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
        """Whether `column` starts with `value`, case ignored."""
        return column.ilike(_like_pattern(value, is_prefix=True))

    def greatest(self, values: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
        """The largest of `values` (at least two)."""
        return func.greatest(*values)

    def relevance(self, text_searched: str) -> ColumnElement[Any] | None:
        """How well the record's words cover the search (0 to 1), to order equal scores."""
        # Normalization 32 scales the rank into [0, 1).
        return func.ts_rank(self._vector, _query(text_searched), 32)

    def _holds(self, word: str) -> ColumnElement[bool]:
        return self._document.ilike(_like_pattern(word))

    def _has_word(self, word: str) -> ColumnElement[bool]:
        return self._vector.bool_op("@@")(_query(word))
