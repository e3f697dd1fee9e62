"""Global search: find records by their searchable fields in every object, ranked, grouped.

Each object with a search index gets one query: the rows in which every word is found
(through the index, `dialects.py`) and that the caller's scope shows, ordered by score,
at most `limit` of them. A record's score says where and how well the text was found
(docs/data-api.md, "Search"):

- in each searchable field, 3 when the field is the text searched for (case ignored), 2
  when it starts with it, 1 when it holds every word, 0 otherwise;
- the score is 4 times the name field's (the field that names the record,
  `engine/catalog/display_names.py`) plus the best of the other fields', 0 to 15. A
  record found in its name ranks above one found only in other fields, and an exact name
  above a partial one.

Equal scores are ordered by text-search relevance on PostgreSQL, then by name and id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, literal, or_, select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.errors import Problem
from engine.query import InvalidQuery, QueryScope
from engine.search.dialects import SearchDialect, search_dialect
from engine.search.index import SearchIndex, search_index
from engine.search.terms import SearchText, parse_search_text

#: Records per object, at most and by default.
MAX_SEARCH_LIMIT = 50
DEFAULT_SEARCH_LIMIT = 10
#: The score of a field that is the text searched for, starts with it, or holds every word.
EXACT, LEADING, HOLDS_EVERY_WORD = 3, 2, 1
#: How much more a match in the name field weighs than the best match elsewhere.
NAME_WEIGHT = EXACT + 1


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
    obj: CompiledObject
    index: SearchIndex


def search_records(
    connection: Connection, *, catalog: Catalog, query: SearchQuery, scope: QueryScope
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
    searched = _searched_objects(catalog, query.objects, problems)
    if problems or searched_text is None:
        raise InvalidQuery(problems[0].detail, problems=problems)
    dialect = search_dialect(connection.dialect.name)
    groups = []
    for target in searched:
        statement = _object_search(target, searched_text, dialect, scope, limit=query.limit)
        rows = connection.execute(statement).all()
        if rows:
            groups.append(_group(target, rows, limit=query.limit))
    groups.sort(key=lambda group: (-group["records"][0]["score"], group["object"]))
    return {"data": groups, "searched": [target.obj.state.api_name for target in searched]}


def _searched_objects(
    catalog: Catalog, names: Sequence[str] | None, problems: list[Problem]
) -> list[_Searched]:
    """The objects a search reads, in the order asked (else by api name)."""
    schema = catalog.metadata_state.schema_name
    if names is None:
        found = [
            _Searched(obj, index)
            for obj in catalog.objects.values()
            if (index := search_index(obj.state, schema=schema)) is not None
        ]
        return sorted(found, key=lambda target: target.obj.state.api_name)
    searched: list[_Searched] = []
    seen: set[str] = set()
    for position, name in enumerate(names):
        pointer = f"/objects/{position}"
        obj = catalog.objects.get(name)
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
                    + (", ".join(_searchable_names(catalog)) or "none yet"),
                )
            )
            continue
        index = search_index(obj.state, schema=schema)
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
        searched.append(_Searched(obj, index))
    return searched


def _searchable_names(catalog: Catalog) -> list[str]:
    schema = catalog.metadata_state.schema_name
    return sorted(
        name
        for name, obj in catalog.objects.items()
        if search_index(obj.state, schema=schema) is not None
    )


def _object_search(
    target: _Searched,
    searched: SearchText,
    dialect: SearchDialect,
    scope: QueryScope,
    *,
    limit: int,
) -> Select[Any]:
    """The query of one object: found rows in scope, best first, one more than `limit`."""
    obj, index = target.obj, target.index
    table = obj.table
    columns = {field.api_name: table.c[field.column_name] for field in index.fields}
    name = obj.name_field
    name_column = table.c[obj.fields[name].state.column_name] if name is not None else None
    name_score = _field_score(columns[name], searched, dialect) if name in columns else None
    others = [
        _field_score(column, searched, dialect)
        for api_name, column in columns.items()
        if api_name != name
    ]
    best_other = None if not others else others[0] if len(others) == 1 else dialect.greatest(others)
    parts: list[ColumnElement[Any]] = []
    if name_score is not None:
        parts.append(literal(NAME_WEIGHT) * name_score)
    if best_other is not None:
        parts.append(best_other)
    score = (parts[0] if len(parts) == 1 else parts[0] + parts[1]).label("score")
    found_in = [
        or_(*(dialect.contains(column, word) for word in searched.words)).label(f"found_{i}")
        for i, column in enumerate(columns.values())
    ]
    display = (name_column if name_column is not None else literal(None)).label("display_name")
    conditions = [dialect.candidates(table, index, searched.words)]
    visible = scope.predicate(obj, table)
    if visible is not None:
        conditions.append(visible)
    order: list[Any] = [score.desc()]
    relevance = dialect.relevance(table, index, searched.text)
    if relevance is not None:
        order.append(relevance.desc())
    if name_column is not None:
        order.append(name_column.asc().nulls_last())
    order.append(table.c.id)
    return (
        select(table.c.id, display, score, *found_in)
        .where(and_(*conditions))
        .order_by(*order)
        .limit(limit + 1)
    )


def _field_score(
    column: ColumnElement[Any], searched: SearchText, dialect: SearchDialect
) -> ColumnElement[Any]:
    """3, 2, 1 or 0: how well one field matches (see the module's docstring)."""
    holds_every_word = and_(*(dialect.contains(column, word) for word in searched.words))
    return case(
        (dialect.equals(column, searched.text), EXACT),
        (dialect.starts_with(column, searched.text), LEADING),
        (holds_every_word, HOLDS_EVERY_WORD),
        else_=0,
    )


def _group(target: _Searched, rows: Sequence[Any], *, limit: int) -> dict[str, Any]:
    state = target.obj.state
    field_names = [field.api_name for field in target.index.fields]
    records = [
        {
            "id": str(row.id),
            "display_name": row.display_name,
            "score": int(row.score),
            "matches": [name for i, name in enumerate(field_names) if row._mapping[f"found_{i}"]],
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
