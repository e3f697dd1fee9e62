"""A change that fails half-way leaves metadata, revision and schema exactly as before."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from engine import metadata_changes
from engine.context import EngineContext
from engine.database import tenant_connection
from engine.errors import SchemaChangeFailed
from metadata.models import FieldDef, ObjectDef
from tests.conftest import TenantHandle


def _columns(engine_context: EngineContext, tenant: TenantHandle, table: str) -> list[str]:
    schema = tenant.context().tenant.schema_name
    with tenant_connection(engine_context.db, schema) as connection:
        return [c["name"] for c in sa.inspect(connection).get_columns(table, schema=schema)]


def _snapshot(engine_context: EngineContext, tenant: TenantHandle) -> dict[str, Any]:
    return {
        "metadata": metadata_changes.export_metadata(tenant.context()),
        "revision": tenant.context().tenant.revision,
        "columns": _columns(engine_context, tenant, "account"),
    }


def test_a_statement_failing_after_others_ran_rolls_back_everything(
    engine_context: EngineContext, tenant: TenantHandle
) -> None:
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef(api_name="account", fields=[FieldDef(api_name="name", type="text")]),
    )
    before = _snapshot(engine_context, tenant)
    schema = tenant.context().tenant.schema_name
    schema_statements: list[str] = []

    def fail_second_schema_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # Only statements on the tenant's tables count: the metadata rows are written too.
        is_write = (
            statement.lstrip().upper().startswith(("ALTER", "CREATE", "INSERT", "DROP", "UPDATE"))
        )
        if is_write and schema in statement:
            schema_statements.append(statement)
            if len(schema_statements) == 2:
                raise RuntimeError("injected failure")

    sa.event.listen(engine_context.db, "before_cursor_execute", fail_second_schema_statement)
    try:
        with pytest.raises(RuntimeError, match="injected failure"):
            # Rename + required with a default: several statements in one change.
            metadata_changes.update_field(
                tenant.context(),
                "account",
                "name",
                {"api_name": "title", "required": True, "default": "n/a", "max_length": 80},
            )
    finally:
        sa.event.remove(engine_context.db, "before_cursor_execute", fail_second_schema_statement)
    assert len(schema_statements) == 2
    assert _snapshot(engine_context, tenant) == before


def test_a_database_refusal_leaves_nothing_behind(
    engine_context: EngineContext, tenant: TenantHandle
) -> None:
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef(api_name="account", fields=[FieldDef(api_name="name", type="text")]),
    )
    schema = tenant.context().tenant.schema_name
    # A table the planner does not know about blocks the CREATE TABLE of a new object.
    with tenant_connection(engine_context.db, schema) as connection, connection.begin():
        connection.execute(sa.text(f'CREATE TABLE "{schema}".deal (id INTEGER PRIMARY KEY)'))
    before = _snapshot(engine_context, tenant)
    with pytest.raises(SchemaChangeFailed) as failure:
        metadata_changes.create_object(
            tenant.context(),
            ObjectDef(api_name="deal", fields=[FieldDef(api_name="amount", type="integer")]),
        )
    assert "create table deal failed" in failure.value.detail
    assert _snapshot(engine_context, tenant) == before
    assert _columns(engine_context, tenant, "deal") == ["id"]
