"""Reads racing a field purge or an object delete: run again on the new catalog, never a 500.

Each test compiles the catalog on a second instance, changes the schema through the first
(the admin service), then runs the read with the catalog the second instance still holds:
the statement names a column or table that is gone, as it does when a change commits
between a request's catalog look-up and its statement.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from engine import metadata_changes, records
from engine.context import EngineContext, RequestContext
from engine.database import create_database_engine, tenant_connection
from engine.errors import SchemaChanged
from engine.query import AggregateQuery, ListQuery
from engine.sessions import authenticate_bearer
from metadata.models import FieldDef, ObjectDef
from runtime.app import auth, create_app
from tests.conftest import TenantHandle, drop_tenant_schema, make_tenant


@dataclass
class Race:
    """A tenant on two instances; `stale` reads with the catalog of the second one."""

    first: EngineContext
    second: EngineContext
    tenant: TenantHandle
    deal_id: str

    def context(self, engine: EngineContext) -> RequestContext:
        """A request context on `engine` at the tenant's current revision."""
        return TenantHandle(
            name=self.tenant.name,
            api_key=self.tenant.api_key,
            key_id=self.tenant.key_id,
            engine=engine,
            user_id=self.tenant.user_id,
        ).context()


@pytest.fixture
def race(engine_context: EngineContext, database_url: str) -> Iterator[Race]:
    """`account` (name, industry) and `deal` (code, amount, lookup to account), one of each."""
    first = engine_context
    second = EngineContext(db=create_database_engine(database_url))
    tenant = make_tenant(first)
    context = tenant.context()
    for document in (
        {
            "api_name": "account",
            "fields": [
                {"api_name": "name", "type": "text"},
                {"api_name": "industry", "type": "text"},
            ],
        },
        {
            "api_name": "deal",
            "fields": [
                {"api_name": "code", "type": "text"},
                {"api_name": "amount", "type": "integer"},
                {"api_name": "account", "type": "lookup", "target": "account"},
            ],
        },
    ):
        metadata_changes.create_object(context, ObjectDef.model_validate(document))
    account = records.create_record(context, "account", {"name": "Acme", "industry": "retail"})
    deal = records.create_record(
        context, "deal", {"code": "D-1", "amount": 5, "account": account["id"]}
    )
    try:
        yield Race(first=first, second=second, tenant=tenant, deal_id=deal["id"])
    finally:
        drop_tenant_schema(first, tenant.name)
        second.db.dispose()


def purge_field(context: RequestContext, object_name: str, field_name: str) -> None:
    """Delete a field and drop its column, as an implementer does through the admin API."""
    metadata_changes.delete_field(context, object_name, field_name)
    metadata_changes.purge_field(context, object_name, field_name)


def purge_deal_code(race: Race) -> None:
    purge_field(race.context(race.first), "deal", "code")


def purge_account_industry(race: Race) -> None:
    purge_field(race.context(race.first), "account", "industry")


def delete_deal(race: Race) -> None:
    metadata_changes.delete_object(race.context(race.first), "deal")


#: The stored value each purge takes away: a read on the new catalog no longer shows it.
GONE_VALUES = {purge_deal_code: "D-1", purge_account_industry: "retail"}


#: Each read: the engine call, and the same read over HTTP (path under /api/v1).
READS: dict[str, tuple[Callable[[RequestContext, Race], Any], Callable[[Race], str]]] = {
    "get": (
        lambda context, race: records.get_record(context, "deal", race.deal_id),
        lambda race: f"/data/deal/{race.deal_id}",
    ),
    "list": (
        lambda context, race: records.query_records(context, "deal", ListQuery()),
        lambda race: "/data/deal",
    ),
    "search by filter": (
        lambda context, race: records.query_records(
            context, "deal", ListQuery(filter={"amount": {"gt": 1}})
        ),
        lambda race: "/data/deal?filter=" + json.dumps({"amount": {"gt": 1}}),
    ),
    "aggregate": (
        lambda context, race: records.aggregate(
            context, "deal", AggregateQuery(group_by=["code"], metrics=["count", "sum:amount"])
        ),
        lambda race: "/data/deal/aggregate?group_by=code&metrics=count,sum:amount",
    ),
    "expand": (
        lambda context, race: records.query_records(context, "deal", ListQuery(expand=["account"])),
        lambda race: "/data/deal?expand=account",
    ),
}

#: (read, change, status of the run on the new catalog): the answer the new schema gives.
RACES = [
    ("get", purge_deal_code, 200),
    ("list", purge_deal_code, 200),
    ("search by filter", purge_deal_code, 200),
    # The grouping names the purged field: on the new catalog that is a bad query.
    ("aggregate", purge_deal_code, 422),
    ("expand", purge_deal_code, 200),
    ("expand", purge_account_industry, 200),
    ("get", delete_deal, 404),
    ("list", delete_deal, 404),
    ("aggregate", delete_deal, 404),
    ("expand", delete_deal, 404),
]
RACE_IDS = [f"{read}-{change.__name__}" for read, change, _ in RACES]


