"""Global search: `GET /api/v1/search?q=…` (thin: parse, call the engine, render)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from engine import records
from engine.search import DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LENGTH, MAX_SEARCH_LIMIT, SearchQuery
from runtime.app.api_route import ApiRoute
from runtime.app.auth import InTenant
from runtime.app.json_response import RecordJSONResponse

router = APIRouter(prefix="/api/v1", tags=["search"], route_class=ApiRoute)


@router.get("/search")
async def search(
    run: InTenant,
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
    """Find records by their searchable fields in every object, ranked, grouped by object.

    A query parameter it does not take is refused, as on every route (`ApiRoute`).
    """
    names = [name.strip() for name in objects.split(",") if name.strip()] if objects else None
    query = SearchQuery(text=q, objects=names, limit=limit)
    return RecordJSONResponse(await run(lambda context: records.search(context, query)))
