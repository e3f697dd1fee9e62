"""Global search: find records by their searchable fields in every object, ranked, grouped.

Each object with a search index gets one query: the rows in which every word is found
(through the index, `dialects.py`) and that the caller's scope shows, ordered by score,
at most `limit` of them. A record's score says where and how well the text was found
(docs/data-api.md, "Search"):

- each searchable field scores 4 when it is the text searched for (case ignored), 3 when
  it starts with it, 2 when it holds every word, 1 when it holds some of them, else 0;
- the record scores 5 times its name field's score (the field that names the record,
  `engine/catalog/display_names.py`) plus the best score of its other fields: 0 to 24.
  A record found in its name ranks above one found only in other fields, an exact name
  above a leading one, and a name holding every word above one holding some.

A field "matches" when it scores above 0. Equal scores are ordered by text-search
relevance on PostgreSQL (among the best `RELEVANCE_WINDOW` records), then by name and id.

A caller searches only the objects they may read, by the searchable fields they may
query (not hidden, not masked): a record is found only when every word is in one of
those, so a search never tells what a field they may not read holds. A name field they
may not read shows no display name; one they see masked shows its mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, literal, or_, select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.errors import Problem
from engine.query import FieldAccess, InvalidQuery, ObjectAccess, QueryScope
from engine.search.dialects import RecordMatcher, record_matcher
from engine.search.index import IndexedField, SearchIndex, search_index
from engine.search.terms import SearchText, parse_search_text

#: Records per object, at most and by default.
MAX_SEARCH_LIMIT = 50
DEFAULT_SEARCH_LIMIT = 10
#: The score of a field that is the text searched for, starts with it, holds every word
#: of it, or some of them.
EXACT, LEADING, EVERY_WORD, SOME_WORD = 4, 3, 2, 1
#: How much more a match in the name field weighs than the best match elsewhere.
NAME_WEIGHT = EXACT + 1
#: How many of the best records (by score, then name) relevance orders, where it is read.
RELEVANCE_WINDOW = 1000


@dataclass(frozen=True)
class SearchQuery:
    """What a search asks for (parsed from the query string).

    Attributes:
        text: the text to find (`q`).
        objects: the objects to search, by api name; None searches every object that has
            searchable fields.
        limit: the most records returned per object.
    """

    text: str | None
    objects: list[str] | None = None
    limit: int = DEFAULT_SEARCH_LIMIT


@dataclass(frozen=True)
class _Searched:
    """An object searched: its index, and the indexed fields the caller may query."""

    obj: CompiledObject
    index: SearchIndex
    access: ObjectAccess
    fields: tuple[IndexedField, ...]

    @property
    def is_narrowed(self) -> bool:
        """Whether the caller may query fewer fields than the index covers."""
        return len(self.fields) < len(self.index.fields)


def _searched(obj: CompiledObject, index: SearchIndex, access: FieldAccess) -> _Searched:
    granted = access.on(obj)
    fields = tuple(field for field in index.fields if granted.can_query(field.api_name))
    return _Searched(obj, index, granted, fields)


def search_records(
    connection: Connection,
    *,
    catalog: Catalog,
    query: SearchQuery,
    scope: QueryScope,
    access: FieldAccess,
) -> dict[str, Any]:
    """Return `{"data": [group, …], "searched": [object, …]}`, best groups first.

    A group is `{"object", "label", "plural_label", "records", "has_more"}`, present when
    the object has a record found; a record is `{"id", "display_name", "score",
    "matches"}`.

    Raises:
        InvalidQuery: no text or a text past the limits, a limit out of range, objects that
            do not exist or have no searchable field (every problem at once).
    """
    problems: list[Problem] = []
    searched_text: SearchText | None = None
    try:
        searched_text = parse_search_text(query.text)
    except InvalidQuery as exc:
        problems += exc.problems
    if not 1 <= query.limit <= MAX_SEARCH_LIMIT:
        problems.append(
            Problem("/limit", "out-of-range", f"limit is between 1 and {MAX_SEARCH_LIMIT}")
        )
    searched = _searched_objects(catalog, query.objects, problems, access)
    if problems or searched_text is None:
        raise InvalidQuery(problems[0].detail, problems=problems)
    groups = []
    for target in searched:
        statement = _object_search(
            target, searched_text, scope, dialect=connection.dialect.name, limit=query.limit
        )
        rows = connection.execute(statement).all()
        if rows:
            groups.append(_group(target, rows, limit=query.limit))
    groups.sort(key=lambda group: (-group["records"][0]["score"], group["object"]))
    return {"data": groups, "searched": [target.obj.state.api_name for target in searched]}


def _searched_objects(
    catalog: Catalog, names: Sequence[str] | None, problems: list[Problem], access: FieldAccess
) -> list[_Searched]:
    """The objects a search reads, in the order asked (else by api name)."""
    schema = catalog.metadata_state.schema_name
    if names is None:
        found = [
            target
            for obj in catalog.objects.values()
            if (index := search_index(obj.state, schema=schema)) is not None
            and (target := _searched(obj, index, access)).fields
        ]
        return sorted(found, key=lambda target: target.obj.state.api_name)
    searched: list[_Searched] = []
    seen: set[str] = set()
    for position, name in enumerate(names):
        pointer = f"/objects/{position}"
        obj = catalog.objects.get(name)
        if obj is not None and not access.on(obj).is_readable:
            obj = None  # an object the caller may not read is not there for them
        if name in seen:
            problems.append(Problem(pointer, "repeated-name", f"{name!r} is named more than once"))
            continue
        seen.add(name)
        if obj is None:
            problems.append(
                Problem(
                    pointer,
                    "unknown-object",
                    f"there is no object {name!r}; objects with searchable fields: "
                    + (", ".join(_searchable_names(catalog, access)) or "none yet"),
                )
            )
            continue
        index = search_index(obj.state, schema=schema)
        if index is not None and not (target := _searched(obj, index, access)).fields:
            problems.append(
                Problem(
                    pointer,
                    "not-searchable",
                    f"{name!r} has no searchable field you may query",
                )
            )
            continue
        if index is None:
            problems.append(
                Problem(
                    pointer,
                    "not-searchable",
                    f"{name!r} has no searchable field; mark its text fields "
                    '"searchable": true (admin API) to find its records',
                )
            )
            continue
        searched.append(target)
    return searched


def _searchable_names(catalog: Catalog, access: FieldAccess) -> list[str]:
    schema = catalog.metadata_state.schema_name
    return sorted(
        name
        for name, obj in catalog.objects.items()
        if (index := search_index(obj.state, schema=schema)) is not None
        and _searched(obj, index, access).fields
    )


def _object_search(
    target: _Searched, searched: SearchText, scope: QueryScope, *, dialect: str, limit: int
) -> Select[Any]:
    """The query of one object: found rows in scope, best first, one more than `limit`.

    It selects each searchable field's score (`field_<i>`) and the record's (`score`).
    """
    obj, index = target.obj, target.index
    table = obj.table
    matcher = record_matcher(table, index, dialect=dialect)
    name = obj.name_field
    if name is not None and not target.access.can_read(name):
        name = None
    name_column = table.c[obj.fields[name].state.column_name] if name is not None else None
    scores = {
        field.api_name: _field_score(table.c[field.column_name], searched, matcher)
        for field in target.fields
    }
    others = [field_score for api_name, field_score in scores.items() if api_name != name]
    parts: list[ColumnElement[Any]] = []
    if name in scores:
        parts.append(literal(NAME_WEIGHT) * scores[name])
    if others:
        parts.append(others[0] if len(others) == 1 else matcher.greatest(others))
    score = (parts[0] if len(parts) == 1 else parts[0] + parts[1]).label("score")
    display = (name_column if name_column is not None else literal(None)).label("display_name")
    conditions = [matcher.candidates(searched.words)]
    if target.is_narrowed:
        # Every word in a field the caller may query: the index covers fields they may not.
        columns = [table.c[field.column_name] for field in target.fields]
        conditions += [
            or_(*(matcher.contains(column, word) for column in columns)) for word in searched.words
        ]
    visible = scope.predicate(obj, table)
    if visible is not None:
        conditions.append(visible)
    by_name = [name_column.asc().nulls_last()] if name_column is not None else []
    fields = [field_score.label(f"field_{i}") for i, field_score in enumerate(scores.values())]
    best = (
        select(table.c.id, display, score, *fields)
        .where(and_(*conditions))
        .order_by(score.desc(), *by_name, table.c.id)
    )
    relevance = matcher.relevance(searched.text)
    if relevance is None:
        return best.limit(limit + 1)
    # Relevance reads each record's text again: it orders the best records only, not
    # every record found (a word that every record holds would cost a read of each).
    window = best.add_columns(relevance.label("relevance")).limit(RELEVANCE_WINDOW).subquery()
    return (
        select(*(column for column in window.c if column.name != "relevance"))
        .order_by(
            window.c.score.desc(),
            window.c.relevance.desc(),
            window.c.display_name.asc().nulls_last(),
            window.c.id,
        )
        .limit(limit + 1)
    )


def _field_score(
    column: ColumnElement[Any], searched: SearchText, matcher: RecordMatcher
) -> ColumnElement[Any]:
    """4, 3, 2, 1 or 0: how well one field matches (see the module's docstring)."""
    holds = [matcher.contains(column, word) for word in searched.words]
    ranks = [
        (matcher.equals(column, searched.text), EXACT),
        (matcher.starts_with(column, searched.text), LEADING),
        (and_(*holds), EVERY_WORD),
    ]
    if len(holds) > 1:
        ranks.append((or_(*holds), SOME_WORD))
    return case(*ranks, else_=0)


def _group(target: _Searched, rows: Sequence[Any], *, limit: int) -> dict[str, Any]:
    state = target.obj.state
    field_names = [field.api_name for field in target.fields]
    name = target.obj.name_field
    mask = target.access.masks.get(name) if name is not None else None
    records = [
        {
            "id": str(row.id),
            "display_name": (
                mask(row.display_name)
                if mask is not None and row.display_name is not None
                else row.display_name
            ),
            "score": int(row.score),
            "matches": [name for i, name in enumerate(field_names) if row._mapping[f"field_{i}"]],
        }
        for row in rows[:limit]
    ]
    return {
        "object": state.api_name,
        "label": state.label,
        "plural_label": state.plural_label,
        "records": records,
        "has_more": len(rows) > limit,
    }
