"""Tenants never see or change each other's metadata or tables."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.context import EngineContext
from tests.conftest import TenantHandle, drop_tenant_schema, make_tenant


def test_a_tenants_key_cannot_see_or_change_another_tenants_objects(
    app_client: TestClient, engine_context: EngineContext
) -> None:
    alpha, beta = make_tenant(engine_context, "a"), make_tenant(engine_context, "b")
    try:
        created = app_client.post(
            "/api/v1/admin/objects", headers=alpha.headers, json={"api_name": "secret"}
        )
        assert created.status_code == 201
        assert app_client.get("/api/v1/admin/objects", headers=beta.headers).json()["data"] == []
        for method, path in [
            ("GET", "/api/v1/admin/objects/secret"),
            ("PATCH", "/api/v1/admin/objects/secret"),
            ("DELETE", "/api/v1/admin/objects/secret"),
            ("GET", "/api/v1/admin/objects/secret/fields"),
        ]:
            response = app_client.request(
                method,
                path,
                headers=beta.headers,
                json={"label": "Mine"} if method == "PATCH" else None,
            )
            assert response.status_code == 404, (method, path)
        assert (
            app_client.get("/api/v1/admin/objects/secret", headers=alpha.headers).status_code == 200
        )
        assert app_client.get("/api/v1/admin/revisions", headers=beta.headers).json()["data"] == []
    finally:
        _drop(engine_context, alpha, beta)


def test_the_same_api_name_in_two_tenants_makes_two_independent_tables(
    app_client: TestClient, engine_context: EngineContext
) -> None:
    alpha, beta = make_tenant(engine_context, "a"), make_tenant(engine_context, "b")
    try:
        for handle, field_type in ((alpha, "text"), (beta, "integer")):
            response = app_client.post(
                "/api/v1/admin/objects",
                headers=handle.headers,
                json={"api_name": "account", "fields": [{"api_name": "code", "type": field_type}]},
            )
            assert response.status_code == 201
        schemas = {}
        for handle in (alpha, beta):
            tenant = handle.context().tenant
            with engine_context.db.connect().execution_options(
                tessera_schemas=(tenant.schema_name,)
            ) as connection:
                columns = sa.inspect(connection).get_columns("account", schema=tenant.schema_name)
            schemas[handle.name] = {column["name"]: str(column["type"]) for column in columns}
        assert "VARCHAR" in schemas[alpha.name]["code"]
        assert "INT" in schemas[beta.name]["code"]
        app_client.delete("/api/v1/admin/objects/account", headers=alpha.headers)
        assert (
            app_client.get("/api/v1/admin/objects/account", headers=beta.headers).status_code == 200
        )
    finally:
        _drop(engine_context, alpha, beta)


def _drop(engine_context: EngineContext, *handles: TenantHandle) -> None:
    for handle in handles:
        drop_tenant_schema(engine_context, handle.name)
