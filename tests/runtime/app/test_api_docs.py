"""`/docs` and `/redoc` load everything from Tessera itself, so they work offline."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

_ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
_CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".ico": "image/png"}


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.ico"}),
        ("/redoc", {"redoc.standalone.js", "favicon.ico"}),
    ],
)
def test_the_documentation_pages_load_only_local_assets_that_are_served(
    app_client: TestClient, page: str, assets: set[str]
) -> None:
    response = app_client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = _ASSET.findall(response.text)
    assert {url.rsplit("/", 1)[-1] for url in urls} == assets
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from elsewhere"
        asset = app_client.get(url)
        assert asset.status_code == 200, url
        suffix = "." + url.rsplit(".", 1)[-1]
        assert _CONTENT_TYPES[suffix] in asset.headers["content-type"], url
        assert len(asset.content) > (1_000 if suffix == ".ico" else 10_000), url
    assert "https://" not in response.text and "http://" not in response.text


def test_an_unknown_asset_is_a_404_problem_document(app_client: TestClient) -> None:
    response = app_client.get("/docs/assets/nothing.js")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_swagger_ui_never_calls_the_online_validator(app_client: TestClient) -> None:
    response = app_client.get("/docs")
    assert "validatorUrl: null," in response.text


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_pages_load_images_from_tessera_only(app_client: TestClient, page: str) -> None:
    # ReDoc's menu always shows Redocly's logo from cdn.redoc.ly: the browser must not fetch it.
    response = app_client.get(page)
    assert response.headers["content-security-policy"] == "img-src 'self' data:"
