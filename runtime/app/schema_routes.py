"""JSON Schemas of records, the tenant's OpenAPI document and its Swagger UI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from engine.records import compiled_object
from engine.records.json_schema import object_schema_document
from runtime.app.auth import InTenant
from runtime.app.json_body import StrictJsonRoute
from runtime.app.openapi import OpenApiCache, base_openapi

router = APIRouter(tags=["schema"], route_class=StrictJsonRoute)


@router.get("/api/v1/schema/{object_name}")
async def object_schema(run: InTenant, object_name: str) -> JSONResponse:
    """JSON Schema (draft 2020-12) of an object's record: what a create body may hold."""
    document = await run(
        lambda context: object_schema_document(compiled_object(context, object_name)[1])
    )
    return JSONResponse(document, media_type="application/schema+json")


@router.get("/openapi.json", include_in_schema=False)
async def openapi_document(request: Request, run: InTenant) -> dict[str, Any]:
    """The caller's tenant's OpenAPI document; without a key, the tenant-independent part."""
    if not run.has_credentials:
        return base_openapi(request.app)
    cache: OpenApiCache = request.app.state.openapi_cache
    return await run(lambda context: cache.get(request.app, context))


_SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tessera API</title>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
  <style>
    #key { font: 14px sans-serif; padding: 8px 16px; background: #f4f4f4; }
    #key input { width: 36em; }
  </style>
</head>
<body>
  <form id="key">API key: <input name="key" placeholder="tsk_…" autocomplete="off">
    <button>Use key</button>
    <span>the key stays in this browser and shows your tenant's objects</span>
  </form>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
  <script>
    const form = document.getElementById("key");
    form.key.value = localStorage.getItem("tesseraApiKey") || "";
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      localStorage.setItem("tesseraApiKey", form.key.value.trim());
      location.reload();
    });
    SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      requestInterceptor: (request) => {
        const key = localStorage.getItem("tesseraApiKey");
        if (key) request.headers["Authorization"] = "Bearer " + key;
        return request;
      },
    });
  </script>
</body>
</html>
"""


@router.get("/docs", include_in_schema=False)
def swagger_ui() -> HTMLResponse:
    """Swagger UI on the caller's tenant document (the key is kept in the browser)."""
    return HTMLResponse(_SWAGGER_PAGE)
