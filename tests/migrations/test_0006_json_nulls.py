"""Revision 0006: JSON `null` stored in tenant tables before it is SQL NULL after it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from engine.context import EngineContext
from engine.database import tenant_connection
from metadata.store.tables import fields, objects, tenants
from migrations import stamp_system_tables, upgrade_system_tables
from tests.conftest import Api, drop_tenant_schema, make_tenant

THING = {
    "api_name": "thing",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "meta", "type": "json"},
        {"api_name": "tags", "type": "multi_picklist", "values": [{"value": "red"}]},
        {"api_name": "old_meta", "type": "json"},
        {"api_name": "must", "type": "json", "required": True},
    ],
}
GONE = {"api_name": "gone", "fields": [{"api_name": "name", "type": "text"}, THING["fields"][1]]}


def stored_table(
    api: Api, engine: EngineContext, object_name: str
) -> tuple[str, str, dict[str, str]]:
    """The schema and table of `object_name`, and the column of each of its fields."""
    with engine.db.connect() as connection:
        schema, table, object_id = connection.execute(
            sa.select(tenants.c.schema_name, objects.c.table_name, objects.c.id)
            .join(objects, objects.c.tenant_id == tenants.c.id)
            .where(tenants.c.name == api.tenant.name, objects.c.api_name == object_name)
        ).one()
        columns = dict(
            connection.execute(
                sa.select(fields.c.api_name, fields.c.column_name).where(
                    fields.c.object_id == object_id
                )
            ).all()
        )
    return schema, table, columns


def write_json_nulls(api: Api, engine: EngineContext, object_name: str, names: list[str]) -> None:
    """Store JSON `null` in `names` of record `a`, as versions before 0006 did."""
    schema, table, columns = stored_table(api, engine, object_name)
    dialect = engine.db.dialect
    quote = dialect.identifier_preparer.quote
    json_null = "CAST('null' AS jsonb)" if dialect.name == "postgresql" else "'null'"
    assignments = ", ".join(f"{quote(columns[name])} = {json_null}" for name in names)
    with tenant_connection(engine.db, schema, is_write=True) as connection, connection.begin():
        connection.execute(
            sa.text(
                f"UPDATE {quote(schema)}.{quote(table)} SET {assignments} "
                f"WHERE {quote(columns['name'])} = 'a'"
            )
        )


def names(api: Api, object_name: str, where: dict[str, Any]) -> list[str]:
    response = api.get(f"/data/{object_name}", params={"filter": json.dumps(where), "sort": "name"})
    assert response.status_code == 200, response.json()
    return [record["name"] for record in response.json()["data"]]


def test_json_nulls_in_tenant_tables_become_sql_null(
    api: Api, engine_context: EngineContext, caplog: pytest.LogCaptureFixture
) -> None:
    for body in (THING, GONE):
        assert api.post("/admin/objects", json=body).status_code == 201
    for name in ("a", "b"):
        value = {"k": name}
        record = {"name": name, "meta": value, "tags": ["red"], "old_meta": value, "must": value}
        assert api.post("/data/thing", json=record).status_code == 201
        assert api.post("/data/gone", json={"name": name, "meta": value}).status_code == 201
    write_json_nulls(api, engine_context, "thing", ["meta", "tags", "old_meta", "must"])
    write_json_nulls(api, engine_context, "gone", ["meta"])
    assert names(api, "thing", {"meta": {"is_null": True}}) == []
    # A deleted field's column and a deleted object's table keep their values.
    assert api.delete("/admin/objects/thing/fields/old_meta").status_code == 200
    assert api.delete("/admin/objects/gone").status_code == 200
    with engine_context.db.begin() as connection:
        connection.execute(sa.text("UPDATE tessera_alembic_version SET version_num = '0005'"))

    upgrade_system_tables(engine_context.db, revision="0006")
    # The tables are at the head revision already: only the revision under test ran.
    stamp_system_tables(engine_context.db)

    for name in ("meta", "tags"):
        assert names(api, "thing", {name: {"is_null": True}}) == ["a"]
        assert names(api, "thing", {name: {"is_null": False}}) == ["b"]
    assert api.post("/admin/objects/thing/fields/old_meta/restore").status_code == 200
    assert names(api, "thing", {"old_meta": {"is_null": True}}) == ["a"]
    assert api.post("/admin/objects/gone/restore").status_code == 200
    assert names(api, "gone", {"meta": {"is_null": True}}) == ["a"]
    # A required field's column is NOT NULL: its JSON null stays, and is reported.
    assert names(api, "thing", {"must": {"is_null": False}}) == ["a", "b"]
    assert "keep a JSON null" in caplog.text
    stored = api.get("/data/thing", params={"sort": "name"}).json()["data"]
    assert [(r["meta"], r["must"]) for r in stored] == [(None, None), ({"k": "b"}, {"k": "b"})]


def store_json_nulls(api: Api, engine: EngineContext) -> None:
    """Make `thing` with records `a` and `b`; `a` holds JSON `null` in `meta` and `tags`."""
    assert api.post("/admin/objects", json=THING).status_code == 201
    for name in ("a", "b"):
        value = {"k": name}
        record = {"name": name, "meta": value, "tags": ["red"], "must": value}
        assert api.post("/data/thing", json=record).status_code == 201
    write_json_nulls(api, engine, "thing", ["meta", "tags"])


def tenant_with_json_nulls(api: Api, engine: EngineContext) -> Api:
    """Another tenant, with `store_json_nulls` done."""
    other = Api(client=api.client, tenant=make_tenant(engine))
    store_json_nulls(other, engine)
    return other


def is_rewritten(api: Api) -> bool:
    """Whether the tenant's JSON nulls read as SQL NULL (both columns, or neither)."""
    found = [names(api, "thing", {name: {"is_null": True}}) for name in ("meta", "tags")]
    assert found in ([["a"], ["a"]], [[], []]), f"{api.tenant.name} is half rewritten: {found}"
    return found == [["a"], ["a"]]


