"""Two API processes on one PostgreSQL database see each other's metadata changes at once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from engine.context import EngineContext
from engine.database import create_database_engine
from runtime.app import create_app
from tests.conftest import drop_tenant_schema, make_tenant


def test_a_field_added_through_one_instance_is_usable_through_the_other(
    postgres_database: str,
) -> None:
    first = EngineContext(db=create_database_engine(postgres_database))
    second = EngineContext(db=create_database_engine(postgres_database))
    tenant = make_tenant(first)
    try:
        with TestClient(create_app(first)) as one, TestClient(create_app(second)) as two:
            created = one.post(
                "/api/v1/admin/objects", headers=tenant.headers, json={"api_name": "deal"}
            )
            assert created.status_code == 201
            # The second instance compiles and caches the tenant's catalog now.
            assert (
                two.get("/api/v1/admin/objects/deal", headers=tenant.headers).json()["fields"] == []
            )
            added = one.post(
                "/api/v1/admin/objects/deal/fields",
                headers=tenant.headers,
                json={"api_name": "amount", "type": "currency"},
            )
            assert added.status_code == 201
            seen = two.get("/api/v1/admin/objects/deal/fields/amount", headers=tenant.headers)
            assert seen.status_code == 200
            assert seen.json()["type"] == "currency"
            renamed = two.patch(
                "/api/v1/admin/objects/deal/fields/amount",
                headers=tenant.headers,
                json={"api_name": "value"},
            )
            assert renamed.status_code == 200
            assert (
                one.get(
                    "/api/v1/admin/objects/deal/fields/value", headers=tenant.headers
                ).status_code
                == 200
            )
    finally:
        drop_tenant_schema(first, tenant.name)
        first.db.dispose()
        second.db.dispose()
