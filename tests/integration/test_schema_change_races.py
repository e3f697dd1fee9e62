"""Writes and reads racing a field change: no 5xx, and no row that breaks the new schema."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine import metadata_changes, records
from engine.context import EngineContext, RequestContext
from engine.database import create_database_engine, tenant_connection
from engine.errors import SchemaChanged
from engine.records.transfer import import_batches
from metadata.models import ObjectDef
from runtime.app import create_app
from tests.conftest import TenantHandle, drop_tenant_schema, make_tenant


@dataclass
class TwoInstances:
    """Two API processes (engine contexts, catalog caches, pools) on one database."""

    first: EngineContext
    second: EngineContext
    tenant: TenantHandle

    def context(self, engine: EngineContext) -> RequestContext:
        """A request context of the tenant on `engine`, at the tenant's current revision."""
        handle = TenantHandle(
            name=self.tenant.name,
            api_key=self.tenant.api_key,
            key_id=self.tenant.key_id,
            engine=engine,
            user_id=self.tenant.user_id,
        )
        return handle.context()


@pytest.fixture
def instances(engine_context: EngineContext, database_url: str) -> Iterator[TwoInstances]:
    """Two instances sharing a tenant with a `deal` object: `code` text(20), `qty` text."""
    first = engine_context
    second = EngineContext(db=create_database_engine(database_url))
    tenant = make_tenant(first)
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef.model_validate(
            {
                "api_name": "deal",
                "fields": [
                    {"api_name": "code", "type": "text", "max_length": 20},
                    {"api_name": "qty", "type": "text"},
                ],
            }
        ),
    )
    try:
        yield TwoInstances(first=first, second=second, tenant=tenant)
    finally:
        drop_tenant_schema(first, tenant.name)
        second.db.dispose()


def stored_deals(engine: EngineContext, tenant: TenantHandle) -> list[dict[str, Any]]:
    """Every stored deal, read with plain SQL (not through a catalog)."""
    schema = f"t_{tenant.name}"
    with tenant_connection(engine.db, schema) as connection, connection.begin():
        if engine.dialect_name == "sqlite":
            query = f"SELECT code, qty, typeof(qty) AS qty_type FROM {schema}.deal"
        else:
            query = (
                "SELECT code, qty, CASE WHEN qty IS NULL THEN 'null' "
                "WHEN pg_typeof(qty) = 'bigint'::regtype THEN 'integer' "
                f"ELSE pg_typeof(qty)::text END AS qty_type FROM {schema}.deal"
            )
        return [dict(row) for row in connection.execute(sa.text(query)).mappings()]


def test_a_write_checked_against_an_older_catalog_is_refused_and_stores_nothing(
    instances: TwoInstances,
) -> None:
    stale = instances.context(instances.second)
    # The second instance compiles the catalog at this revision (code holds 20 characters).
    records.create_record(stale, "deal", {"code": "short"})
    metadata_changes.update_field(
        instances.context(instances.first), "deal", "code", {"max_length": 5}
    )

    with pytest.raises(SchemaChanged) as refused:
        records.create_record(stale, "deal", {"code": "x" * 10})

    assert refused.value.status == 503
    assert [deal["code"] for deal in stored_deals(instances.first, instances.tenant)] == ["short"]
    again = instances.context(instances.second)
    assert records.create_record(again, "deal", {"code": "fits"})["code"] == "fits"


def test_reads_and_writes_of_an_instance_keep_working_after_another_changes_column_types(
    instances: TwoInstances, caplog: pytest.LogCaptureFixture
) -> None:
    headers = instances.tenant.headers
    runs = 20
    with (
        TestClient(create_app(instances.first), raise_server_exceptions=False) as one,
        TestClient(create_app(instances.second), raise_server_exceptions=False) as two,
    ):

        def use(index: int) -> None:
            for _ in range(runs):
                created = two.post("/api/v1/data/deal", headers=headers, json={"code": "ab"})
                assert created.status_code == 201
                record = two.get(f"/api/v1/data/deal/{created.json()['id']}", headers=headers)
                assert record.status_code == 200
                assert two.get("/api/v1/data/deal?limit=5", headers=headers).status_code == 200

        use(0)
        # Concurrent use opens several pooled connections, and each prepares the statements.
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(use, range(4)))
        for change in ({"max_length": 5}, {"type": "long_text"}):
            changed = one.patch(
                "/api/v1/admin/objects/deal/fields/code", headers=headers, json=change
            )
            assert changed.status_code == 200, changed.text
            statuses: Counter[int] = Counter()
            for _ in range(runs):
                created = two.post("/api/v1/data/deal", headers=headers, json={"code": "cd"})
                statuses[created.status_code] += 1
                got = two.get(f"/api/v1/data/deal/{created.json()['id']}", headers=headers)
                statuses[got.status_code] += 1
                statuses[two.get("/api/v1/data/deal?limit=5", headers=headers).status_code] += 1
            assert statuses == Counter({201: runs, 200: 2 * runs}), change

    # Each connection dropped its stale statements before use: no request had to run again.
    assert [r.message for r in caplog.records if r.name == "engine.database.postgresql"] == []


