"""Global search: `GET /api/v1/search?q=…` (thin: parse, call the engine, render)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from engine import records
from engine.errors import Problem
from engine.query import InvalidQuery
from engine.search import DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LENGTH, MAX_SEARCH_LIMIT, SearchQuery
from runtime.app.auth import InTenant
from runtime.app.json_body import StrictJsonRoute
from runtime.app.json_response import RecordJSONResponse

router = APIRouter(prefix="/api/v1", tags=["search"], route_class=StrictJsonRoute)

_PARAMETERS = ("q", "objects", "limit")


def refuse_unknown_parameters(request: Request) -> None:
    """Refuse query parameters the search does not take, so none is silently ignored.

    Raises:
        InvalidQuery: one problem per unknown parameter.
    """
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in _PARAMETERS]
    if not unknown:
        return
    problems = [
        Problem(
            f"/{name}",
            "unknown-parameter",
            f"unknown query parameter {name!r}; the search takes: {', '.join(_PARAMETERS)}",
        )
        for name in unknown
    ]
    raise InvalidQuery(problems[0].detail, problems=problems)


@router.get("/search")
async def search(
    run: InTenant,
    request: Request,
    q: Annotated[
        str | None,
        Query(description=f"The words to find (at most {MAX_SEARCH_LENGTH} characters)"),
    ] = None,
    objects: Annotated[
        str | None, Query(description="Comma-separated objects to search (default: all)")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_SEARCH_LIMIT, description="The most records per object")
    ] = DEFAULT_SEARCH_LIMIT,
) -> Response:
    """Find records by their searchable fields in every object, ranked, grouped by object."""
    refuse_unknown_parameters(request)
    names = [name.strip() for name in objects.split(",") if name.strip()] if objects else None
    query = SearchQuery(text=q, objects=names, limit=limit)
    return RecordJSONResponse(await run(lambda context: records.search(context, query)))
