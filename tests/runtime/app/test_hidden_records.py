"""Errors never name, count or list what the caller may not read (docs/sharing.md)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TenantHandle
from tests.sharing_world import World, build_world


@pytest.fixture
def world(app_client: TestClient, tenant: TenantHandle) -> World:
    return build_world(app_client, tenant)


def test_a_unique_clash_with_a_hidden_record_says_only_that_the_value_is_taken(
    world: World,
) -> None:
    b = world["b"]
    assert b.get(f"/data/lead/{world.leads['a-lead']}").status_code == 404
    hidden = b.post("/data/lead", json={"name": "x", "code": "a-lead"})
    assert hidden.status_code == 409, hidden.text
    body = hidden.json()
    assert "conflicting_record_id" not in body
    assert world.leads["a-lead"] not in hidden.text
    assert body["errors"][0]["message"] == "the value is already taken"
    seen = b.post("/data/lead", json={"name": "x", "code": "b-lead"})
    assert seen.status_code == 409
    assert seen.json()["conflicting_record_id"] == world.leads["b-lead"]


@pytest.mark.parametrize("params", [{"mode": "partial"}, {"upsert_on": "code"}, {}])
def test_bulk_clashes_with_hidden_records_name_no_record(
    world: World, params: dict[str, str]
) -> None:
    rows = [{"name": "x", "code": "a1-lead"}, {"name": "y", "code": "b-lead"}]
    response = world["b"].post("/data/lead/bulk", json=rows, params=params)
    assert world.leads["a1-lead"] not in response.text
    messages = [
        error["message"]
        for item in response.json().get("results", [response.json()])
        for error in item.get("errors", [])
    ]
    assert "the value is already taken" in messages, response.text


def test_a_refused_delete_counts_only_the_referencing_records_the_caller_sees(
    world: World,
) -> None:
    field = {"api_name": "referral", "type": "lookup", "target": "lead", "on_delete": "restrict"}
    assert world.admin.post("/admin/objects/lead/fields", json=field).status_code == 201
    target = world.leads["b-lead"]
    hidden = world.admin.patch(f"/data/lead/{world.leads['a-lead']}", json={"referral": target})
    assert hidden.status_code == 200, hidden.text
    b = world["b"]
    only_hidden = b.delete(f"/data/lead/{target}")
    assert only_hidden.status_code == 409
    assert "referenced_by" not in only_hidden.json()
    assert "lead.referral" not in only_hidden.json()["detail"]
    b.create("lead", name="b-own", code="b-own", referral=target)
    counted = b.delete(f"/data/lead/{target}")
    assert counted.status_code == 409
    assert counted.json()["referenced_by"] == [{"field": "lead.referral", "records": 1}]
    assert world.admin.delete(f"/data/lead/{target}").json()["referenced_by"] == [
        {"field": "lead.referral", "records": 2}
    ]
