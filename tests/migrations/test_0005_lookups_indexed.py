"""Revision 0005: lookups stored before it say `"indexed": true` after it."""

from __future__ import annotations

import sqlalchemy as sa

from engine.context import EngineContext
from metadata.store.tables import fields
from migrations import stamp_system_tables, upgrade_system_tables
from tests.conftest import Api


def test_lookups_stored_without_indexed_are_marked_indexed(
    api: Api, engine_context: EngineContext
) -> None:
    assert api.post("/admin/objects", json={"api_name": "account"}).status_code == 201
    body = {
        "api_name": "contact",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "account", "type": "lookup", "target": "account"},
            {"api_name": "parent", "type": "master_detail", "target": "account"},
        ],
    }
    assert api.post("/admin/objects", json=body).status_code == 201
    # As an earlier version stored them: every option spelled out, `indexed` false.
    with engine_context.db.begin() as connection:
        for row in connection.execute(sa.select(fields.c.id, fields.c.definition)).all():
            if row.definition["type"] in ("lookup", "master_detail"):
                connection.execute(
                    sa.update(fields)
                    .where(fields.c.id == row.id)
                    .values(definition={**row.definition, "indexed": False})
                )
        connection.execute(sa.text("UPDATE tessera_alembic_version SET version_num = '0004'"))
    upgrade_system_tables(engine_context.db, revision="0005")
    # The tables are at the head revision already: only the revision under test ran.
    stamp_system_tables(engine_context.db)
    # A new revision, so the catalog is compiled again from the stored rows.
    assert api.post("/admin/objects", json={"api_name": "other"}).status_code == 201
    stored = api.get("/admin/objects/contact").json()["fields"]
    assert {f["api_name"]: f["indexed"] for f in stored} == {
        "name": False,
        "account": True,
        "parent": True,
    }
