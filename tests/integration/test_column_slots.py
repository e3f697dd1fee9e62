"""Fields purged and added again many times: PostgreSQL's dropped columns keep their slots.

PostgreSQL never reuses a dropped column's attribute number and allows 1,600 per table;
a field add that would go past them rebuilds the table (in the same plan and transaction),
which gives the slots back. Most tests lower the limit; one reaches the real one.
"""

from __future__ import annotations

from collections.abc import Iterator
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
                "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) "
                "FROM pg_constraint "
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
    assert sorted(plan["operations"][3:-1]) == sorted(
        [
            "add foreign key account.parent -> account",
            "add foreign key account.segment -> segment",
            "add foreign key deal.account -> account",
            "add foreign key deal.referrer -> account",
        ]
    )
    assert plan["operations"][-1] == "analyze table account"
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


def test_fields_purged_and_added_again_keep_fitting_and_only_postgresql_rebuilds(
    api: Api, tenant: TenantHandle, engine_context: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.post("/admin/objects", json={"api_name": "note"}).status_code == 201
    assert api.post("/data/note", json={}).status_code == 201
    live = slots_of(engine_context, tenant, "note")
    monkeypatch.setattr(column_slots, "POSTGRESQL_COLUMN_SLOTS", (live.used if live else 7) + 3)

    rebuilds = []
    warnings: list[list[str]] = []
    for cycle in range(6):
        field = {"api_name": f"body_{cycle}", "type": "text"}
        plan = api.post("/admin/objects/note/fields?dry_run=true", json=field).json()
        rebuilds.append(any(op.startswith("rebuild table") for op in plan["operations"]))
        warnings.append([warning["code"] for warning in plan.get("warnings", [])])
        purge_and_add_again(api, "note", f"body_{cycle}")

    if engine_context.dialect_name == "sqlite":
        # SQLite rewrites a table as it drops a column: nothing to reclaim, ever.
        assert rebuilds == [False] * 6
        assert warnings == [[]] * 6
    else:
        assert rebuilds == [False, False, False, True, False, False]
        assert warnings == [[], [], [], ["slow-change"], [], []]
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


# -- what a rebuild carries over (PostgreSQL) ----------------------------------------------


def run_sql(engine: EngineContext, tenant: TenantHandle, *statements: str) -> None:
    """Run statements of an administrator's own in the tenant's schema (`{t}` names it)."""
    with (
        tenant_connection(engine.db, f"t_{tenant.name}") as connection,
        connection.begin(),
    ):
        for statement in statements:
            connection.exec_driver_sql(statement.replace("{t}", f"t_{tenant.name}"))


def table_extras(engine: EngineContext, tenant: TenantHandle, table: str) -> dict[str, Any]:
    """What PostgreSQL knows of a table beyond its columns, as comparable rows."""
    queries = {
        "owner": "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = {o}",
        "privileges": "SELECT pg_get_userbyid(x.grantor), x.grantee::regrole::text, "
        "x.privilege_type, x.is_grantable FROM pg_class c, aclexplode(c.relacl) x "
        "WHERE c.oid = {o} ORDER BY 2, 3",
        "column privileges": "SELECT a.attname, pg_get_userbyid(x.grantor), "
        "CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END, "
        "x.privilege_type, x.is_grantable FROM pg_attribute a, aclexplode(a.attacl) x "
        "WHERE a.attrelid = {o} ORDER BY 1, 3, 4",
        "comments": "SELECT objsubid, description FROM pg_description "
        "WHERE objoid = {o} AND classoid = 'pg_class'::regclass ORDER BY 1",
        "security": "SELECT relrowsecurity, relforcerowsecurity, relreplident "
        "FROM pg_class WHERE oid = {o}",
        "policies": "SELECT polname, polcmd, polpermissive, polroles::regrole[]::text, "
        "pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) "
        "FROM pg_policy WHERE polrelid = {o} ORDER BY 1",
        "triggers": "SELECT tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger "
        "WHERE tgrelid = {o} AND NOT tgisinternal ORDER BY 1",
        "column settings": "SELECT attname, attstattarget, array_to_string(ARRAY(SELECT o "
        "FROM unnest(attoptions) o WHERE starts_with(o, 'n_distinct')), ',') FROM pg_attribute "
        "WHERE attrelid = {o} AND attnum > 0 AND NOT attisdropped AND (attstattarget <> -1 OR "
        "strpos(attoptions::text, 'n_distinct') > 0) ORDER BY 1",
        "indexes": "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = {o} ORDER BY 1",
        "constraints": "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = {o} ORDER BY 1",
        "publications": "SELECT p.pubname, r.prattrs IS NULL, pg_get_expr(r.prqual, r.prrelid) "
        "FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid "
        "WHERE r.prrelid = {o} ORDER BY 1",
    }
    oid = f"'t_{tenant.name}.{table}'::regclass"
    with tenant_connection(engine.db, f"t_{tenant.name}") as connection:
        return {
            name: [tuple(row) for row in connection.exec_driver_sql(query.format(o=oid))]
            for name, query in queries.items()
        }


def seen_by(engine: EngineContext, tenant: TenantHandle, role: str) -> list[str]:
    """The account names `role` may read (its grant and the row-level security policies)."""
    with (
        tenant_connection(engine.db, f"t_{tenant.name}") as connection,
        connection.begin(),
    ):
        connection.exec_driver_sql(f'SET LOCAL ROLE "{role}"')
        return list(
            connection.exec_driver_sql(
                f"SELECT name FROM t_{tenant.name}.account ORDER BY name"
            ).scalars()
        )


def statistics_of(engine: EngineContext, tenant: TenantHandle, table: str) -> tuple[float, int]:
    """A table's estimated rows (-1 before its first ANALYZE) and its columns with statistics."""
    with tenant_connection(engine.db, f"t_{tenant.name}") as connection:
        row = connection.execute(
            sa.text(
                "SELECT reltuples, (SELECT count(*) FROM pg_stats "
                "WHERE schemaname = :schema AND tablename = :table) FROM pg_class "
                "WHERE oid = CAST(:qualified AS regclass)"
            ),
            {"schema": f"t_{tenant.name}", "table": table, "qualified": f"t_{tenant.name}.{table}"},
        ).one()
    return (row[0], row[1])


@pytest.fixture
def roles(engine_context: EngineContext, tenant: TenantHandle) -> Iterator[dict[str, str]]:
    """A BI role and an owner role of this test's own, dropped with what they were granted."""
    made = {"bi": f"{tenant.name}_bi", "owner": f"{tenant.name}_owner"}
    with engine_context.db.begin() as connection:
        for role in made.values():
            connection.exec_driver_sql(f'CREATE ROLE "{role}" NOLOGIN')
    yield made
    with engine_context.db.begin() as connection:
        for role in made.values():
            connection.exec_driver_sql(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')


@pytest.fixture
def publications(engine_context: EngineContext, tenant: TenantHandle) -> Iterator[tuple[str, str]]:
    """The names of two publications this test may create; dropped afterwards."""
    names = (f"{tenant.name}_all", f"{tenant.name}_names")
    yield names
    with engine_context.db.begin() as connection:
        for name in names:
            connection.exec_driver_sql(f'DROP PUBLICATION IF EXISTS "{name}"')


def give_account_extras(
    engine: EngineContext,
    tenant: TenantHandle,
    roles: dict[str, str],
    publications: tuple[str, str],
) -> None:
    """What an administrator adds to `account` by hand, one of each kind."""
    bi, owner = roles["bi"], roles["owner"]
    everything, names = publications
    run_sql(
        engine,
        tenant,
        f'GRANT USAGE ON SCHEMA {{t}} TO "{bi}"',
        f'GRANT SELECT ON {{t}}.account TO "{bi}" WITH GRANT OPTION',
        f'GRANT UPDATE (name, region) ON {{t}}.account TO "{bi}"',
        "GRANT INSERT (code) ON {t}.account TO PUBLIC",
        "REVOKE TRUNCATE ON {t}.account FROM CURRENT_USER",
        # Tables made in the schema from now on (the rebuilt one) would let the role insert.
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA {{t}} GRANT INSERT ON TABLES TO "{bi}"',
        "COMMENT ON TABLE {t}.account IS 'Accounts: 100%% of them, it''s said'",
        "COMMENT ON COLUMN {t}.account.region IS 'sales region'",
        "ALTER TABLE {t}.account ALTER COLUMN region SET STATISTICS 500",
        "ALTER TABLE {t}.account ALTER COLUMN code SET (n_distinct = -0.5)",
        "CREATE TABLE {t}.account_audit (account uuid, at timestamptz DEFAULT now())",
        "CREATE FUNCTION {t}.audit_account() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN INSERT INTO {t}.account_audit (account) VALUES (NEW.id); RETURN NEW; END$$",
        "CREATE TRIGGER audit_insert AFTER INSERT ON {t}.account "
        "FOR EACH ROW EXECUTE FUNCTION {t}.audit_account()",
        "CREATE TRIGGER audit_update AFTER UPDATE ON {t}.account FOR EACH ROW "
        "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION {t}.audit_account()",
        "ALTER TABLE {t}.account DISABLE TRIGGER audit_update",
        "ALTER TABLE {t}.account ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE {t}.account FORCE ROW LEVEL SECURITY",
        f'CREATE POLICY "BI reads" ON {{t}}.account FOR SELECT TO "{bi}" USING (true)',
        f'CREATE POLICY "north only" ON {{t}}.account AS RESTRICTIVE FOR SELECT TO "{bi}" '
        "USING (region = 'north')",
        "CREATE INDEX account_lower_name ON {t}.account (lower(name))",
        "ALTER TABLE {t}.account ADD CONSTRAINT short_code CHECK (length(code) < 10) NOT VALID",
        "ALTER TABLE {t}.account REPLICA IDENTITY FULL",
        f'CREATE PUBLICATION "{everything}" FOR TABLE {{t}}.account',
        f'CREATE PUBLICATION "{names}" FOR TABLE {{t}}.account (id, name) '
        "WHERE (name IS NOT NULL) WITH (publish = 'insert')",
        f'ALTER TABLE {{t}}.account OWNER TO "{owner}"',
    )


def audited(engine: EngineContext, tenant: TenantHandle) -> int:
    with tenant_connection(engine.db, f"t_{tenant.name}") as connection:
        return int(
            connection.exec_driver_sql(
                f"SELECT count(*) FROM t_{tenant.name}.account_audit"
            ).scalar_one()
        )


@pytest.mark.postgresql_only
def test_a_rebuild_carries_over_privileges_comments_triggers_policies_and_publications(
    api: Api,
    tenant: TenantHandle,
    engine_context: EngineContext,
    crm: dict[str, str],
    roles: dict[str, str],
    publications: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_up_the_slots(api, engine_context, tenant, monkeypatch, purges=2)
    give_account_extras(engine_context, tenant, roles, publications)
    before = table_extras(engine_context, tenant, "account")
    shape_before = table_shape(engine_context, tenant, "account")
    audits_before = audited(engine_context, tenant)
    assert seen_by(engine_context, tenant, roles["bi"]) == ["Acme"]

    field = {"api_name": "tier", "type": "text"}
    plan = api.post("/admin/objects/account/fields?dry_run=true", json=field).json()
    added = api.post("/admin/objects/account/fields", json=field)

    assert added.status_code == 201, added.text
    assert plan["warnings"] == [
        {
            "code": "slow-change",
            "object": "account",
            "message": "the table of account is rebuilt: every row is copied and the indexes "
            "and keys are built again, while the tenant's writes wait for the change",
        }
    ]
    assert plan["operations"][-2] == (
        f"carry over to table account: the owner's privileges, 4 privileges, 2 comments, "
        f"1 statistics target, 1 column option, 1 index, 1 constraint, "
        f"2 row-level security policies, 2 triggers, 2 publications, row-level security, "
        f"the replica identity, the owner {roles['owner']}"
    )
    assert "COMMENT ON TABLE" in " ".join(plan["ddl"])
    assert any("100% of them" in statement for statement in plan["ddl"])
    assert table_extras(engine_context, tenant, "account") == before
    assert (
        table_shape(engine_context, tenant, "account")["constraints"]
        == (shape_before["constraints"])
    )
    assert seen_by(engine_context, tenant, roles["bi"]) == ["Acme"]
    assert audited(engine_context, tenant) == audits_before
    assert api.post("/data/account", json={"name": "Cobalt"}).status_code == 201
    assert audited(engine_context, tenant) == audits_before + 1


@pytest.mark.postgresql_only
def test_the_primary_key_keeps_its_name_and_statistics_are_gathered_over_two_rebuilds(
    api: Api,
    tenant: TenantHandle,
    engine_context: EngineContext,
    crm: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_up_the_slots(api, engine_context, tenant, monkeypatch, purges=2)
    primary_key = ("account_pkey", f"t_{tenant.name}.account", "PRIMARY KEY (id)")
    assert primary_key in table_shape(engine_context, tenant, "account")["constraints"]

    for rebuild in ("tier", "rank"):
        if rebuild == "rank":
            purge_and_add_again(api, "account", "scratch_again")
        plan = api.post(
            "/admin/objects/account/fields?dry_run=true", json={"api_name": rebuild, "type": "text"}
        ).json()
        assert any(operation.startswith("rebuild table") for operation in plan["operations"])
        added = api.post(
            "/admin/objects/account/fields", json={"api_name": rebuild, "type": "text"}
        )
        assert added.status_code == 201, added.text

        assert primary_key in table_shape(engine_context, tenant, "account")["constraints"]
        rows, columns_with_statistics = statistics_of(engine_context, tenant, "account")
        assert rows == 2
        assert columns_with_statistics > 0


@pytest.mark.postgresql_only
def test_a_primary_key_an_earlier_rebuild_renamed_takes_its_usual_name_back(
    api: Api,
    tenant: TenantHandle,
    engine_context: EngineContext,
    crm: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_up_the_slots(api, engine_context, tenant, monkeypatch, purges=1)
    # As a rebuild before the primary key kept its name left it, the second time.
    run_sql(
        engine_context,
        tenant,
        "ALTER TABLE {t}.account RENAME CONSTRAINT account_pkey TO _tessera_rebuild_account_pkey1",
    )

    added = api.post("/admin/objects/account/fields", json={"api_name": "tier", "type": "text"})

    assert added.status_code == 201, added.text
    assert ("account_pkey", f"t_{tenant.name}.account", "PRIMARY KEY (id)") in table_shape(
        engine_context, tenant, "account"
    )["constraints"]


BLOCKERS = {
    "rule": (
        "CREATE RULE keep_accounts AS ON DELETE TO {t}.account DO INSTEAD NOTHING",
        "rule keep_accounts on it",
    ),
    "inheritance child": (
        "CREATE TABLE {t}.key_account (tier text) INHERITS ({t}.account)",
        "table {t}.key_account inherits from it",
    ),
    "view": (
        "CREATE VIEW {t}.account_report AS SELECT name FROM {t}.account",
        "view {t}.account_report depends on it",
    ),
    "foreign key": (
        "CREATE TABLE {t}.visit (account uuid CONSTRAINT visit_account "
        "REFERENCES {t}.account (id))",
        "foreign key visit_account of {t}.visit points at it",
    ),
}


@pytest.mark.postgresql_only
@pytest.mark.parametrize("blocker", sorted(BLOCKERS))
def test_what_a_rebuild_cannot_carry_over_refuses_the_change_and_nothing_changes(
    api: Api,
    tenant: TenantHandle,
    engine_context: EngineContext,
    crm: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    blocker: str,
) -> None:
    use_up_the_slots(api, engine_context, tenant, monkeypatch, purges=1)
    statement, named = BLOCKERS[blocker]
    run_sql(engine_context, tenant, statement)
    before = slots_of(engine_context, tenant, "account")
    shape_before = table_shape(engine_context, tenant, "account")

    field = {"api_name": "tier", "type": "text"}
    dry_run = api.post("/admin/objects/account/fields?dry_run=true", json=field)
    refused = api.post("/admin/objects/account/fields", json=field)

    for answer in (dry_run, refused):
        assert answer.status_code == 409, answer.text
        problem = answer.json()
        assert problem["type"] == "/problems/conflict"
        assert problem["object"] == "account"
        assert problem["blockers"] == [named.replace("{t}", f"t_{tenant.name}")]
        assert named.replace("{t}", f"t_{tenant.name}") in problem["detail"]
    assert slots_of(engine_context, tenant, "account") == before
    assert table_shape(engine_context, tenant, "account") == shape_before
    assert api.get("/admin/objects/account/fields/tier").status_code == 404
    assert len(api.get("/data/account").json()["data"]) == 2


@pytest.mark.postgresql_only
def test_a_purge_that_a_view_of_the_tenants_own_reads_is_refused_and_nothing_changes(
    api: Api, tenant: TenantHandle, engine_context: EngineContext, crm: dict[str, str]
) -> None:
    run_sql(
        engine_context,
        tenant,
        "CREATE VIEW {t}.account_names AS SELECT name, code FROM {t}.account",
    )
    assert api.delete("/admin/objects/account/fields/code").status_code == 200

    refused = api.post("/admin/objects/account/fields/code/purge")

    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert "blocked by database objects made outside Tessera" in problem["detail"]
    assert "account_names" in problem["detail"]
    # Nothing changed: the field is still deleted, not purged, and can come back.
    restored = api.post("/admin/objects/account/fields/code/restore", json={})
    assert restored.status_code == 200, restored.text


@pytest.mark.postgresql_only
def test_a_slot_reclaiming_rebuild_builds_the_search_index_again(
    api: Api,
    tenant: TenantHandle,
    engine_context: EngineContext,
    crm: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    marked = api.patch("/admin/objects/account/fields/name", json={"searchable": True})
    assert marked.status_code == 200, marked.text
    use_up_the_slots(api, engine_context, tenant, monkeypatch, purges=1)
    field = {"api_name": "tier", "type": "text"}
    plan = api.post("/admin/objects/account/fields?dry_run=true", json=field).json()
    assert plan["operations"][0] == "drop search index on account (name)"
    assert plan["operations"][-1] == "create search index on account (name)"
    assert api.post("/admin/objects/account/fields", json=field).status_code == 201
    search = api.get("/search", params={"q": "acme"}).json()
    assert [record["id"] for record in search["data"][0]["records"]] == [crm["acme"]]
    indexes = [name for name, _ in table_shape(engine_context, tenant, "account")["indexes"]]
    assert len([name for name in indexes if name.startswith("ix_search_")]) == 2
