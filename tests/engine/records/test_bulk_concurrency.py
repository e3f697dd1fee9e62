"""Concurrent bulk upserts of the same keys: each key ends up as one record, never a clash."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from engine import metadata_changes, records
from engine.query import ListQuery
from engine.records import bulk
from metadata.models import ObjectDef
from tests.conftest import TenantHandle

KEYS = [f"SKU-{index:03d}" for index in range(40)]


def _product_object(tenant: TenantHandle) -> None:
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef.model_validate(
            {
                "api_name": "product",
                "fields": [
                    {"api_name": "sku", "type": "text", "unique": True, "required": True},
                    {"api_name": "writer", "type": "integer"},
                ],
            }
        ),
    )


def _upsert_by(
    tenant: TenantHandle, writer: int, keys: list[str], *, is_partial: bool = False
) -> dict[str, Any]:
    result = records.bulk_write(
        tenant.context(),
        "product",
        [{"sku": key, "writer": writer} for key in keys],
        upsert_on="sku",
        is_partial=is_partial,
    )
    return result.as_dict()


def _run_both(job: Callable[[int], dict[str, Any]]) -> list[dict[str, Any] | BaseException]:
    """Run `job(0)` and `job(1)` on two threads (two connections), errors returned."""

    def attempt(writer: int) -> dict[str, Any] | BaseException:
        try:
            return job(writer)
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(attempt, range(2)))


def _stored(tenant: TenantHandle) -> list[dict[str, Any]]:
    page = records.query_records(tenant.context(), "product", ListQuery(limit=200))
    return list(page["data"])


def _assert_one_record_per_key_written_twice(
    tenant: TenantHandle, outcomes: list[dict[str, Any] | BaseException]
) -> None:
    assert all(isinstance(outcome, dict) for outcome in outcomes), outcomes
    counts = sorted((o["created"], o["updated"], o["errors"]) for o in outcomes)  # type: ignore[index]
    # One writer created every record, the other found them and updated them.
    assert counts == [(0, len(KEYS), 0), (len(KEYS), 0, 0)]
    stored = _stored(tenant)
    assert sorted(record["sku"] for record in stored) == KEYS
    assert {record["version"] for record in stored} == {2}
    # Every record holds the values of the writer that updated it, the later one.
    updater = next(i for i, o in enumerate(outcomes) if o["updated"])  # type: ignore[index]
    assert {record["writer"] for record in stored} == {updater}


def _look_ups_meet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make each writer's first key lookup wait for the other's: neither finds a record.

    Both then insert the same keys; the later insert waits for the earlier transaction
    on the unique index, which commits. Lookups after the first do not wait.
    """
    both_looked_up = threading.Barrier(2, timeout=20)
    waited = threading.local()
    look_up = bulk._existing_keys

    def look_up_then_wait(*args: Any, **kwargs: Any) -> dict[Any, Any]:
        found = look_up(*args, **kwargs)
        if not getattr(waited, "done", False):
            waited.done = True
            both_looked_up.wait()
        return found

    monkeypatch.setattr(bulk, "_existing_keys", look_up_then_wait)


@pytest.mark.postgresql_only
@pytest.mark.parametrize("is_partial", [False, True], ids=["all", "partial"])
def test_two_upserts_that_both_find_no_record_for_their_keys_create_each_once(
    tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch, is_partial: bool
) -> None:
    _product_object(tenant)
    _look_ups_meet(monkeypatch)
    outcomes = _run_both(lambda writer: _upsert_by(tenant, writer, KEYS, is_partial=is_partial))
    _assert_one_record_per_key_written_twice(tenant, outcomes)


@pytest.mark.postgresql_only
def test_two_upserts_of_the_same_new_keys_in_opposite_orders_do_not_deadlock(
    tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _product_object(tenant)
    _look_ups_meet(monkeypatch)
    orders = [KEYS, list(reversed(KEYS))]
    outcomes = _run_both(lambda writer: _upsert_by(tenant, writer, orders[writer]))
    _assert_one_record_per_key_written_twice(tenant, outcomes)


def test_two_simultaneous_upserts_of_the_same_keys_create_each_once(
    tenant: TenantHandle,
) -> None:
    # SQLite queues writers at BEGIN: the second upsert looks its keys up after the first
    # committed. PostgreSQL interleaves them as it happens (forced in the tests above).
    _product_object(tenant)
    start = threading.Barrier(2, timeout=20)

    def upsert(writer: int) -> dict[str, Any]:
        start.wait()
        return _upsert_by(tenant, writer, KEYS)

    outcomes = _run_both(upsert)
    _assert_one_record_per_key_written_twice(tenant, outcomes)
