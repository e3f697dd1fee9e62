"""Bulk writes: create and upsert, all-or-nothing by default, per-record results when partial."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Api

PRODUCT = {
    "api_name": "product",
    "fields": [
        {"api_name": "sku", "type": "text", "unique": True, "required": True},
        {"api_name": "name", "type": "text"},
        {"api_name": "price", "type": "currency"},
        {"api_name": "number", "type": "auto_number", "format": "P-{000000}"},
    ],
}


@pytest.fixture
def shop(api: Api) -> Api:
    assert api.post("/admin/objects", json=PRODUCT).status_code == 201
    return api


def count(api: Api) -> int:
    return api.get("/data/product", params={"count": "true", "limit": 1}).json()["total"]


def test_a_bulk_create_writes_every_record_with_consecutive_numbers(shop: Api) -> None:
    records = [{"sku": f"S{i:04d}", "name": f"Item {i}", "price": f"{i}.50"} for i in range(1500)]
    response = shop.post("/data/product/bulk", json=records)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["errors"]) == (1500, 0, 0)
    assert count(shop) == 1500
    numbers = sorted(
        r["number"]
        for r in shop.get("/data/product", params={"limit": 200, "sort": "number"}).json()["data"]
    )
    assert numbers[:3] == ["P-000001", "P-000002", "P-000003"]


def test_one_invalid_record_fails_the_whole_batch_and_names_it(shop: Api) -> None:
    records = [{"sku": "A", "price": "1"}, {"sku": "B", "price": "lots"}, {"name": "no sku"}]
    response = shop.post("/data/product/bulk", json={"records": records})
    assert response.status_code == 422
    pointers = {(e["pointer"], e["code"]) for e in response.json()["errors"]}
    assert pointers == {("/1/price", "wrong-type"), ("/2/sku", "required")}
    assert count(shop) == 0


def test_a_unique_clash_rolls_back_the_whole_batch(shop: Api) -> None:
    shop.post("/data/product", json={"sku": "TAKEN"})
    response = shop.post(
        "/data/product/bulk", json=[{"sku": "NEW1"}, {"sku": "TAKEN"}, {"sku": "NEW2"}]
    )
    assert response.status_code == 409
    assert count(shop) == 1
    again = shop.post("/data/product/bulk", json=[{"sku": "X"}, {"sku": "X"}])
    assert again.status_code == 409
    assert count(shop) == 1


def test_partial_mode_writes_the_valid_records_and_reports_the_others(shop: Api) -> None:
    shop.post("/data/product", json={"sku": "TAKEN"})
    records = [{"sku": "OK1"}, {"sku": "TAKEN"}, {"sku": "OK2", "price": "bad"}, {"sku": "OK3"}]
    response = shop.post("/data/product/bulk", params={"mode": "partial"}, json=records)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "error", "created"]
    assert results[1]["errors"][0]["code"] == "not-unique"
    assert results[2]["errors"][0]["field"] == "price"
    assert count(shop) == 3


def test_upsert_updates_matching_records_and_creates_the_rest(shop: Api) -> None:
    first = shop.post("/data/product", json={"sku": "A", "name": "Old", "price": "1.00"}).json()
    response = shop.post(
        "/data/product/bulk",
        params={"upsert_on": "sku"},
        json=[{"sku": "A", "name": "New"}, {"sku": "B", "name": "Fresh"}],
    )
    assert response.status_code == 200, response.text
    assert [(r["status"], r["index"]) for r in response.json()["results"]] == [
        ("updated", 0),
        ("created", 1),
    ]
    updated = shop.get(f"/data/product/{first['id']}").json()
    assert (updated["name"], updated["price"], updated["version"]) == ("New", "1.00", 2)
    assert updated["number"] == first["number"]
    filtered = shop.get("/data/product", params={"filter": json.dumps({"sku": "B"})}).json()["data"]
    assert filtered[0]["name"] == "Fresh"


def test_upsert_needs_a_unique_field_and_a_key_on_every_record(shop: Api) -> None:
    assert (
        shop.post(
            "/data/product/bulk", params={"upsert_on": "name"}, json=[{"sku": "A"}]
        ).status_code
        == 422
    )
    response = shop.post(
        "/data/product/bulk",
        params={"upsert_on": "sku"},
        json=[{"name": "x"}, {"sku": "A"}, {"sku": "A"}],
    )
    assert response.status_code == 422
    codes = [e["code"] for e in response.json()["errors"]]
    assert codes == ["required", "repeated-key"]


def test_a_batch_over_ten_thousand_records_is_refused(shop: Api) -> None:
    response = shop.post("/data/product/bulk", json=[{"sku": "x"}] * 10_001)
    assert response.status_code == 422
    assert count(shop) == 0


def test_a_large_batch_with_a_clash_writes_nothing(shop: Api) -> None:
    shop.post("/data/product", json={"sku": "TAKEN"})
    records = [{"sku": f"S{i}"} for i in range(200)] + [{"sku": "TAKEN"}]
    assert shop.post("/data/product/bulk", json=records).status_code == 409
    assert count(shop) == 1
    partial = shop.post("/data/product/bulk", params={"mode": "partial"}, json=records).json()
    assert (partial["created"], partial["errors"]) == (200, 1)


def test_a_bulk_body_that_is_not_json_is_422(shop: Api) -> None:
    response = shop.post(
        "/data/product/bulk", content=b"[{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "invalid-json"
    assert shop.post("/data/product/bulk", json={"nope": 1}).status_code == 422
