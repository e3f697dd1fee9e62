"""Roll-ups under concurrent child writes on PostgreSQL: the stored totals end up exact."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from engine import metadata_changes, records
from engine.context import EngineContext
from engine.database import create_database_engine
from engine.query import AggregateQuery
from metadata.models import FieldDef, ObjectDef
from tests.conftest import TenantHandle, drop_tenant_schema, make_tenant

WORKERS = 8


@pytest.fixture
def shop(postgres_database: str) -> Iterator[TenantHandle]:
    """A tenant on PostgreSQL with accounts whose deals feed a count and a sum."""
    engine = EngineContext(db=create_database_engine(postgres_database))
    tenant = make_tenant(engine)
    try:
        metadata_changes.create_object(
            tenant.context(),
            ObjectDef.model_validate(
                {"api_name": "account", "fields": [{"api_name": "name", "type": "text"}]}
            ),
        )
        metadata_changes.create_object(
            tenant.context(),
            ObjectDef.model_validate(
                {
                    "api_name": "deal",
                    "fields": [
                        {"api_name": "amount", "type": "currency"},
                        {"api_name": "account", "type": "lookup", "target": "account"},
                    ],
                }
            ),
        )
        for field in (
            {"api_name": "deal_count", "rollup": {"child": "deal", "function": "count"}},
            {
                "api_name": "deal_total",
                "rollup": {"child": "deal", "field": "amount", "function": "sum"},
            },
        ):
            metadata_changes.add_field(
                tenant.context(),
                "account",
                FieldDef.model_validate({"type": "rollup_summary", **field}),
            )
        yield tenant
    finally:
        drop_tenant_schema(engine, tenant.name)
        engine.db.dispose()


def run_together(workers: int, job: Callable[[int], Any]) -> list[Any]:
    """Run `job(index)` in `workers` threads released at the same moment; return results."""
    barrier = threading.Barrier(workers)

    def start(index: int) -> Any:
        barrier.wait()
        try:
            return job(index)
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(start, range(workers)))


def stored_children(tenant: TenantHandle, account_id: str) -> tuple[int, Decimal]:
    """Count and total of the deals that really point at an account."""
    result = records.aggregate(
        tenant.context(),
        "deal",
        AggregateQuery(
            group_by=[], metrics=["count", "sum:amount"], filter={"account": {"eq": account_id}}
        ),
    )
    [row] = result["data"]
    return int(row["count"]), Decimal(row["sum:amount"] or 0)


def summary(tenant: TenantHandle, account_id: str) -> tuple[int | None, Decimal | None]:
    record = records.get_record(tenant.context(), "account", account_id)
    total = record["deal_total"]
    return record["deal_count"], None if total is None else Decimal(total)


@pytest.mark.postgresql_only
def test_concurrent_children_of_one_parent_are_all_counted_and_summed(
    shop: TenantHandle,
) -> None:
    account = records.create_record(shop.context(), "account", {"name": "Acme"})
    per_worker = 10

    def add_children(index: int) -> int:
        context = shop.context()
        for n in range(per_worker):
            records.create_record(
                context, "deal", {"account": account["id"], "amount": f"{index}.{n:02d}"}
            )
        return per_worker

    outcomes = run_together(WORKERS, add_children)
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert errors == [], errors

    expected_total = sum(
        (Decimal(f"{index}.{n:02d}") for index in range(WORKERS) for n in range(per_worker)),
        Decimal(0),
    )
    assert stored_children(shop, account["id"]) == (WORKERS * per_worker, expected_total)
    assert summary(shop, account["id"]) == (WORKERS * per_worker, expected_total)


@pytest.mark.postgresql_only
def test_concurrent_re_parenting_between_two_parents_keeps_both_exact(
    shop: TenantHandle,
) -> None:
    context = shop.context()
    left = records.create_record(context, "account", {"name": "Left"})["id"]
    right = records.create_record(context, "account", {"name": "Right"})["id"]
    deals: dict[str, list[str]] = {left: [], right: []}
    for parent in (left, right):
        for n in range(WORKERS * 3):
            created = records.create_record(
                context, "deal", {"account": parent, "amount": f"{n + 1}.25"}
            )
            deals[parent].append(created["id"])

    def swap(index: int) -> int:
        """Even workers move deals left to right, odd ones right to left, three each."""
        own_context = shop.context()
        source, target = (left, right) if index % 2 == 0 else (right, left)
        mine = deals[source][index * 3 : index * 3 + 3]
        for deal_id in mine:
            records.update_record(own_context, "deal", deal_id, {"account": target})
        return len(mine)

    outcomes = run_together(WORKERS, swap)
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert errors == [], errors
    assert sum(outcomes) == WORKERS * 3

    for parent in (left, right):
        assert summary(shop, parent) == stored_children(shop, parent)
    total_count = sum(stored_children(shop, parent)[0] for parent in (left, right))
    assert total_count == WORKERS * 3 * 2


@pytest.mark.postgresql_only
def test_concurrent_creates_updates_and_deletes_leave_the_parent_exact(
    shop: TenantHandle,
) -> None:
    context = shop.context()
    account = records.create_record(context, "account", {"name": "Acme"})["id"]
    existing = [
        records.create_record(context, "deal", {"account": account, "amount": "1"})["id"]
        for _ in range(WORKERS * 2)
    ]

    def churn(index: int) -> None:
        own_context = shop.context()
        first, second = existing[index * 2], existing[index * 2 + 1]
        records.create_record(own_context, "deal", {"account": account, "amount": "10"})
        records.update_record(own_context, "deal", first, {"amount": "3.50"})
        records.delete_record(own_context, "deal", second)
        records.create_record(own_context, "deal", {"account": account, "amount": "0.25"})

    outcomes = run_together(WORKERS, churn)
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert errors == [], errors
    # Per worker: one deal of 3.50 kept, one deleted, 10 and 0.25 added.
    expected = (WORKERS * 3, Decimal("13.75") * WORKERS)
    assert stored_children(shop, account) == expected
    assert summary(shop, account) == expected
