"""Revision 0009: tenants made before field history get their `_field_history` table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa

import migrations
from engine.context import EngineContext
from engine.database import tenant_connection
from engine.history import HISTORY_TABLE
from migrations import downgrade_system_tables, upgrade_system_tables
from tests.conftest import Api

CONTACT = {
    "api_name": "contact",
    "fields": [{"api_name": "name", "type": "text", "track_history": True}],
}


def previous_revision() -> str:
    """The revision 0009 follows (the chain moves as other revisions are merged)."""
    path = Path(migrations.__file__).parent / "versions" / "0009_field_history.py"
    spec = importlib.util.spec_from_file_location("revision_0009", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    down: str = module.down_revision
    return down


def has_history_table(engine: EngineContext, schema: str) -> bool:
    with tenant_connection(engine.db, schema) as connection, connection.begin():
        return sa.inspect(connection).has_table(HISTORY_TABLE, schema=schema)


def test_an_existing_tenant_gets_the_table_and_keeps_history_from_then_on(
    api: Api, engine_context: EngineContext
) -> None:
    schema = api.tenant.context().tenant.schema_name
    assert api.post("/admin/objects", json=CONTACT).status_code == 201
    record_id = api.create("contact", name="Ann")
    downgrade_system_tables(engine_context.db, revision=previous_revision())
    assert not has_history_table(engine_context, schema)
    upgrade_system_tables(engine_context.db)
    assert has_history_table(engine_context, schema)
    assert api.patch(f"/data/contact/{record_id}", json={"name": "Bo"}).status_code == 200
    entries = api.get(f"/data/contact/{record_id}/history").json()["data"]
    assert [(e["old_value"], e["new_value"]) for e in entries] == [("Ann", "Bo")]