def warm_second_instance(race: Race, read: str) -> RequestContext:
    """Compile the catalog on the second instance and run the read once; return its context."""
    stale = race.context(race.second)
    READS[read][0](stale, race)
    return stale


@pytest.mark.parametrize(("read", "change", "status"), RACES, ids=RACE_IDS)
def test_a_read_on_a_catalog_a_schema_change_overtook_raises_schema_changed(
    race: Race, read: str, change: Callable[[Race], None], status: int
) -> None:
    stale = warm_second_instance(race, read)
    before = stale.tenant.revision
    change(race)

    with pytest.raises(SchemaChanged) as raised:
        READS[read][0](stale, race)

    assert raised.value.status == 503
    assert raised.value.revision is not None and raised.value.revision > before


def first_run_at_revision(monkeypatch: pytest.MonkeyPatch, revision: int) -> None:
    """Make the next request's first run look the tenant up just before a change commits."""
    revisions = iter([revision])

    def authenticate_once_early(engine: EngineContext, api_key: str) -> Any:
        credential = authenticate_bearer(engine, api_key)
        for early in revisions:
            return dataclasses.replace(
                credential, tenant=dataclasses.replace(credential.tenant, revision=early)
            )
        return credential

    monkeypatch.setattr(auth, "authenticate_bearer", authenticate_once_early)


@pytest.mark.parametrize(("read", "change", "status"), RACES, ids=RACE_IDS)
def test_a_read_a_schema_change_overtakes_is_answered_on_the_new_catalog(
    race: Race,
    read: str,
    change: Callable[[Race], None],
    status: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stale = warm_second_instance(race, read)
    change(race)
    first_run_at_revision(monkeypatch, stale.tenant.revision)
    with TestClient(create_app(race.second), raise_server_exceptions=False) as client:
        response = client.get("/api/v1" + READS[read][1](race), headers=race.tenant.headers)

    assert response.status_code == status, response.text
    if status == 200:
        assert GONE_VALUES[change] not in response.text


@pytest.mark.parametrize("read", list(READS))
def test_a_read_the_schema_changes_under_twice_gets_a_503_with_retry_after(
    race: Race, read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = warm_second_instance(race, read)
    purge_deal_code(race)

    def always_the_old_revision(engine: EngineContext, api_key: str) -> Any:
        credential = authenticate_bearer(engine, api_key)
        return dataclasses.replace(credential, tenant=stale.tenant)

    monkeypatch.setattr(auth, "authenticate_bearer", always_the_old_revision)
    with TestClient(create_app(race.second), raise_server_exceptions=False) as client:
        response = client.get("/api/v1" + READS[read][1](race), headers=race.tenant.headers)

    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["type"] == "/problems/schema-changed"


@pytest.mark.postgresql_only
def test_the_async_driver_runs_an_overtaken_read_again(
    race: Race,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = EngineContext(db=create_database_engine(database_url, is_async=True))
    path = f"/api/v1/data/deal/{race.deal_id}"
    try:
        with TestClient(create_app(server), raise_server_exceptions=False) as client:
            assert client.get(path, headers=race.tenant.headers).json()["code"] == "D-1"
            before = race.context(race.first).tenant.revision
            purge_deal_code(race)
            first_run_at_revision(monkeypatch, before)
            response = client.get(path, headers=race.tenant.headers)
    finally:
        server.db.dispose()

    assert response.status_code == 200, response.text
    assert "code" not in response.json()
    assert [r.name for r in caplog.records if "runs again" in r.message] == [
        "engine.database.stale_catalog"
    ]


def test_a_missing_column_under_a_current_catalog_is_no_schema_change(race: Race) -> None:
    """A column gone behind Tessera's back is a fault to see, not a 503 to retry forever."""
    context = race.context(race.first)
    schema = context.tenant.schema_name
    with (
        tenant_connection(race.first.db, schema, is_schema_change=True) as connection,
        connection.begin(),
    ):
        connection.execute(sa.text(f"ALTER TABLE {schema}.deal DROP COLUMN code"))

    with pytest.raises(DBAPIError):
        records.get_record(context, "deal", race.deal_id)
    with TestClient(create_app(race.first), raise_server_exceptions=False) as client:
        response = client.get(f"/api/v1/data/deal/{race.deal_id}", headers=race.tenant.headers)
    assert response.status_code == 500


def test_a_field_added_meanwhile_leaves_a_stale_read_working(race: Race) -> None:
    """Only what is gone breaks a statement: a new column is no reason to run again."""
    stale = warm_second_instance(race, "get")
    metadata_changes.add_field(
        race.context(race.first), "deal", FieldDef(api_name="stage", type="text")
    )

    assert records.get_record(stale, "deal", race.deal_id)["code"] == "D-1"
