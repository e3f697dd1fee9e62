"""The table of system columns, and the actor written into `created_by`/`updated_by`."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from engine import metadata_changes, records
from engine.catalog import SYSTEM_COLUMN_TABLE, SYSTEM_KEYS, WrittenBy
from engine.catalog.expression_scope import SYSTEM_KINDS
from engine.catalog.tables import system_columns
from engine.context import EngineContext
from engine.expressions import Kind
from engine.query import AllFields
from engine.query.paths import SYSTEM_FIELD_TYPES
from engine.records.json_schema import record_schema
from engine.records.service import compiled_object
from metadata.models import FieldType, ObjectDef
from migrations import stamp_system_tables, upgrade_system_tables
from tests.conftest import Api, TenantHandle, add_user

NOTE = {
    "api_name": "note",
    "fields": [
        {"api_name": "code", "type": "text", "unique": True},
        {"api_name": "body", "type": "text"},
        {
            "api_name": "author",
            "type": "formula",
            "return_type": "text",
            "expression": "CONCAT('by ', updated_by)",
        },
    ],
}


@pytest.fixture
def notes(api: Api) -> Api:
    assert api.post("/admin/objects", json=NOTE).status_code == 201
    return api


def actor(api: Api) -> str:
    return str(api.tenant.user_id)


def test_every_reader_of_system_columns_agrees_with_the_one_table() -> None:
    names = [column.name for column in SYSTEM_COLUMN_TABLE]
    assert [column.name for column in system_columns()] == names
    assert sorted(SYSTEM_KEYS) == sorted(names)
    assert set(SYSTEM_KINDS) == set(SYSTEM_FIELD_TYPES) == set(names)
    by_name = {column.name: column for column in SYSTEM_COLUMN_TABLE}
    assert by_name["created_by"].written_by is WrittenBy.ENGINE_ON_CREATE
    assert by_name["updated_by"].written_by is WrittenBy.ENGINE_ON_WRITE
    assert [c.name for c in SYSTEM_COLUMN_TABLE if c.is_writable] == ["owner_id"]
    for name in ("created_by", "updated_by"):
        assert isinstance(system_columns()[names.index(name)].type, sa.String)
        assert SYSTEM_KINDS[name] is Kind.TEXT
        assert SYSTEM_FIELD_TYPES[name].type is FieldType.TEXT


def test_a_created_record_names_the_user_that_created_it(notes: Api) -> None:
    record = notes.post("/data/note", json={"body": "hello"}).json()
    assert record["created_by"] == record["updated_by"] == actor(notes)
    stored = notes.get(f"/data/note/{record['id']}").json()
    assert stored["created_by"] == actor(notes)


def test_an_update_by_another_user_changes_updated_by_only(notes: Api, app_client: Any) -> None:
    record = notes.post("/data/note", json={"body": "hello"}).json()
    second = add_user(notes.tenant, "second@example.com")
    other_api = Api(client=app_client, tenant=second)
    changed = other_api.patch(f"/data/note/{record['id']}", json={"body": "edited"}).json()
    assert changed["created_by"] == actor(notes)
    assert changed["updated_by"] == str(second.user_id)


@pytest.mark.parametrize("size", [3, 200])
def test_bulk_creates_and_upserts_record_the_actor(notes: Api, size: int) -> None:
    # 200 records go through COPY on PostgreSQL, 3 through INSERT.
    records = [{"code": f"C{i}", "body": "x"} for i in range(size)]
    assert notes.post("/data/note/bulk", json=records).status_code == 200
    upserted = notes.post(
        "/data/note/bulk", params={"upsert_on": "code"}, json=[{"code": "C1", "body": "y"}]
    )
    assert upserted.json()["updated"] == 1
    page = notes.get("/data/note", params={"limit": 200}).json()["data"]
    assert len(page) == size
    assert {(r["created_by"], r["updated_by"]) for r in page} == {(actor(notes), actor(notes))}


def test_records_filter_by_their_creator_as_text(notes: Api) -> None:
    notes.post("/data/note", json={"body": "mine"})
    mine = notes.get(
        "/data/note", params={"filter": json.dumps({"created_by": actor(notes)})}
    ).json()
    assert [r["body"] for r in mine["data"]] == ["mine"]
    nobody = notes.get("/data/note", params={"filter": json.dumps({"created_by": "key:x"})})
    assert nobody.json()["data"] == []


def test_a_formula_reads_updated_by_as_text_of_the_stored_record(notes: Api) -> None:
    record = notes.post("/data/note", json={"body": "a"}).json()
    changed = notes.patch(f"/data/note/{record['id']}", json={"body": "b"}).json()
    assert changed["author"] == f"by {actor(notes)}"


def test_the_record_schema_describes_created_by_as_text(notes: Api) -> None:
    _, obj = compiled_object(notes.tenant.context(), "note")
    schema = record_schema(obj, AllFields())
    assert schema["properties"]["created_by"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "readOnly": True,
    }
    assert schema["properties"]["owner_id"] == {
        "anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]
    }
    sent = notes.post("/data/note", json={"created_by": "key:forged"})
    assert sent.status_code == 422
    assert sent.json()["errors"][0]["code"] == "read-only"


@pytest.mark.postgresql_only
def test_upgrading_turns_existing_uuid_actor_columns_into_text(
    engine_context: EngineContext, tenant: TenantHandle
) -> None:
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(NOTE))
    schema = tenant.context().tenant.schema_name
    with engine_context.db.begin() as connection:
        # A table as Tessera created it before actors were written.
        for column in ("created_by", "updated_by"):
            connection.execute(
                sa.text(f'ALTER TABLE "{schema}".note ALTER COLUMN {column} TYPE UUID USING NULL')
            )
        connection.execute(sa.text("UPDATE tessera_alembic_version SET version_num = '0003'"))
    upgrade_system_tables(engine_context.db, revision="0004")
    # The tables are at the head revision already: only the revision under test ran.
    stamp_system_tables(engine_context.db)
    with engine_context.db.connect() as connection:
        types = dict(
            connection.execute(
                sa.text(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = :schema AND table_name = 'note' "
                    "AND column_name IN ('created_by', 'updated_by')"
                ),
                {"schema": schema},
            ).all()
        )
    assert types == {"created_by": "character varying", "updated_by": "character varying"}
    assert records.create_record(tenant.context(), "note", {"body": "x"})["created_by"] == (
        str(tenant.user_id)
    )
