"""`/docs` and `/redoc` load everything from Tessera itself, so they work offline."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

_ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
_CONTENT_TYPES = {".js": "javascript", ".css": "text/css"}


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css"}),
        ("/redoc", {"redoc.standalone.js"}),
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
        assert len(asset.content) > 10_000, url
    assert "https://" not in response.text and "http://" not in response.text


def test_an_unknown_asset_is_a_404_problem_document(app_client: TestClient) -> None:
    response = app_client.get("/docs/assets/nothing.js")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
