"""Revision 0011: the rows sharing rules used to store and `_access_members` go; manual
shares stay."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from engine.context import EngineContext
from engine.database import tenant_connection
from engine.tenancy import get_tenant
from migrations import downgrade_system_tables, stamp_system_tables, upgrade_system_tables
from tests.conftest import Api


def _tables(engine_context: EngineContext, schema: str) -> set[str]:
    with tenant_connection(engine_context.db, schema) as connection, connection.begin():
        return set(sa.inspect(connection).get_table_names(schema=schema))


def test_rule_rows_and_members_are_dropped_and_manual_shares_kept(
    api: Api, engine_context: EngineContext
) -> None:
    assert api.post("/admin/objects", json={"api_name": "note"}).status_code == 201
    note = api.create("note")
    schema = get_tenant(engine_context, api.tenant.name).schema_name
    assert "_access_members" not in _tables(engine_context, schema)
    downgrade_system_tables(engine_context.db, revision="0010")
    assert "_access_members" in _tables(engine_context, schema)
    members = sa.table("_access_members", sa.column("group_key", sa.String), schema=schema)
    with tenant_connection(engine_context.db, schema) as connection, connection.begin():
        keys = set(connection.execute(sa.select(members.c.group_key)).scalars())
    # Each active user's own row, as revision 0010 fills it: the older engine's manual
    # shares to users are seen at once.
    assert keys == {f"user:{api.tenant.user_id}"}
    shares = sa.table(
        "_access_shares",
        sa.column("object_id", sa.Uuid),
        sa.column("record_id", sa.Uuid),
        *(sa.column(name, sa.String) for name in ("grantee", "access", "cause")),
        schema=schema,
    )
    row = {"object_id": uuid.uuid4(), "record_id": uuid.UUID(note), "access": "read"}
    with (
        tenant_connection(engine_context.db, schema, is_write=True) as connection,
        connection.begin(),
    ):
        connection.execute(
            sa.insert(shares),
            [
                row | {"grantee": "role:r", "cause": f"rule:{uuid.uuid4()}"},
                row | {"grantee": "user:u", "cause": "manual"},
            ],
        )
    upgrade_system_tables(engine_context.db)
    # Run again over a tenant it already changed (as after a failure in a later tenant).
    stamp_system_tables(engine_context.db, revision="0010")
    upgrade_system_tables(engine_context.db)
    with tenant_connection(engine_context.db, schema) as connection, connection.begin():
        left = connection.execute(sa.select(shares.c.grantee, shares.c.cause)).all()
    assert [tuple(r) for r in left] == [("user:u", "manual")]
    assert "_access_members" not in _tables(engine_context, schema)
