"""A json field set to null has no value: filters, counts, checks and defaults agree."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api

THING = {
    "api_name": "thing",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "meta", "type": "json"},
        {
            "api_name": "tags",
            "type": "multi_picklist",
            "values": [{"value": "red"}, {"value": "blue"}],
        },
        {
            "api_name": "meta_blank",
            "type": "formula",
            "return_type": "boolean",
            "expression": "ISBLANK(meta)",
        },
    ],
}


@pytest.fixture
def things(api: Api) -> Api:
    response = api.post("/admin/objects", json=THING)
    assert response.status_code == 201, response.json()
    return api


def names(api: Api, where: dict[str, Any]) -> list[str]:
    response = api.get("/data/thing", params={"filter": json.dumps(where), "sort": "name"})
    assert response.status_code == 200, response.json()
    return [record["name"] for record in response.json()["data"]]


def total(api: Api, where: dict[str, Any]) -> int:
    params = {"filter": json.dumps(where), "count": "true", "limit": 1}
    response = api.get("/data/thing", params=params)
    assert response.status_code == 200, response.json()
    return int(response.json()["total"])


def create(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/data/thing", json=body)
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_json_value_that_is_not_null_keeps_its_nulls_inside(things: Api) -> None:
    create(things, {"name": "a", "meta": [None]})
    create(things, {"name": "b", "meta": {"k": None}})
    create(things, {"name": "c", "meta": "null"})
    assert names(things, {"meta": {"is_null": False}}) == ["a", "b", "c"]
    stored = things.get("/data/thing", params={"sort": "name", "fields": "meta"}).json()["data"]
    assert [record["meta"] for record in stored] == [[None], {"k": None}, "null"]


@pytest.mark.parametrize("count", [3, 70], ids=["insert", "copy"])
def test_bulk_writes_and_upserts_store_a_null_json_value_as_no_value(
    things: Api, count: int
) -> None:
    # 70 records pass PostgreSQL's COPY threshold; 3 go through INSERT.
    records = [{"name": f"n{i:03}", "meta": None, "tags": None} for i in range(count)]
    response = things.post("/data/thing/bulk", json=records)
    assert response.status_code in (200, 201), response.json()
    assert total(things, {"meta": {"is_null": True}}) == count
    assert total(things, {"tags": {"is_null": True}}) == count

    code = {"api_name": "code", "type": "text", "unique": True}
    assert things.post("/admin/objects/thing/fields", json=code).status_code == 201
    create(things, {"name": "u", "code": "u1", "meta": {"k": 1}})
    response = things.post(
        "/data/thing/bulk",
        params={"upsert_on": "code"},
        json=[{"code": "u1", "meta": None}, {"code": "u2", "name": "v", "meta": None}],
    )
    assert response.status_code in (200, 201), response.json()
    assert names(things, {"meta": {"is_null": False}}) == []


def test_counts_and_aggregates_do_not_count_a_null_json_value(things: Api) -> None:
    create(things, {"name": "a", "meta": None})
    create(things, {"name": "b", "meta": {"k": 1}})
    create(things, {"name": "c", "meta": None})
    assert total(things, {"meta": {"is_null": True}}) == 2
    assert total(things, {"meta": {"is_null": False}}) == 1
    response = things.get("/data/thing/aggregate", params={"metrics": "count,count:meta"})
    assert response.status_code == 200, response.json()
    assert response.json()["data"] == [{"count": 3, "count:meta": 1}]


def test_isblank_of_a_null_json_value_is_true(things: Api) -> None:
    blank = create(things, {"name": "a", "meta": None})
    full = create(things, {"name": "b", "meta": {"k": 1}})
    assert (blank["meta_blank"], full["meta_blank"]) == (True, False)
    assert names(things, {"meta_blank": True}) == ["a"]


def test_a_required_json_field_refuses_null(api: Api) -> None:
    body = {
        "api_name": "thing",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "meta", "type": "json", "required": True},
        ],
    }
    assert api.post("/admin/objects", json=body).status_code == 201
    response = api.post("/data/thing", json={"name": "a", "meta": None})
    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [("/meta", "required")]
    record = api.post("/data/thing", json={"name": "a", "meta": {"k": 1}}).json()
    response = api.patch(
        f"/data/thing/{record['id']}", json={"meta": None}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["required"]


def test_making_a_json_field_required_needs_a_value_for_records_saved_with_null(
    things: Api,
) -> None:
    create(things, {"name": "a", "meta": None})
    create(things, {"name": "b", "meta": {"k": 1}})
    response = things.patch("/admin/objects/thing/fields/meta", json={"required": True})
    assert response.status_code == 409, response.json()
    assert "records without a value" in response.json()["detail"]


def test_a_default_fills_json_values_saved_as_null_when_the_field_becomes_required(
    things: Api,
) -> None:
    create(things, {"name": "a", "meta": None})
    create(things, {"name": "b", "meta": {"k": 1}})
    response = things.patch(
        "/admin/objects/thing/fields/meta", json={"required": True, "default": {"k": 0}}
    )
    assert response.status_code == 200, response.json()
    stored = things.get("/data/thing", params={"sort": "name"}).json()["data"]
    assert [(r["name"], r["meta"], r["meta_blank"]) for r in stored] == [
        ("a", {"k": 0}, False),
        ("b", {"k": 1}, False),
    ]


def test_a_filtered_roll_up_counts_children_whose_json_value_is_null(things: Api) -> None:
    assert things.post("/admin/objects", json={"api_name": "box"}).status_code == 201
    lookup = {"api_name": "box", "type": "lookup", "target": "box"}
    assert things.post("/admin/objects/thing/fields", json=lookup).status_code == 201
    rollup = {
        "api_name": "blank_things",
        "type": "rollup_summary",
        "rollup": {"child": "thing", "function": "count", "filter": {"meta": {"is_null": True}}},
    }
    response = things.post("/admin/objects/box/fields", json=rollup)
    assert response.status_code == 201, response.json()
    box = things.post("/data/box", json={}).json()
    create(things, {"name": "a", "box": box["id"], "meta": None})
    create(things, {"name": "b", "box": box["id"], "meta": {"k": 1}})
    assert things.get(f"/data/box/{box['id']}").json()["blank_things"] == 1
    response = things.post("/admin/objects/box/fields/blank_things/recalculate")
    assert response.status_code == 200, response.json()
    assert things.get(f"/data/box/{box['id']}").json()["blank_things"] == 1
