"""Hierarchy roll-ups under concurrent writes on PostgreSQL: every level ends up exact.

Workers add leaves deep in their own branch and change a record high in the next
branch at the same time, so their climbs cross and all meet at the root. With two
lookups to the same object, one worker's climb through `parent` and another's through
`billing_parent` meet the same records from opposite ends: only one lock order for
both chains keeps them from deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


#: The subtree total of each lookup, and the roll-up of the children's totals it adds.
TOTALS = {
    "parent": ("tree_total", "children_total"),
    "billing_parent": ("billed_total", "billed_children_total"),
}


@contextmanager
def totalled_accounts(postgres_database: str, links: Sequence[str]) -> Iterator[TenantHandle]:
    """A tenant on PostgreSQL whose accounts total their subtrees through each of `links`."""
    engine = EngineContext(db=create_database_engine(postgres_database))
    tenant = make_tenant(engine)
    try:
        fields: list[dict[str, Any]] = [{"api_name": "amount", "type": "integer"}]
        for link in links:
            fields.append({"api_name": link, "type": "lookup", "target": "account"})
            fields.append(
                {
                    "api_name": TOTALS[link][0],
                    "type": "formula",
                    "return_type": "integer",
                    "expression": "amount",
                }
            )
        account = ObjectDef.model_validate({"api_name": "account", "fields": fields})
        metadata_changes.create_object(tenant.context(), account)
        for link in links:
            total, children = TOTALS[link]
            rollup = {"child": "account", "field": total, "function": "sum", "link": link}
            definition = {"api_name": children, "type": "rollup_summary", "rollup": rollup}
            metadata_changes.add_field(
                tenant.context(),
                "account",
                FieldDef.model_validate({**definition, "return_type": "integer"}),
            )
        for link in links:
            total, children = TOTALS[link]
            metadata_changes.update_field(
                tenant.context(), "account", total, {"expression": f"(amount or 0) + {children}"}
            )
        yield tenant
    finally:
        drop_tenant_schema(engine, tenant.name)
        engine.db.dispose()


@pytest.fixture
def tree(postgres_database: str) -> Iterator[TenantHandle]:
    """A tenant on PostgreSQL whose accounts total their subtrees."""
    with totalled_accounts(postgres_database, ["parent"]) as tenant:
        yield tenant


@pytest.fixture
def two_trees(postgres_database: str) -> Iterator[TenantHandle]:
    """A tenant on PostgreSQL whose accounts total their subtrees through two lookups."""
    with totalled_accounts(postgres_database, ["parent", "billing_parent"]) as tenant:
        yield tenant


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


def subtree_totals(accounts: dict[str, dict[str, Any]], link: str = "parent") -> dict[str, int]:
    """Each account's amount plus those of every account below it through `link`."""
    children: dict[str | None, list[str]] = {}
    for record_id, record in accounts.items():
        children.setdefault(record[link], []).append(record_id)

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


@pytest.mark.postgresql_only
def test_climbs_through_two_lookups_cross_without_deadlock(two_trees: TenantHandle) -> None:
    context = two_trees.context()

    def make(parent: str | None, billing: str | None = None) -> str:
        values = {"amount": 1, "parent": parent, "billing_parent": billing}
        return str(records.create_record(context, "account", values)["id"])

    root = make(None)
    # Worker i changes a leaf under its own middle record (climbing it, then the root,
    # through `parent`) and a record under the next worker's middle record that is
    # billed to the root: climbing `billing_parent` first would lock the root before
    # that middle record, the other worker's leaf the other way round.
    middles = [make(root) for _ in range(WORKERS)]
    leaves = [make(middle) for middle in middles]
    billed = [make(middles[(i + 1) % WORKERS], root) for i in range(WORKERS)]

    def work(index: int) -> None:
        own = two_trees.context()
        for n in range(6):
            records.update_record(own, "account", leaves[index], {"amount": 10 + n})
            records.update_record(own, "account", billed[index], {"amount": 100 * index + n})

    outcomes = run_together(WORKERS, work)
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert errors == [], errors
    accounts = stored(two_trees)
    for link, (field, _) in TOTALS.items():
        assert {i: r[field] for i, r in accounts.items()} == subtree_totals(accounts, link)
