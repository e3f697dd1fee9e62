"""Revision 0007: a tenant made before users gets its admin user, who owns its keys and records."""

from __future__ import annotations

import sqlalchemy as sa

from engine.context import EngineContext
from engine.database import tenant_connection
from engine.tenancy import authenticate
from metadata.store.tables import objects, tenants
from migrations import downgrade_system_tables, upgrade_system_tables
from tests.conftest import Api


def test_existing_keys_and_records_belong_to_the_tenants_new_admin_user(
    api: Api, engine_context: EngineContext
) -> None:
    assert api.post("/admin/objects", json={"api_name": "note"}).status_code == 201
    created = api.post("/data/note", json={}).json()
    with engine_context.db.connect() as connection:
        schema, table = connection.execute(
            sa.select(tenants.c.schema_name, objects.c.table_name)
            .join(objects, objects.c.tenant_id == tenants.c.id)
            .where(tenants.c.name == api.tenant.name)
        ).one()
    # The tables as the revision before stored them: actors are keys, no owner.
    downgrade_system_tables(engine_context.db, revision="0006")
    quote = engine_context.db.dialect.identifier_preparer.quote
    with (
        tenant_connection(engine_context.db, schema, is_write=True) as connection,
        connection.begin(),
    ):
        connection.execute(
            sa.text(
                f"UPDATE {quote(schema)}.{quote(table)} "
                "SET created_by = 'key:abc', updated_by = 'cli', owner_id = NULL"
            )
        )
    upgrade_system_tables(engine_context.db)
    credential = authenticate(engine_context, api.tenant.api_key)
    assert credential.caller.email == "admin@example.com"
    assert credential.caller.permission_sets == ("administrator",)
    admin = str(credential.caller.user_id)
    record = api.get(f"/data/note/{created['id']}").json()
    assert (record["created_by"], record["updated_by"], record["owner_id"]) == (
        admin,
        admin,
        admin,
    )
    metadata = api.get("/admin/metadata").json()
    assert [s["api_name"] for s in metadata["permission_sets"]] == ["administrator"]
