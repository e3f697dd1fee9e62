"""Revision 0006: JSON `null` stored in tenant tables before it is SQL NULL after it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from engine.context import EngineContext
from engine.database import tenant_connection
from metadata.store.tables import fields, objects, tenants
from migrations import stamp_system_tables, upgrade_system_tables
from tests.conftest import Api

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


def write_json_nulls(api: Api, engine: EngineContext, object_name: str, names: list[str]) -> None:
    """Store JSON `null` in `names` of record `a`, as versions before 0006 did."""
    with engine.db.connect() as connection:
        schema, table, object_id = connection.execute(
            sa.select(tenants.c.schema_name, objects.c.table_name, objects.c.id)
            .join(objects, objects.c.tenant_id == tenants.c.id)
            .where(tenants.c.name == api.tenant.name, objects.c.api_name == object_name)
        ).one()
        columns = dict(
            connection.execute(
                sa.select(fields.c.api_name, fields.c.column_name).where(
                    fields.c.object_id == object_id, fields.c.api_name.in_([*names, "name"])
                )
            ).all()
        )
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