def test_writers_hammering_through_a_narrowing_and_a_type_change_get_no_5xx_and_leave_no_misfit(
    instances: TwoInstances,
) -> None:
    headers = instances.tenant.headers
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    stop = threading.Event()
    with (
        TestClient(create_app(instances.first), raise_server_exceptions=False) as one,
        TestClient(create_app(instances.second), raise_server_exceptions=False) as two,
    ):

        def write(client: TestClient) -> None:
            while not stop.is_set():
                for response in (
                    client.post(
                        "/api/v1/data/deal", headers=headers, json={"code": "x" * 10, "qty": "7"}
                    ),
                    client.post("/api/v1/data/deal", headers=headers, json={"qty": "seven"}),
                    client.get("/api/v1/data/deal?limit=20", headers=headers),
                ):
                    statuses[response.status_code] += 1
                    if response.status_code >= 500:
                        server_errors.append(response.text)

        for client in (one, two):
            # The app builds each route on first use, which is not safe to race under
            # pytest's warnings-as-errors; let every route be built before the threads start.
            assert client.post("/api/v1/data/deal", headers=headers, json={}).status_code == 201
            assert client.get("/api/v1/data/deal", headers=headers).status_code == 200
        writers = [threading.Thread(target=write, args=(client,)) for client in (one, two) * 2]
        for writer in writers:
            writer.start()
        try:
            time.sleep(0.5)
            narrowed = one.patch(
                "/api/v1/admin/objects/deal/fields/code?force=true",
                headers=headers,
                json={"max_length": 5},
            )
            time.sleep(0.5)
            retyped = two.patch(
                "/api/v1/admin/objects/deal/fields/qty?force=true",
                headers=headers,
                json={"type": "integer"},
            )
            time.sleep(0.5)
        finally:
            stop.set()
            for writer in writers:
                writer.join()

    assert narrowed.status_code == 200, narrowed.text
    assert retyped.status_code == 200, retyped.text
    assert server_errors == []
    assert statuses[201] > 0 and statuses[422] > 0
    deals = stored_deals(instances.first, instances.tenant)
    assert deals
    assert [deal for deal in deals if deal["code"] is not None and len(deal["code"]) > 5] == []
    assert {deal["qty_type"] for deal in deals} <= {"integer", "null"}


def test_a_request_the_schema_changes_under_twice_gets_a_503_with_retry_after(
    app_client: TestClient, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []

    def always_changed(context: RequestContext, object_name: str, body: Any) -> Any:
        runs.append(object_name)
        raise SchemaChanged("the tenant's metadata changed", revision=context.tenant.revision + 1)

    monkeypatch.setattr(records, "create_record", always_changed)
    response = app_client.post("/api/v1/data/deal", headers=tenant.headers, json={})

    assert runs == ["deal", "deal"]
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["type"] == "/problems/schema-changed"


def test_an_import_stops_at_the_batch_a_field_change_overtakes_and_says_where(
    instances: TwoInstances,
) -> None:
    context = instances.context(instances.first)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        yield 2, {"code": "x" * 10}
        # The first batch is committed; the field narrows before the second is written.
        metadata_changes.update_field(
            instances.context(instances.second), "deal", "code", {"max_length": 5}, force=True
        )
        yield 3, {"code": "y" * 10}

    summary = import_batches(context, "deal", rows(), from_text=False, batch_size=1)

    assert (summary.created, summary.failed) == (1, 1)
    assert [(error.line, error.code) for error in summary.errors] == [(3, "schema-changed")]
    assert [deal["code"] for deal in stored_deals(instances.first, instances.tenant)] == [None]
