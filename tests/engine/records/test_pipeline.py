"""The save pipeline runs the same stages for one record and for a batch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from engine import metadata_changes, records
from engine.context import RequestContext
from engine.errors import Conflict, RecordValidationError
from engine.query import ListQuery
from metadata.models import ObjectDef
from tests.conftest import TenantHandle

ACCOUNT = {"api_name": "account", "fields": [{"api_name": "name", "type": "text"}]}
CONTACT = {
    "api_name": "contact",
    "fields": [
        {"api_name": "email", "type": "text", "unique": True},
        {"api_name": "account", "type": "lookup", "target": "account"},
    ],
}
MISSING = "01a204da-d816-718a-8f6c-3b07d09bb4a2"
NOON = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def crm(tenant: TenantHandle) -> TenantHandle:
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(ACCOUNT))
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(CONTACT))
    return tenant


def at_noon(tenant: TenantHandle) -> RequestContext:
    context = tenant.context()
    return replace(context, engine=replace(context.engine, clock=lambda: NOON))


def test_one_record_and_a_batch_report_an_unknown_lookup_alike(crm: TenantHandle) -> None:
    with pytest.raises(RecordValidationError) as single:
        records.create_record(crm.context(), "contact", {"account": MISSING})
    with pytest.raises(RecordValidationError) as batch:
        records.bulk_write(crm.context(), "contact", [{"email": "a"}, {"account": MISSING}])
    [one] = single.value.problems
    [other] = batch.value.problems
    assert (one.pointer, one.code) == ("/account", "unknown-record")
    assert (other.pointer, other.code) == ("/1/account", "unknown-record")
    assert one.detail == other.detail


def test_a_batch_clashing_with_a_stored_record_names_it_and_writes_nothing(
    crm: TenantHandle,
) -> None:
    stored = records.create_record(crm.context(), "contact", {"email": "taken"})
    with pytest.raises(Conflict) as caught:
        records.bulk_write(crm.context(), "contact", [{"email": "new"}, {"email": "taken"}])
    [problem] = caught.value.problems
    assert (problem.pointer, problem.code) == ("/1/email", "not-unique")
    assert stored["id"] in problem.detail
    with pytest.raises(Conflict) as single:
        records.create_record(crm.context(), "contact", {"email": "taken"})
    assert single.value.extra["conflicting_record_id"] == stored["id"]
    page = records.query_records(crm.context(), "contact", ListQuery(limit=10))
    assert [r["email"] for r in page["data"]] == ["taken"]


def test_single_and_bulk_writes_take_their_timestamps_from_the_engine_clock(
    crm: TenantHandle,
) -> None:
    context = at_noon(crm)
    one = records.create_record(context, "account", {"name": "one"})
    records.bulk_write(context, "account", [{"name": f"b{i}"} for i in range(100)])
    changed = records.update_record(context, "account", one["id"], {"name": "uno"})
    page = records.query_records(crm.context(), "account", ListQuery(limit=200))
    moments = {r["created_at"] for r in page["data"]} | {r["updated_at"] for r in page["data"]}
    assert moments == {NOON.isoformat()}
    assert changed["updated_at"] == NOON.isoformat()
