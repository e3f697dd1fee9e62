"""JSON Schemas of records, the tenant's OpenAPI document and its Swagger UI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from engine.context import RequestContext
from engine.records import compiled_object
from engine.records.json_schema import object_schema_document
from runtime.app.auth import Context, optional_request_context
from runtime.app.openapi import OpenApiCache, base_openapi

router = APIRouter(tags=["schema"])


@router.get("/api/v1/schema/{object_name}")
def object_schema(context: Context, object_name: str) -> JSONResponse:
    """JSON Schema (draft 2020-12) of an object's record: what a create body may hold."""
    _, obj = compiled_object(context, object_name)
    return JSONResponse(object_schema_document(obj), media_type="application/schema+json")


@router.get("/openapi.json", include_in_schema=False)
def openapi_document(
    request: Request,
    context: Annotated[RequestContext | None, Depends(optional_request_context)],
) -> dict[str, Any]:
    """The caller's tenant's OpenAPI document; without a key, the tenant-independent part."""
    if context is None:
        return base_openapi(request.app)
    cache: OpenApiCache = request.app.state.openapi_cache
    return cache.get(request.app, context)


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
