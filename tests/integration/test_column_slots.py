"""Fields purged and added again many times: PostgreSQL's dropped columns keep their slots.

PostgreSQL never reuses a dropped column's attribute number and allows 1,600 per table;
a field add that would go past them rebuilds the table (in the same plan and transaction),
which gives the slots back. Most tests lower the limit; one reaches the real one.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from engine.context import EngineContext
from engine.database import tenant_connection
from engine.schema_sync import ColumnSlots, column_slots, measure_column_slots
from tests.conftest import Api, TenantHandle


def slots_of(engine: EngineContext, tenant: TenantHandle, table: str) -> ColumnSlots | None:
    """The column slots `table` uses (None on SQLite, which keeps none for dropped columns)."""
    with tenant_connection(engine.db, f"t_{tenant.name}") as connection:
        return measure_column_slots(connection, f"t_{tenant.name}").get(table)


def table_shape(engine: EngineContext, tenant: TenantHandle, table: str) -> dict[str, Any]:
    """What PostgreSQL knows of a table: columns, indexes, and the constraints on or into it."""
    name = f"t_{tenant.name}.{table}"
    with tenant_connection(engine.db, f"t_{tenant.name}") as connection:
        columns = connection.execute(
            sa.text(
                "SELECT attname, format_type(atttypid, atttypmod), attnotnull "
                "FROM pg_attribute WHERE attrelid = CAST(:table AS regclass) "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            ),
            {"table": name},
        ).all()
        indexes = connection.execute(
            sa.text(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = CAST(:table AS regclass) AND NOT x.indisprimary "
                "ORDER BY i.relname"
            ),
            {"table": name},
        ).all()
        constraints = connection.execute(
            sa.text(
                # The primary key's name is the one thing a rebuild does not keep.
                "SELECT CASE WHEN contype = 'p' THEN 'primary key' ELSE conname END, "
                "conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:table AS regclass) "
                "OR confrelid = CAST(:table AS regclass) ORDER BY 1, 2"
            ),
            {"table": name},
        ).all()
    return {
        "columns": [tuple(row) for row in columns],
        "indexes": [tuple(row) for row in indexes],
        "constraints": [tuple(row) for row in constraints],
    }


def purge_and_add_again(api: Api, object_name: str, field_name: str) -> None:
    """Add a field, delete it and purge it: one more dropped column on PostgreSQL."""
    added = api.post(
        f"/admin/objects/{object_name}/fields", json={"api_name": field_name, "type": "text"}
    )
    assert added.status_code == 201, added.text
    assert api.delete(f"/admin/objects/{object_name}/fields/{field_name}").status_code == 200
    purged = api.post(f"/admin/objects/{object_name}/fields/{field_name}/purge")
    assert purged.status_code == 200, purged.text


def use_up_the_slots(
    api: Api,
    engine: EngineContext,
    tenant: TenantHandle,
    monkeypatch: pytest.MonkeyPatch,
    *,
    purges: int,
) -> ColumnSlots:
    """Lower the limit so that `purges` fields purged from `account` leave it no free slot.

    Returns the slots `account` had before.
    """
    used = slots_of(engine, tenant, "account")
    assert used is not None and used.dropped == 0
    monkeypatch.setattr(column_slots, "POSTGRESQL_COLUMN_SLOTS", used.used + purges)
    for number in range(purges):
        purge_and_add_again(api, "account", f"scratch_{number}")
    return used


def lookup(api_name: str, target: str, *, on_delete: str) -> dict[str, str]:
    """A lookup field's definition."""
    return {"api_name": api_name, "type": "lookup", "target": target, "on_delete": on_delete}


@pytest.fixture
def crm(api: Api) -> dict[str, str]:
    """`account` with a unique, an indexed, a required and an auto-number field, a lookup to
    `segment` (restrict) and to itself (set null); `deal` points at it twice (master-detail,
    and a restrict lookup). Returns the ids of the records made."""
    for document in (
        {"api_name": "segment", "fields": [{"api_name": "name", "type": "text"}]},
        {
            "api_name": "account",
            "fields": [
                {"api_name": "name", "type": "text", "required": True},
                {"api_name": "code", "type": "text", "unique": True},
                {"api_name": "region", "type": "text", "indexed": True},
                {"api_name": "number", "type": "auto_number", "format": "A-{0000}"},
                lookup("segment", "segment", on_delete="restrict"),
            ],
        },
    ):
        assert api.post("/admin/objects", json=document).status_code == 201
    parent = lookup("parent", "account", on_delete="set_null")
    assert api.post("/admin/objects/account/fields", json=parent).status_code == 201
    deal = {
        "api_name": "deal",
        "fields": [
            {"api_name": "title", "type": "text"},
            {"api_name": "account", "type": "master_detail", "target": "account"},
            lookup("referrer", "account", on_delete="restrict"),
        ],
    }
    assert api.post("/admin/objects", json=deal).status_code == 201
    segment = api.post("/data/segment", json={"name": "SMB"}).json()
    acme = api.post(
        "/data/account",
        json={"name": "Acme", "code": "AC", "region": "north", "segment": segment["id"]},
    ).json()
    bolt = api.post(
        "/data/account", json={"name": "Bolt", "code": "BO", "parent": acme["id"]}
    ).json()
    first = api.post(
        "/data/deal", json={"title": "one", "account": acme["id"], "referrer": bolt["id"]}
    ).json()
    second = api.post("/data/deal", json={"title": "two", "account": bolt["id"]}).json()
    return {
        "segment": segment["id"],
        "acme": acme["id"],
        "bolt": bolt["id"],
        "first": first["id"],
        "second": second["id"],
    }


