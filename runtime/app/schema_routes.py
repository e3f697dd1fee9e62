"""JSON Schemas of records and the tenant's OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from engine.records.json_schema import caller_schema_document
from runtime.app.api_route import ApiRoute
from runtime.app.auth import InTenant
from runtime.app.openapi import OpenApiCache, base_openapi

router = APIRouter(tags=["schema"], route_class=ApiRoute)


@router.get("/api/v1/schema/{object_name}")
async def object_schema(run: InTenant, object_name: str) -> JSONResponse:
    """JSON Schema (draft 2020-12) of an object's record: what a create body may hold."""
    document = await run(lambda context: caller_schema_document(context, object_name))
    return JSONResponse(document, media_type="application/schema+json")


@router.get("/openapi.json", include_in_schema=False)
async def openapi_document(request: Request, run: InTenant) -> dict[str, Any]:
    """The caller's tenant's OpenAPI document; without a key, the tenant-independent part."""
    if not run.has_credentials:
        return base_openapi(request.app)
    cache: OpenApiCache = request.app.state.openapi_cache
    return await run(lambda context: cache.get(request.app, context))