def in_upgrade_order(apis: list[Api]) -> list[Api]:
    """The tenants in the order the revision walks them: by schema name."""
    return sorted(apis, key=lambda api: f"t_{api.tenant.name}")


@contextmanager
def refusing_updates_of_tags(api: Api, engine: EngineContext) -> Iterator[None]:
    """While open, any update of `thing.tags` in the tenant's table fails (a broken tenant)."""
    schema, table, columns = stored_table(api, engine, "thing")
    quote = engine.db.dialect.identifier_preparer.quote
    postgresql = engine.db.dialect.name == "postgresql"
    if postgresql:
        create = [
            f"CREATE FUNCTION {quote(schema)}.refuse() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
            f"CREATE TRIGGER refuse BEFORE UPDATE OF {quote(columns['tags'])} "
            f"ON {quote(schema)}.{quote(table)} FOR EACH ROW EXECUTE FUNCTION "
            f"{quote(schema)}.refuse()",
        ]
        drop = [f"DROP TRIGGER refuse ON {quote(schema)}.{quote(table)}"]
    else:
        create = [
            f"CREATE TRIGGER {quote(schema)}.refuse BEFORE UPDATE OF {quote(columns['tags'])} "
            f"ON {quote(table)} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ]
        drop = [f"DROP TRIGGER {quote(schema)}.refuse"]
    for statements in (create, drop):
        with tenant_connection(engine.db, schema, is_write=True) as connection, connection.begin():
            for statement in statements:
                connection.execute(sa.text(statement))
        if statements is create:
            yield


def test_every_tenant_is_rewritten_by_a_plain_upgrade(
    api: Api, engine_context: EngineContext
) -> None:
    apis = [tenant_with_json_nulls(api, engine_context) for _ in range(3)]
    try:
        assert not any(is_rewritten(each) for each in apis)
        with engine_context.db.begin() as connection:
            connection.execute(sa.text("UPDATE tessera_alembic_version SET version_num = '0005'"))
        upgrade_system_tables(engine_context.db, revision="0006")
        stamp_system_tables(engine_context.db)
        assert all(is_rewritten(each) for each in apis)
        for each in apis:
            stored = each.get("/data/thing", params={"sort": "name"}).json()["data"]
            assert [(r["meta"], r["tags"]) for r in stored] == [(None, None), ({"k": "b"}, ["red"])]
    finally:
        for each in apis:
            drop_tenant_schema(engine_context, each.tenant.name)


def test_a_failing_tenant_keeps_the_finished_ones_and_a_second_run_finishes_the_rest(
    api: Api, engine_context: EngineContext
) -> None:
    first, broken, last = in_upgrade_order(
        [tenant_with_json_nulls(api, engine_context) for _ in range(3)]
    )
    try:
        with engine_context.db.begin() as connection:
            connection.execute(sa.text("UPDATE tessera_alembic_version SET version_num = '0005'"))
        with refusing_updates_of_tags(broken, engine_context):
            with pytest.raises(sa.exc.DBAPIError, match="refused by the test"):
                upgrade_system_tables(engine_context.db, revision="0006")
            # The tenant before the broken one is finished; the broken one has nothing
            # rewritten (its `meta` was, then rolled back with the failed `tags`); the one
            # after it was not reached.
            assert [is_rewritten(each) for each in (first, broken, last)] == [True, False, False]
            with engine_context.db.connect() as connection:
                version = connection.execute(
                    sa.text("SELECT version_num FROM tessera_alembic_version")
                ).scalar_one()
            assert version == "0005"
        upgrade_system_tables(engine_context.db, revision="0006")
        assert [is_rewritten(each) for each in (first, broken, last)] == [True, True, True]
    finally:
        stamp_system_tables(engine_context.db)
        for each in (first, broken, last):
            drop_tenant_schema(engine_context, each.tenant.name)
