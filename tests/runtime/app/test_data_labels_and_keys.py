"""Picklist labels beside records (`?labels=true`) and lookups by key in every record body."""

from __future__ import annotations

import pytest

from tests.conftest import Api

ACCOUNT = {
    "api_name": "account",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "code", "type": "text", "unique": True},
        {
            "api_name": "tier",
            "type": "picklist",
            "values": [{"value": "gold", "label": "Gold"}, {"value": "silver"}],
        },
    ],
}
DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "title", "type": "text"},
        {"api_name": "account", "type": "lookup", "target": "account"},
        {
            "api_name": "stage",
            "type": "picklist",
            "values": [
                {"value": "won", "label": "Won"},
                {"value": "old", "label": "Old", "active": False},
            ],
        },
        {
            "api_name": "tags",
            "type": "multi_picklist",
            "values": [{"value": "a", "label": "Alpha"}, {"value": "b", "label": "Beta"}],
        },
    ],
}


@pytest.fixture
def sales(api: Api) -> Api:
    for document in (ACCOUNT, DEAL):
        assert api.post("/admin/objects", json=document).status_code == 201
    for code, name in (("C-1", "Acme"), ("C-2", "Acme"), ("C-3", "Globex")):
        api.post("/data/account", json={"code": code, "name": name, "tier": "gold"})
    return api


def account_id(api: Api, code: str) -> str:
    page = api.get("/data/account", params={"filter": f'{{"code": "{code}"}}'}).json()
    return str(page["data"][0]["id"])


def test_records_read_with_labels_carry_them_beside_the_values(sales: Api) -> None:
    created = sales.post(
        "/data/deal",
        json={
            "title": "D",
            "stage": "won",
            "tags": ["b", "a"],
            "account": account_id(sales, "C-3"),
        },
    ).json()
    one = sales.get(f"/data/deal/{created['id']}", params={"labels": "true"}).json()
    assert (one["stage"], one["_labels"]) == ("won", {"stage": "Won", "tags": ["Beta", "Alpha"]})
    assert "_labels" not in sales.get(f"/data/deal/{created['id']}").json()
    page = sales.get(
        "/data/deal",
        params={"labels": "true", "expand": "account", "fields": "title,stage,account"},
    ).json()
    (record,) = page["data"]
    assert record["_labels"] == {"stage": "Won"}
    assert record["account"]["_labels"] == {"tier": "Gold"}


def test_a_blank_or_inactive_value_has_its_label_too(sales: Api) -> None:
    created = sales.post("/data/deal", json={"title": "D"}).json()
    labels = sales.get(f"/data/deal/{created['id']}", params={"labels": "true"}).json()["_labels"]
    assert labels == {"stage": None, "tags": None}


def test_a_label_sent_as_a_picklist_value_is_refused_naming_its_value(sales: Api) -> None:
    response = sales.post("/data/deal", json={"stage": "won ", "tags": ["ALPHA"]})
    assert response.status_code == 422
    messages = {e["pointer"]: e["message"] for e in response.json()["errors"]}
    assert messages == {
        "/stage": "'won ' is not a value of this picklist (allowed: won)",
        "/tags": "'ALPHA' is not a value of this picklist (allowed: a, b); "
        "'ALPHA' is the label of 'a'",
    }
    won = sales.post("/data/deal", json={"stage": "Won"}).json()["errors"][0]["message"]
    assert won.endswith("(allowed: won); 'Won' is the label of 'won'")
    old = sales.post("/data/deal", json={"stage": "Old"}).json()["errors"][0]["message"]
    assert old == "'Old' is not a value of this picklist (allowed: won)"


def test_bulk_records_name_their_lookups_by_unique_field_or_name(sales: Api) -> None:
    response = sales.post(
        "/data/deal/bulk",
        params={"mode": "partial"},
        json=[
            {"title": "By code", "account.code": "C-1"},
            {"title": "By name", "account": "Globex"},
            {"title": "Ambiguous", "account": "Acme"},
            {"title": "Missing", "account.code": "C-9"},
        ],
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "error", "error"]
    assert [(e["pointer"], e["code"]) for r in results[2:] for e in r["errors"]] == [
        ("/2/account", "ambiguous-record"),
        ("/3/account", "unknown-record"),
    ]
    page = sales.get("/data/deal", params={"sort": "title"}).json()["data"]
    assert [r["account"] for r in page] == [account_id(sales, "C-1"), account_id(sales, "C-3")]


def test_a_bulk_key_that_cannot_name_a_record_is_a_422_at_the_key(sales: Api) -> None:
    response = sales.post("/data/deal/bulk", json=[{"title": "T", "account.name.code": "x"}])
    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/0/account.name.code", "path-too-long")
    ]


def test_a_single_create_or_update_names_its_lookup_by_unique_field_or_name(sales: Api) -> None:
    created = sales.post("/data/deal", json={"title": "D", "account.code": "C-1"})
    assert created.status_code == 201, created.text
    assert created.json()["account"] == account_id(sales, "C-1")
    path = f"/data/deal/{created.json()['id']}"
    updated = sales.patch(path, json={"account": "Globex"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["account"] == account_id(sales, "C-3")
    cleared = sales.patch(path, json={"account.code": None})
    assert cleared.json()["account"] is None


def test_a_single_write_whose_key_names_no_record_is_a_422_at_the_lookup(sales: Api) -> None:
    response = sales.post("/data/deal", json={"title": "D", "account.code": "C-9", "stage": "x"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert (errors[0]["pointer"], errors[0]["code"]) == ("/account", "unknown-record")
    assert errors[0]["message"] == "no account record has code 'C-9'"
    assert "/stage" in {e["pointer"] for e in errors}
    assert sales.get("/data/deal").json()["data"] == []


def test_the_openapi_document_describes_lookup_keys_and_labels(sales: Api) -> None:
    document = sales.client.get("/openapi.json", headers=sales.tenant.headers).json()
    schemas = document["components"]["schemas"]
    bulk = schemas["DealBulkInput"]["properties"]
    assert {"account", "account.id", "account.code", "account.name"} <= set(bulk)
    assert "account.tier" not in bulk
    assert {"account", "account.code"} <= set(schemas["DealInput"]["properties"])
    assert "account.code" in schemas["DealPatch"]["properties"]
    assert "_labels" in schemas["DealRecord"]["properties"]
    listing = document["paths"]["/api/v1/data/deal"]["get"]["parameters"]
    assert "labels" in {parameter["name"] for parameter in listing}
