"""The search index follows every write and every metadata change, on both databases."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import ColumnElement, FromClause

from engine.catalog import CompiledObject, tenant_catalog
from engine.context import EngineContext
from engine.database import create_database_engine, tenant_connection
from engine.query import AllFields
from engine.records.transfer import import_batches
from engine.search import SearchQuery, search_records
from migrations import upgrade_system_tables
from runtime.app import create_app
from tests.conftest import POSTGRES_SERVER, Api, TenantHandle, drop_tenant_schema, make_tenant

ACCOUNT = {
    "api_name": "account",
    "fields": [
        {"api_name": "name", "type": "text", "searchable": True},
        {"api_name": "notes", "type": "long_text", "searchable": True},
        {"api_name": "code", "type": "text", "unique": True},
        {"api_name": "city", "type": "text"},
    ],
}
VISIT = {
    "api_name": "visit",
    "fields": [
        {"api_name": "subject", "type": "text", "searchable": True},
        {"api_name": "account", "type": "master_detail", "target": "account"},
    ],
}


@pytest.fixture
def crm(api: Api) -> Api:
    for document in (ACCOUNT, VISIT):
        response = api.post("/admin/objects", json=document)
        assert response.status_code == 201, response.text
    return api


def found(api: Api, q: str, object_name: str = "account") -> list[str | None]:
    response = api.get("/search", params={"q": q})
    assert response.status_code == 200, response.text
    for group in response.json()["data"]:
        if group["object"] == object_name:
            return sorted(str(record["display_name"]) for record in group["records"])
    return []


def matches(api: Api, q: str) -> list[list[str]]:
    response = api.get("/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [record["matches"] for group in response.json()["data"] for record in group["records"]]


def change(api: Api, method: str, path: str, **body: Any) -> dict[str, Any]:
    response = api.request(method, f"/admin/objects/{path}", json=body or None)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


# -- writes ----------------------------------------------------------------------------------


def test_an_update_replaces_what_the_record_is_found_by(crm: Api) -> None:
    record = crm.create("account", name="Alpine Ski House")
    assert crm.patch(f"/data/account/{record}", json={"name": "Blue Yonder"}).status_code == 200
    assert found(crm, "alpine") == []
    assert found(crm, "yonder") == ["Blue Yonder"]
    # A write that leaves the searchable fields alone leaves the index alone.
    assert crm.patch(f"/data/account/{record}", json={"city": "Oslo"}).status_code == 200
    assert found(crm, "yonder") == ["Blue Yonder"]


def test_a_deleted_record_is_no_longer_found_nor_are_its_cascaded_children(crm: Api) -> None:
    parent = crm.create("account", name="Coho Winery")
    crm.create("visit", subject="Coho tasting", account=parent)
    other = crm.create("account", name="Coho Vineyard")
    assert found(crm, "coho", "visit") == ["Coho tasting"]
    assert crm.delete(f"/data/account/{parent}").status_code == 204
    assert found(crm, "coho") == ["Coho Vineyard"]
    assert found(crm, "coho", "visit") == []
    assert crm.delete(f"/data/account/{other}").status_code == 204
    assert found(crm, "coho") == []


def test_bulk_creates_and_upserts_are_found(crm: Api) -> None:
    response = crm.post(
        "/data/account/bulk",
        json=[{"name": f"Wingtip {i}", "code": f"W{i}"} for i in range(150)],
    )
    assert response.status_code == 200, response.text
    assert (
        len(crm.get("/search", params={"q": "wingtip", "limit": 50}).json()["data"][0]["records"])
        == 50
    )
    response = crm.post(
        "/data/account/bulk?upsert_on=code",
        json=[{"code": "W7", "name": "Tailwind 7"}, {"code": "N1", "name": "Tailwind new"}],
    )
    assert response.status_code == 200, response.text
    assert found(crm, "tailwind") == ["Tailwind 7", "Tailwind new"]
    assert "Wingtip 7" not in found(crm, "wingtip 7")


def test_imported_records_are_found(crm: Api) -> None:
    # 300 rows: PostgreSQL imports them with COPY, which no trigger-free path may skip.
    rows = [(line, {"name": f"Proseware {line}", "notes": "学校"}) for line in range(1, 301)]
    summary = import_batches(crm.tenant.context(), "account", rows, from_text=False)
    assert (summary.created, summary.failed) == (300, 0)
    assert found(crm, "proseware 250") == ["Proseware 250"]
    answer = crm.get("/search", params={"q": "学校", "limit": 1}).json()
    assert answer["data"][0]["has_more"] is True


# -- metadata changes ----------------------------------------------------------------------


def test_marking_a_field_searchable_indexes_the_records_it_has_and_the_plan_says_so(
    crm: Api,
) -> None:
    for city in ("Reykjavik", "Reykjavik", "Lima"):
        crm.create("account", name=f"Office {city}", city=city)
    plan = crm.patch(
        "/admin/objects/account/fields/city", params={"dry_run": "true"}, json={"searchable": True}
    ).json()
    assert plan["operations"] == [
        "drop search index on account (name, notes)",
        "create search index on account (name, notes, city)",
    ]
    assert {"object": "account", "field": None, "reason": "indexed for search", "rows": 3} in (
        plan["impact"]["rows_touched"]
    )
    assert found(crm, "lima") == ["Office Lima"]  # by its name: the dry run changed nothing
    change(crm, "PATCH", "account/fields/city", searchable=True)
    assert found(crm, "reykjavik") == ["Office Reykjavik", "Office Reykjavik"]
    assert matches(crm, "lima") == [["name", "city"]]
    change(crm, "PATCH", "account/fields/city", searchable=False)
    assert found(crm, "ykjav") == ["Office Reykjavik", "Office Reykjavik"]
    assert matches(crm, "lima") == [["name"]]


def test_a_renamed_field_is_still_searched_under_its_new_name(crm: Api) -> None:
    crm.create("account", name="Litware", notes="wholesale partner")
    change(crm, "PATCH", "account/fields/notes", api_name="remarks")
    assert matches(crm, "wholesale") == [["remarks"]]
    crm.create("account", name="Contoso", remarks="wholesale too")
    assert found(crm, "wholesale") == ["Contoso", "Litware"]


def test_a_deleted_field_is_not_searched_until_it_is_restored(crm: Api) -> None:
    crm.create("account", name="Margie's Travel", notes="cruises")
    change(crm, "DELETE", "account/fields/notes")
    assert found(crm, "cruises") == []
    crm.create("account", name="Cruise Line")
    change(crm, "POST", "account/fields/notes/restore")
    assert found(crm, "cruise") == ["Cruise Line", "Margie's Travel"]
    change(crm, "DELETE", "account/fields/notes")
    change(crm, "POST", "account/fields/notes/purge")
    assert found(crm, "cruise") == ["Cruise Line"]


def test_changes_of_other_fields_leave_the_index_working(crm: Api) -> None:
    record = crm.create("account", name="Adatum", city="Oslo")
    plan = crm.patch(
        "/admin/objects/account/fields/city", params={"dry_run": "true"}, json={"api_name": "town"}
    ).json()
    assert plan["operations"] == ["rename column account.city to town"]
    change(crm, "PATCH", "account/fields/city", api_name="town")
    change(crm, "DELETE", "account/fields/town")
    change(crm, "POST", "account/fields/town/purge")
    change(crm, "POST", "account/fields", api_name="region", type="text")
    assert crm.patch(f"/data/account/{record}", json={"name": "Adventure Works"}).status_code == 200
    assert found(crm, "adatum") == []
    assert found(crm, "adventure") == ["Adventure Works"]


def test_a_field_turned_into_a_type_search_cannot_read_leaves_the_index(crm: Api) -> None:
    crm.create("account", name="Fourth Coffee", notes="12")
    field = change(crm, "PATCH", "account/fields/notes", type="integer")
    assert "searchable" not in field
    assert matches(crm, "12") == []
    assert found(crm, "coffee") == ["Fourth Coffee"]


def test_a_renamed_deleted_and_restored_object_is_searched_under_its_name(crm: Api) -> None:
    crm.create("account", name="Graphic Design Institute")
    change(crm, "PATCH", "account", api_name="customer")
    assert found(crm, "graphic", "customer") == ["Graphic Design Institute"]
    crm.create("customer", name="Graphic Arts")
    change(crm, "DELETE", "visit")
    change(crm, "DELETE", "customer")
    answer = crm.get("/search", params={"q": "graphic"}).json()
    assert answer == {"data": [], "searched": []}
    change(crm, "POST", "customer/restore")
    assert found(crm, "graphic", "customer") == ["Graphic Arts", "Graphic Design Institute"]


def test_a_table_rebuild_keeps_the_index_on_the_rows_it_copies(crm: Api) -> None:
    ids = [crm.create("account", name=f"Humongous {i}", code=f"H{i}") for i in range(6)]
    for record in ids[1:5]:
        assert crm.delete(f"/data/account/{record}").status_code == 204
    # A required field with a default: SQLite copies the table, whose rows get new rowids.
    change(crm, "PATCH", "account/fields/city", required=True, default="Oslo")
    assert found(crm, "humongous") == ["Humongous 0", "Humongous 5"]
    assert crm.patch(f"/data/account/{ids[5]}", json={"name": "Lucerne"}).status_code == 200
    assert crm.delete(f"/data/account/{ids[0]}").status_code == 204
    crm.create("account", name="Humongous 9", code="H9")
    assert found(crm, "humongous") == ["Humongous 9"]
    assert found(crm, "lucerne") == ["Lucerne"]


def test_a_change_failing_as_it_builds_the_index_leaves_the_old_index_whole(
    crm: Api, engine_context: EngineContext
) -> None:
    crm.create("account", name="Nod Publishers", city="Oslo")

    def fail_the_index_build(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The last statement of a build: the trigram index, or the FTS5 table's rebuild.
        is_build = statement.lstrip().startswith(("CREATE INDEX", "INSERT INTO"))
        if (
            is_build
            and "_search_" in statement
            and ("_trigrams" in statement or "'rebuild'" in statement)
        ):
            raise RuntimeError("injected failure")

    sa.event.listen(engine_context.db, "before_cursor_execute", fail_the_index_build)
    try:
        with pytest.raises(RuntimeError, match="injected failure"):
            crm.patch("/admin/objects/account/fields/city", json={"searchable": True})
    finally:
        sa.event.remove(engine_context.db, "before_cursor_execute", fail_the_index_build)
    assert "searchable" not in crm.get("/admin/objects/account/fields/city").json()
    assert found(crm, "oslo") == []
    crm.create("account", name="Nod Books")
    assert found(crm, "nod") == ["Nod Books", "Nod Publishers"]


# -- scope and tenants ------------------------------------------------------------------------


class _WithoutCity:
    """A scope that shows the records with no city (a stand-in for record sharing)."""

    def predicate(self, obj: CompiledObject, table: FromClause) -> ColumnElement[bool] | None:
        return table.c.city.is_(None) if "city" in obj.fields else None

    edit_predicate = predicate


def test_the_search_finds_only_records_the_callers_scope_shows(crm: Api) -> None:
    crm.create("account", name="Woodgrove Bank")
    crm.create("account", name="Woodgrove Hidden", city="Zurich")
    context = crm.tenant.context()
    catalog = tenant_catalog(context)
    with tenant_connection(context.engine.db, context.tenant.schema_name) as connection:
        answer = search_records(
            connection,
            catalog=catalog,
            query=SearchQuery(text="woodgrove"),
            scope=_WithoutCity(),
            access=AllFields(),
        )
    assert [r["display_name"] for r in answer["data"][0]["records"]] == ["Woodgrove Bank"]


def test_tenants_find_only_their_own_records(
    app_client: TestClient, engine_context: EngineContext, tenant: TenantHandle
) -> None:
    other = make_tenant(engine_context, "o")
    try:
        mine, theirs = Api(app_client, tenant), Api(app_client, other)
        for api, name in ((mine, "Trey Research"), (theirs, "Trey Partners")):
            assert api.post("/admin/objects", json=ACCOUNT).status_code == 201
            api.create("account", name=name)
        assert found(mine, "trey") == ["Trey Research"]
        assert found(theirs, "trey") == ["Trey Partners"]
    finally:
        drop_tenant_schema(engine_context, other.name)


@pytest.mark.postgresql_only
def test_the_first_search_index_of_a_database_enables_pg_trgm_in_its_change(
    postgres_database: str,
) -> None:
    name = f"tessera_search_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = create_database_engine(f"{POSTGRES_SERVER}/{name}")
    try:
        upgrade_system_tables(engine)
        context = EngineContext(db=engine)
        with TestClient(create_app(context)) as client:
            api = Api(client, make_tenant(context))
            plan = api.post("/admin/objects?dry_run=true", json=ACCOUNT).json()
            assert plan["operations"][0] == (
                "enable PostgreSQL extension pg_trgm (search indexes need it)"
            )
            assert plan["ddl"][0] == 'CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA "public";'
            assert api.post("/admin/objects", json=ACCOUNT).status_code == 201
            api.create("account", name="北京科技有限公司")
            assert found(api, "科技有限") == ["北京科技有限公司"]
            # Once enabled, later changes need not enable it again.
            plan = api.post("/admin/objects?dry_run=true", json={**ACCOUNT, "api_name": "lead"})
            assert plan.json()["operations"][0] == "create table lead"
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
