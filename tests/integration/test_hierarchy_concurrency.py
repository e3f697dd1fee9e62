"""Hierarchy roll-ups under concurrent writes on PostgreSQL: every level ends up exact.

Workers add leaves deep in their own branch and change a record high in the next
branch at the same time, so their climbs cross and all meet at the root.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine import metadata_changes, records
from engine.context import EngineContext
from engine.database import create_database_engine
from engine.query import ListQuery
from metadata.models import FieldDef, ObjectDef
from tests.conftest import TenantHandle, drop_tenant_schema, make_tenant
from tests.integration.test_rollup_concurrency import run_together

WORKERS = 6
DEPTH = 6


@pytest.fixture
def tree(postgres_database: str) -> Iterator[TenantHandle]:
    """A tenant on PostgreSQL whose accounts total their subtrees."""
    engine = EngineContext(db=create_database_engine(postgres_database))
    tenant = make_tenant(engine)
    try:
        account = {
            "api_name": "account",
            "fields": [
                {"api_name": "amount", "type": "integer"},
                {"api_name": "parent", "type": "lookup", "target": "account"},
                {
                    "api_name": "tree_total",
                    "type": "formula",
                    "return_type": "integer",
                    "expression": "amount",
                },
            ],
        }
        metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(account))
        metadata_changes.add_field(
            tenant.context(),
            "account",
            FieldDef.model_validate(
                {
                    "api_name": "children_total",
                    "type": "rollup_summary",
                    "return_type": "integer",
                    "rollup": {"child": "account", "field": "tree_total", "function": "sum"},
                }
            ),
        )
        metadata_changes.update_field(
            tenant.context(),
            "account",
            "tree_total",
            {"expression": "(amount or 0) + children_total"},
        )
        yield tenant
    finally:
        drop_tenant_schema(engine, tenant.name)
        engine.db.dispose()


def stored(tenant: TenantHandle) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        page = records.query_records(
            tenant.context(), "account", ListQuery(limit=200, cursor=cursor)
        )
        found.update({record["id"]: record for record in page["data"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def subtree_totals(accounts: dict[str, dict[str, Any]]) -> dict[str, int]:
    children: dict[str | None, list[str]] = {}
    for record_id, record in accounts.items():
        children.setdefault(record["parent"], []).append(record_id)

    def total(record_id: str) -> int:
        own = accounts[record_id]["amount"] or 0
        return int(own + sum(total(child) for child in children.get(record_id, [])))

    return {record_id: total(record_id) for record_id in accounts}


@pytest.mark.postgresql_only
def test_crossing_climbs_leave_every_level_exact(tree: TenantHandle) -> None:
    context = tree.context()
    root = records.create_record(context, "account", {"amount": 1})["id"]
    branches: list[list[str]] = []
    for _ in range(WORKERS):
        branch = [root]
        for _ in range(DEPTH):
            branch.append(
                records.create_record(context, "account", {"amount": 1, "parent": branch[-1]})["id"]
            )
        branches.append(branch[1:])

    def work(index: int) -> None:
        own = tree.context()
        neighbour = branches[(index + 1) % WORKERS]
        for n in range(4):
            records.create_record(own, "account", {"amount": 10 + n, "parent": branches[index][-1]})
            records.update_record(own, "account", neighbour[0], {"amount": 100 * index + n})

    outcomes = run_together(WORKERS, work)
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert errors == [], errors
    accounts = stored(tree)
    assert {i: r["tree_total"] for i, r in accounts.items()} == subtree_totals(accounts)
