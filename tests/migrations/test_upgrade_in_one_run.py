"""Revisions walking tenant tables, run in one upgrade: none waits for another's locks."""

from __future__ import annotations

from engine.context import EngineContext
from migrations import downgrade_system_tables, upgrade_system_tables
from tests.conftest import Api
from tests.migrations.test_0006_json_nulls import names, store_json_nulls


def test_a_tenant_from_before_actor_columns_upgrades_to_the_head_in_one_run(
    api: Api, engine_context: EngineContext
) -> None:
    store_json_nulls(api, engine_context)
    # 0004 alters the tenant's tables; 0006, 0007, 0009 and 0010 change them each in a
    # transaction of their own, which would wait for ever on a lock 0004 kept in the
    # upgrade's transaction.
    downgrade_system_tables(engine_context.db, revision="0003")
    upgrade_system_tables(engine_context.db)
    assert names(api, "thing", {"meta": {"is_null": True}}) == ["a"]
    assert api.post("/data/thing", json={"name": "c", "must": {}}).status_code == 201
    assert names(api, "thing", {}) == ["a", "b", "c"]
