"""Revision 0010: a tenant made before record sharing gets its sharing tables, filled."""

from __future__ import annotations

import sqlalchemy as sa

from engine.access.kinds import PERMISSION_SETS
from engine.context import EngineContext
from engine.database import tenant_connection
from engine.metadata_changes.components import save_component
from engine.tenancy import get_tenant
from migrations import downgrade_system_tables, upgrade_system_tables
from tests.conftest import Api, add_user


def test_each_active_user_of_an_existing_tenant_sees_what_it_owns_after_the_upgrade(
    api: Api, engine_context: EngineContext
) -> None:
    assert api.post("/admin/objects", json={"api_name": "note"}).status_code == 201
    reader = {"api_name": "reader", "objects": {"*": {"read": True}}}
    save_component(api.tenant.context(), PERMISSION_SETS, reader)
    writer = Api(
        client=api.client,
        tenant=add_user(api.tenant, "writer@example.com", permission_sets=("reader",)),
    )
    owner_id = str(writer.tenant.user_id)
    created = api.post("/data/note", json={"owner_id": owner_id}).json()
    schema = get_tenant(engine_context, api.tenant.name).schema_name
    # The schema as revisions before 0010 left it: no sharing tables.
    downgrade_system_tables(engine_context.db, revision="0009")
    with tenant_connection(engine_context.db, schema) as connection, connection.begin():
        names = sa.inspect(connection).get_table_names(schema=schema)
    assert not [name for name in names if name.startswith("_access_")]
    upgrade_system_tables(engine_context.db)
    with tenant_connection(engine_context.db, schema) as connection, connection.begin():
        owners = connection.execute(
            sa.text(f'SELECT viewer_id, owner_id, access FROM "{schema}"._access_owners')
        ).all()
    assert len(owners) == 2  # the admin and the writer, each seeing its own
    assert {row.access for row in owners} == {"read_write"}
    # The writer's permission set has no view_all: its own record is shown through the
    # rows the revision filled.
    seen = writer.get("/data/note", params={"count": "true"}).json()
    assert (seen["total"], seen["data"][0]["id"]) == (1, created["id"])
    assert api.get("/data/note", params={"count": "true"}).json()["total"] == 1
