"""The server's PostgreSQL mode: engine calls in greenlets on psycopg's async driver.

The rest of the suite drives the app on synchronous engines; this runs the same
admin and data flows on the asyncio engine `tessera serve` uses on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.context import EngineContext
from engine.database import create_database_engine
from engine.files import LocalFileStorage
from runtime.app import create_app
from tests.conftest import TenantHandle, drop_tenant_schema, make_tenant


@pytest.fixture
def async_api(postgres_database: str, tmp_path: Path) -> Iterator[tuple[TestClient, TenantHandle]]:
    setup = EngineContext(db=create_database_engine(postgres_database))
    tenant = make_tenant(setup)
    server = EngineContext(
        db=create_database_engine(postgres_database, is_async=True),
        file_storage=LocalFileStorage(tmp_path / "files"),
    )
    assert server.is_async
    try:
        with TestClient(create_app(server)) as client:
            yield client, tenant
    finally:
        drop_tenant_schema(setup, tenant.name)
        setup.db.dispose()


def test_metadata_and_records_work_end_to_end_on_the_async_driver(
    async_api: tuple[TestClient, TenantHandle],
) -> None:
    client, tenant = async_api
    headers = tenant.headers
    created = client.post(
        "/api/v1/admin/objects",
        headers=headers,
        json={
            "api_name": "purchase",
            "fields": [
                {"api_name": "code", "type": "text", "unique": True},
                {"api_name": "total", "type": "currency"},
                {"api_name": "number", "type": "auto_number", "format": "O-{0000}"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    dry = client.patch(
        "/api/v1/admin/objects/purchase/fields/code",
        headers=headers,
        params={"dry_run": "true"},
        json={"max_length": 20},
    )
    assert dry.status_code == 200 and dry.json()["ddl"]
    record = client.post(
        "/api/v1/data/purchase", headers=headers, json={"code": "A", "total": "9.99"}
    ).json()
    assert record["number"] == "O-0001"
    stale = client.patch(
        f"/api/v1/data/purchase/{record['id']}",
        headers={**headers, "If-Match": '"0"'},
        json={"total": 1},
    )
    assert stale.status_code == 412
    bulk = client.post(
        "/api/v1/data/purchase/bulk",
        headers=headers,
        json=[{"code": f"B{i}", "total": "1.00"} for i in range(300)],
    )
    assert bulk.status_code == 200 and bulk.json()["created"] == 300
    clash = client.post(
        "/api/v1/data/purchase/bulk",
        headers=headers,
        json=[{"code": f"C{i}"} for i in range(100)] + [{"code": "A"}],
    )
    assert clash.status_code == 409
    listed = client.get(
        "/api/v1/data/purchase",
        headers=headers,
        params={"filter": json.dumps({"code": {"starts_with": "b"}}), "count": "true", "limit": 5},
    ).json()
    assert listed["total"] == 300 and len(listed["data"]) == 5
    totals = client.get(
        "/api/v1/data/purchase/aggregate", headers=headers, params={"metrics": "count,sum:total"}
    ).json()
    assert totals["data"] == [{"count": 301, "sum:total": "309.99"}]
    numbers = {
        r["number"]
        for r in client.get("/api/v1/data/purchase", headers=headers, params={"limit": 200}).json()[
            "data"
        ]
    }
    assert "O-0301" in numbers or len(numbers) == 200
    assert "/api/v1/data/purchase" in client.get("/openapi.json", headers=headers).json()["paths"]
    assert client.get("/api/v1/admin/revisions", headers=headers).json()["data"][0]["number"] == 1
    assert (
        client.get(
            "/api/v1/admin/objects",
            headers={"Authorization": "Bearer tsk_000000000000_xxxxxxxxxxxxxxxxxxxxxxxx"},
        ).status_code
        == 401
    )


def test_files_upload_download_and_go_with_their_record_on_the_async_driver(
    async_api: tuple[TestClient, TenantHandle], tmp_path: Path
) -> None:
    client, tenant = async_api
    headers = tenant.headers
    licence = {"api_name": "licence", "fields": [{"api_name": "scan", "type": "file"}]}
    assert client.post("/api/v1/admin/objects", headers=headers, json=licence).status_code == 201
    record = client.post("/api/v1/data/licence", headers=headers, json={}).json()
    path = f"/api/v1/data/licence/{record['id']}/files/scan"
    pdf = b"%PDF-1.4\n" + b"\0" * 200_000
    uploaded = client.post(
        path, headers=headers, files={"file": ("发票.pdf", pdf, "application/pdf")}
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["scan"]["name"] == "发票.pdf"
    assert client.get(path, headers=headers).content == pdf
    assert client.delete(f"/api/v1/data/licence/{record['id']}", headers=headers).status_code == 204
    assert client.get(path, headers=headers).status_code == 404
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
