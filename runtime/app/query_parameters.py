"""Refuse query parameters a route does not take, naming the one that was probably meant.

A parameter no route reads (`?orderby=name` for `?sort=name`) would otherwise be ignored
and the caller would get an answer to a question they did not ask. Each route's
parameters are the ones FastAPI declares for it, read from the same dependant its
OpenAPI operation is built from, so what is refused is what the document leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.params import Query

from engine.errors import Problem, summarize
from engine.query import InvalidQuery
from engine.storable_json import find_unstorable
from engine.suggestions import closest_name

#: Words other APIs use for Tessera's query parameters, lower case.
SYNONYMS: Mapping[str, str] = {
    **dict.fromkeys(
        ("orderby", "order_by", "order", "ordering", "sort_by", "sortby", "$orderby"), "sort"
    ),
    **dict.fromkeys(
        ("where", "q", "query", "filters", "$filter", "search", "conditions"), "filter"
    ),
    **dict.fromkeys(
        ("page_size", "pagesize", "per_page", "size", "top", "$top", "max", "take"), "limit"
    ),
    **dict.fromkeys(
        ("page", "offset", "skip", "$skip", "start", "after", "page_token", "next"), "cursor"
    ),
    **dict.fromkeys(("select", "$select", "columns", "only", "attributes"), "fields"),
    **dict.fromkeys(("include", "embed", "populate", "with", "$expand", "join"), "expand"),
    **dict.fromkeys(("total", "with_count", "$count", "include_total", "inlinecount"), "count"),
    **dict.fromkeys(("dryrun", "preview", "plan", "validate_only", "check"), "dry_run"),
    **dict.fromkeys(("group", "groupby", "group_by_fields"), "group_by"),
    **dict.fromkeys(("aggregates", "metric", "measures"), "metrics"),
    **dict.fromkeys(("upsert", "external_id", "match_on", "key"), "upsert_on"),
}


def declared_query_parameters(dependant: Dependant) -> tuple[str, ...]:
    """Return the query parameters a route reads (its own and its dependencies'), in order.

    They are read the way FastAPI lists them in the route's OpenAPI operation.
    """
    names = (
        field.alias for field in get_flat_params(dependant) if isinstance(field.field_info, Query)
    )
    return tuple(dict.fromkeys(names))


def refuse_unknown_parameters(given: Iterable[str], declared: Sequence[str]) -> None:
    """Refuse the names in `given` that are not `declared`, each with its likely meaning.

    Raises:
        InvalidQuery: with one problem per unknown parameter.
    """
    unknown = [name for name in dict.fromkeys(given) if name not in declared]
    if not unknown:
        return
    problems = [
        Problem(f"/{name}", "unknown-parameter", _unknown_message(name, declared))
        for name in unknown
    ]
    raise InvalidQuery(summarize(problems), problems=problems)


def refuse_unstorable_parameters(items: Iterable[tuple[str, str]]) -> None:
    """Refuse query parameters whose value holds text no database stores (a NUL character).

    Checked before any route reads them, so no parameter reaches a query unchecked.

    Raises:
        InvalidQuery: naming the first such parameter.
    """
    for name, value in items:
        part = find_unstorable(value)
        if part is not None:
            problem = Problem(
                f"/{name}", part.flaw.code, f"query parameter {name!r}: {part.reason}"
            )
            raise InvalidQuery(problem.detail, problems=[problem])


def _unknown_message(name: str, declared: Sequence[str]) -> str:
    meant = closest_name(name, declared, synonyms=SYNONYMS)
    if meant is not None:
        return f"unknown query parameter {name!r}; did you mean {meant!r}?"
    if not declared:
        return f"unknown query parameter {name!r}; this request takes no query parameters"
    return f"unknown query parameter {name!r}; this request takes: {', '.join(declared)}"
