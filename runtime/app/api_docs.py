"""Swagger UI (`/docs`) and ReDoc (`/redoc`) on the caller's tenant document, served offline.

Both pages load their scripts and styles from this server (`/docs/assets/…`), out of the
`fastapi-offline` package, which ships current builds of Swagger UI and ReDoc: the pages
work on a machine without internet and load nothing from a third party. Swagger UI's
validator badge (a call to validator.swagger.io) is turned off, and ReDoc's side menu,
which always shows Redocly's logo from cdn.redoc.ly (no option hides it), may load
images from this server only: the browser does not fetch the logo, and ReDoc leaves it
out. `/favicon.ico` is the icon of the same package, so browsers find one.

The API key is typed into the page and kept in the browser's local storage; both pages
send it with the request for `/openapi.json`, so they show the tenant's own objects.
Swagger UI's Authorize button logs in with an e-mail and password instead (the OAuth2
password flow, the tenant's name as client_id); its token then goes with each request.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

#: Where the Swagger UI and ReDoc assets are served.
ASSETS_PATH = "/docs/assets"

router = APIRouter(include_in_schema=False)

#: Images only from this server (and inline data): no request leaves for a third party.
_PAGE_HEADERS = {"Content-Security-Policy": "img-src 'self' data:"}
_FAVICON = files("fastapi_offline").joinpath("static", "favicon.png")

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="icon" href="/favicon.ico">
  {head}
  <style>
    #key {{ font: 14px sans-serif; padding: 8px 16px; background: #f4f4f4; }}
    #key input {{ width: 36em; }}
  </style>
</head>
<body>
  <form id="key">API key: <input name="key" placeholder="tsk_…" autocomplete="off">
    <button>Use key</button>
    <span>the key stays in this browser and shows your tenant's objects</span>
  </form>
  <div id="{element}"></div>
  <script src="{script}"></script>
  <script>
    const form = document.getElementById("key");
    form.key.value = localStorage.getItem("tesseraApiKey") || "";
    form.addEventListener("submit", (event) => {{
      event.preventDefault();
      localStorage.setItem("tesseraApiKey", form.key.value.trim());
      location.reload();
    }});
    function keyHeaders() {{
      const key = localStorage.getItem("tesseraApiKey");
      return key ? {{"Authorization": "Bearer " + key}} : {{}};
    }}
{start}
  </script>
</body>
</html>
"""

_SWAGGER_START = """    SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      validatorUrl: null,
      requestInterceptor: (request) => {
        // A login through Authorize (its token request, then its token) goes as it is.
        if (!request.headers.Authorization) Object.assign(request.headers, keyHeaders());
        return request;
      },
    });"""

# ReDoc cannot add a header to its own request: the page fetches the document itself.
_REDOC_START = """    fetch("/openapi.json", {headers: keyHeaders()})
      .then((response) => response.json())
      .then((document) => Redoc.init(document, {}, window["redoc"]));"""

_SWAGGER_PAGE = _PAGE.format(
    title="Tessera API",
    head=f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">',
    element="swagger-ui",
    script=f"{ASSETS_PATH}/swagger-ui-bundle.js",
    start=_SWAGGER_START,
)
_REDOC_PAGE = _PAGE.format(
    title="Tessera API reference",
    head="",
    element="redoc",
    script=f"{ASSETS_PATH}/redoc.standalone.js",
    start=_REDOC_START,
)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI on the caller's tenant document (the key is kept in the browser)."""
    return HTMLResponse(_SWAGGER_PAGE, headers=_PAGE_HEADERS)


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """ReDoc on the caller's tenant document (the key is kept in the browser)."""
    return HTMLResponse(_REDOC_PAGE, headers=_PAGE_HEADERS)


@router.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask every page's server for (a PNG, which they all take)."""
    return Response(
        _FAVICON.read_bytes(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def install_api_docs(app: FastAPI) -> None:
    """Serve the documentation pages and their assets from `app`."""
    app.mount(
        ASSETS_PATH,
        StaticFiles(packages=[("fastapi_offline", "static")]),
        name="docs-assets",
    )
    app.include_router(router)
