"""Concurrent writers: optimistic locking and auto-numbers under real parallel transactions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from engine import metadata_changes, records
from engine.errors import Conflict, PreconditionFailed
from engine.query import ListQuery
from metadata.models import FieldDef, ObjectDef
from tests.conftest import TenantHandle


def _ticket_object(tenant: TenantHandle) -> None:
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef(
            api_name="ticket",
            fields=[
                FieldDef(api_name="subject", type="text"),
                FieldDef(api_name="number", type="auto_number", format="T-{00000}"),
            ],
        ),
    )


def _run_together(workers: int, job: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(workers)

    def start(index: int) -> Any:
        barrier.wait()
        try:
            return job(index)
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(start, range(workers)))


def test_two_writers_on_one_record_exactly_one_wins_the_other_gets_412(
    tenant: TenantHandle,
) -> None:
    _ticket_object(tenant)
    context = tenant.context()
    record = records.create_record(context, "ticket", {"subject": "first"})
    outcomes = _run_together(
        2,
        lambda index: records.update_record(
            context, "ticket", record["id"], {"subject": f"writer {index}"}, expected_version=1
        ),
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, PreconditionFailed)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    stored = records.get_record(context, "ticket", record["id"])
    assert stored["version"] == 2
    assert stored["subject"] == winners[0]["subject"]


def test_eight_parallel_creators_get_distinct_gapless_auto_numbers(tenant: TenantHandle) -> None:
    _ticket_object(tenant)
    context = tenant.context()

    def create_ten(index: int) -> list[str]:
        return [
            records.create_record(context, "ticket", {"subject": f"{index}-{n}"})["number"]
            for n in range(10)
        ]

    results = _run_together(8, create_ten)
    assert all(isinstance(result, list) for result in results), results
    numbers = sorted(number for result in results for number in result)
    assert numbers == [f"T-{n:05d}" for n in range(1, 81)]


def test_a_failed_insert_gives_its_auto_number_back(tenant: TenantHandle) -> None:
    _ticket_object(tenant)
    metadata_changes.add_field(
        tenant.context(), "ticket", FieldDef(api_name="code", type="text", unique=True)
    )
    context = tenant.context()
    records.create_record(context, "ticket", {"code": "A"})
    with pytest.raises(Conflict):
        records.create_record(context, "ticket", {"code": "A"})
    third = records.create_record(context, "ticket", {"code": "B"})
    assert third["number"] == "T-00002"


def test_pages_stay_stable_while_other_transactions_insert(tenant: TenantHandle) -> None:
    _ticket_object(tenant)
    context = tenant.context()
    for index in range(30):
        records.create_record(context, "ticket", {"subject": f"seed {index:02d}"})
    stop = threading.Event()

    def insert_continuously() -> None:
        while not stop.is_set():
            records.create_record(context, "ticket", {"subject": "late"})

    writer = threading.Thread(target=insert_continuously)
    writer.start()
    try:
        seen: list[str] = []
        cursor = None
        while True:
            page = records.query_records(context, "ticket", ListQuery(limit=4, cursor=cursor))
            seen += [record["id"] for record in page["data"]]
            cursor = page["next_cursor"]
            if cursor is None or len(seen) >= 60:
                break
    finally:
        stop.set()
        writer.join()
    assert len(seen) == len(set(seen))
    seeds = records.query_records(context, "ticket", ListQuery(limit=30))["data"]
    # Ids are time-ordered: the seeds come first, without a gap.
    assert seen[:30] == [record["id"] for record in seeds]