@pytest.mark.postgresql_only
def test_a_field_add_past_the_slots_rebuilds_the_table_and_keeps_rows_keys_and_indexes(
    api: Api,
    tenant: TenantHandle,
    engine_context: EngineContext,
    crm: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    used = use_up_the_slots(api, engine_context, tenant, monkeypatch, purges=2)
    accounts_before = api.get("/data/account?sort=name").json()["data"]
    shape_before = table_shape(engine_context, tenant, "account")

    field = {"api_name": "tier", "type": "text", "indexed": True}
    plan = api.post("/admin/objects/account/fields?dry_run=true", json=field).json()
    added = api.post("/admin/objects/account/fields", json=field)

    assert plan["operations"][:2] == [
        f"drop foreign key {constraint}"
        for _, constraint, _ in sorted(
            (row[1], row[0], row[2])
            for row in shape_before["constraints"]
            if row[1].endswith(".deal")
        )
    ]
    assert plan["operations"][2] == (
        "rebuild table account to reclaim the 2 column slots its dropped columns hold"
    )
    assert sorted(plan["operations"][3:]) == sorted(
        [
            "add foreign key account.parent -> account",
            "add foreign key account.segment -> segment",
            "add foreign key deal.account -> account",
            "add foreign key deal.referrer -> account",
        ]
    )
    assert any("_tessera_rebuild_account" in statement for statement in plan["ddl"])
    assert {
        "object": "account",
        "field": None,
        "reason": "table rebuilt to reclaim column slots",
        "rows": 2,
    } in plan["impact"]["rows_touched"]
    assert added.status_code == 201, added.text
    after = slots_of(engine_context, tenant, "account")
    assert after is not None and after.dropped == 0 and after.used == used.used + 1
    shape_after = table_shape(engine_context, tenant, "account")
    assert shape_after["columns"][:-1] == shape_before["columns"]
    assert shape_after["columns"][-1][0] == "tier"
    assert shape_after["constraints"] == shape_before["constraints"]
    tier_index = [row for row in shape_after["indexes"] if row not in shape_before["indexes"]]
    assert len(tier_index) == 1 and "(tier)" in tier_index[0][1]
    accounts_after = api.get("/data/account?sort=name").json()["data"]
    assert accounts_after == [{**account, "tier": None} for account in accounts_before]


@pytest.mark.postgresql_only
def test_the_rebuilt_table_enforces_its_keys_and_counts_on(
    api: Api,
    tenant: TenantHandle,
    engine_context: EngineContext,
    crm: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_up_the_slots(api, engine_context, tenant, monkeypatch, purges=1)
    added = api.post("/admin/objects/account/fields", json={"api_name": "tier", "type": "text"})
    assert added.status_code == 201, added.text

    clash = api.post("/data/account", json={"name": "Copy", "code": "AC"})
    assert clash.status_code == 409, clash.text
    assert api.post("/data/account", json={}).status_code == 422
    assert api.post("/data/account", json={"name": "Next"}).json()["number"] == "A-0003"
    assert api.delete(f"/data/segment/{crm['segment']}").status_code == 409
    # Bolt is a deal's referrer (restrict); deleting Acme takes its deal along
    # (master-detail) and empties Bolt's parent (set null).
    assert api.delete(f"/data/account/{crm['bolt']}").status_code == 409
    assert api.delete(f"/data/account/{crm['acme']}").status_code == 204
    assert api.get(f"/data/deal/{crm['first']}").status_code == 404
    assert api.get(f"/data/account/{crm['bolt']}").json()["parent"] is None
    assert api.delete(f"/data/account/{crm['bolt']}").status_code == 204
    assert api.get(f"/data/deal/{crm['second']}").status_code == 404
    with (
        tenant_connection(engine_context.db, f"t_{tenant.name}") as connection,
        pytest.raises(sa.exc.IntegrityError),
        connection.begin(),
    ):
        connection.execute(
            sa.text(
                f"INSERT INTO t_{tenant.name}.deal (id, created_at, updated_at, version, "
                "account) VALUES (gen_random_uuid(), now(), now(), 1, gen_random_uuid())"
            )
        )


@pytest.mark.postgresql_only
def test_a_view_on_the_table_stops_the_rebuild_and_the_change_writes_nothing(
    api: Api,
    tenant: TenantHandle,
    engine_context: EngineContext,
    crm: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_up_the_slots(api, engine_context, tenant, monkeypatch, purges=1)
    with (
        tenant_connection(engine_context.db, f"t_{tenant.name}") as connection,
        connection.begin(),
    ):
        connection.execute(
            sa.text(
                f"CREATE VIEW t_{tenant.name}.account_report AS "
                f"SELECT name FROM t_{tenant.name}.account"
            )
        )
    before = slots_of(engine_context, tenant, "account")

    refused = api.post("/admin/objects/account/fields", json={"api_name": "tier", "type": "text"})

    assert refused.status_code == 500
    assert refused.json()["type"] == "/problems/schema-change-failed"
    assert "account_report" in refused.json()["detail"]
    assert slots_of(engine_context, tenant, "account") == before
    assert api.get("/admin/objects/account/fields/tier").status_code == 404
    assert len(api.get("/data/account").json()["data"]) == 2


def test_fields_purged_and_added_again_keep_fitting_and_only_postgresql_rebuilds(
    api: Api, tenant: TenantHandle, engine_context: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.post("/admin/objects", json={"api_name": "note"}).status_code == 201
    assert api.post("/data/note", json={}).status_code == 201
    live = slots_of(engine_context, tenant, "note")
    monkeypatch.setattr(column_slots, "POSTGRESQL_COLUMN_SLOTS", (live.used if live else 7) + 3)

    rebuilds = []
    for cycle in range(6):
        field = {"api_name": f"body_{cycle}", "type": "text"}
        plan = api.post("/admin/objects/note/fields?dry_run=true", json=field).json()
        rebuilds.append(any(op.startswith("rebuild table") for op in plan["operations"]))
        purge_and_add_again(api, "note", f"body_{cycle}")

    if engine_context.dialect_name == "sqlite":
        # SQLite rewrites a table as it drops a column: nothing to reclaim, ever.
        assert rebuilds == [False] * 6
    else:
        assert rebuilds == [False, False, False, True, False, False]
    assert len(api.get("/data/note").json()["data"]) == 1


@pytest.mark.postgresql_only
def test_adding_a_field_works_past_postgresqls_real_limit_of_1600_column_slots(
    api: Api, tenant: TenantHandle, engine_context: EngineContext
) -> None:
    assert (
        api.post(
            "/admin/objects",
            json={"api_name": "wide", "fields": [{"api_name": "name", "type": "text"}]},
        ).status_code
        == 201
    )
    record = api.post("/data/wide", json={"name": "kept"}).json()
    start = slots_of(engine_context, tenant, "wide")
    assert start is not None
    # Stand-ins for 1,590 earlier purges, made in two statements instead of 3,180 changes.
    fillers = [
        f"filler_{number}"
        for number in range(column_slots.POSTGRESQL_COLUMN_SLOTS - 2 - start.used)
    ]
    with (
        tenant_connection(engine_context.db, f"t_{tenant.name}") as connection,
        connection.begin(),
    ):
        table = f"t_{tenant.name}.wide"
        connection.execute(
            sa.text(f"ALTER TABLE {table} " + ", ".join(f"ADD COLUMN {f} integer" for f in fillers))
        )
        connection.execute(
            sa.text(f"ALTER TABLE {table} " + ", ".join(f"DROP COLUMN {f}" for f in fillers))
        )
    # The last two slots go the way they go in use: a field added and purged, twice.
    purge_and_add_again(api, "wide", "last_but_one")
    purge_and_add_again(api, "wide", "last")
    full = slots_of(engine_context, tenant, "wide")
    assert full is not None and full.used == 1600

    added = api.post("/admin/objects/wide/fields", json={"api_name": "more", "type": "text"})

    assert added.status_code == 201, added.text
    after = slots_of(engine_context, tenant, "wide")
    assert after is not None and (after.used, after.dropped) == (start.used + 1, 0)
    assert api.get(f"/data/wide/{record['id']}").json()["name"] == "kept"
