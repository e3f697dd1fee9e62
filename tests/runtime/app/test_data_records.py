"""The data API on single records: typed CRUD, optimistic concurrency, constraints."""

from __future__ import annotations

import pytest

from tests.conftest import Api

ACCOUNT = {
    "api_name": "account",
    "fields": [
        {"api_name": "name", "type": "text", "required": True, "max_length": 40},
        {"api_name": "code", "type": "text", "unique": True},
        {"api_name": "revenue", "type": "currency", "min": 0},
        {"api_name": "employees", "type": "integer", "max": 1000000},
        {"api_name": "email", "type": "email"},
        {"api_name": "site", "type": "url"},
        {"api_name": "phone", "type": "phone"},
        {"api_name": "founded", "type": "date"},
        {"api_name": "last_call", "type": "datetime"},
        {"api_name": "active", "type": "boolean", "default": True},
        {
            "api_name": "tier",
            "type": "picklist",
            "values": [
                {"value": "gold"},
                {"value": "silver"},
                {"value": "bronze", "active": False},
            ],
        },
        {
            "api_name": "tags",
            "type": "multi_picklist",
            "values": [{"value": "vip"}, {"value": "new"}],
        },
        {"api_name": "number", "type": "auto_number", "format": "AC-{0000}"},
        {"api_name": "extra", "type": "json"},
    ],
}


@pytest.fixture
def crm(api: Api) -> Api:
    assert api.post("/admin/objects", json=ACCOUNT).status_code == 201
    contact = {
        "api_name": "contact",
        "fields": [
            {"api_name": "account", "type": "master_detail", "target": "account"},
            {"api_name": "last_name", "type": "text"},
        ],
    }
    assert api.post("/admin/objects", json=contact).status_code == 201
    return api


def test_a_created_record_comes_back_typed_with_system_keys(crm: Api) -> None:
    response = crm.post(
        "/data/account",
        json={
            "name": "Acme",
            "code": "A1",
            "revenue": "1234.5",
            "employees": 12,
            "email": "Sales@Example.com",
            "site": "https://acme.example",
            "phone": "+86 21 5555 0100",
            "founded": "1999-12-31",
            "last_call": "2025-03-01T09:30:00+08:00",
            "tier": "gold",
            "tags": ["vip"],
            "extra": {"source": "fair"},
        },
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert {"id", "created_at", "updated_at", "owner_id"} <= record.keys()
    assert record["revenue"] == "1234.50"
    assert record["last_call"] == "2025-03-01T01:30:00+00:00"
    assert record["active"] is True
    assert record["number"] == "AC-0001"
    assert record["email"] == "sales@example.com"
    fetched = crm.get(f"/data/account/{record['id']}").json()
    assert fetched == record


def test_a_listed_record_is_the_record_get_returns_expanded_lookups_included(crm: Api) -> None:
    full = crm.post(
        "/data/account",
        json={
            "name": "Acme",
            "code": "A1",
            "revenue": "1234.5",
            "employees": 12,
            "email": "sales@example.com",
            "site": "https://acme.example",
            "phone": "+86 21 5555 0100",
            "founded": "1999-12-31",
            "last_call": "2025-03-01T09:30:00+08:00",
            "tier": "gold",
            "tags": ["vip", "new"],
            "extra": {"source": "fair", "n": [1, 2.5, None]},
        },
    ).json()
    blank = crm.post("/data/account", json={"name": "Blank", "active": None}).json()
    contact = crm.post("/data/contact", json={"account": full["id"], "last_name": "Li"}).json()

    listed = crm.get("/data/account", params={"sort": "name"}).json()["data"]
    assert listed == [
        crm.get(f"/data/account/{full['id']}").json(),
        crm.get(f"/data/account/{blank['id']}").json(),
    ]
    assert list(listed[0]) == list(full)
    expanded = crm.get("/data/contact", params={"expand": "account"}).json()["data"]
    assert expanded == [{**contact, "account": listed[0]}]
    some = crm.get("/data/account", params={"fields": "tags,name", "sort": "-name"}).json()
    assert [list(record)[-2:] for record in some["data"]] == [["tags", "name"]] * 2
    assert some["data"][1]["tags"] == ["vip", "new"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", "x" * 41, "too-long"),
        ("revenue", "-1", "out-of-range"),
        ("revenue", "1.234", "too-precise"),
        ("employees", 1.5, "wrong-type"),
        ("employees", 2000000, "out-of-range"),
        ("email", "not-an-email", "invalid-email"),
        ("site", "notaurl", "invalid-url"),
        ("phone", "call me", "invalid-phone"),
        ("founded", "2023-02-30", "invalid-date"),
        ("last_call", "yesterday", "invalid-datetime"),
        ("tier", "platinum", "not-in-picklist"),
        ("tier", "bronze", "inactive-value"),
        ("tags", ["vip", "vip"], "duplicate-value"),
        ("active", "yes", "wrong-type"),
    ],
)
def test_a_value_that_does_not_fit_its_field_is_refused(
    crm: Api, field: str, value: object, code: str
) -> None:
    response = crm.post("/data/account", json={"name": "Acme", field: value})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]


def test_unknown_read_only_and_missing_required_fields_are_all_reported(crm: Api) -> None:
    response = crm.post("/data/account", json={"nmae": "x", "id": "1", "number": "AC-9"})
    assert response.status_code == 422
    problems = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert problems == {
        ("nmae", "unknown-field"),
        ("id", "read-only"),
        ("number", "read-only"),
        ("name", "required"),
    }
    assert "did you mean 'name'" in next(
        e["message"] for e in response.json()["errors"] if e["field"] == "nmae"
    )


def test_a_unique_clash_is_409_naming_the_field_and_the_record(crm: Api) -> None:
    first = crm.post("/data/account", json={"name": "A", "code": "X"}).json()
    clash = crm.post("/data/account", json={"name": "B", "code": "X"})
    assert clash.status_code == 409
    assert clash.json()["field"] == "code"
    assert clash.json()["conflicting_record_id"] == first["id"]


def test_a_stale_if_match_gets_412_and_changes_nothing(crm: Api) -> None:
    record = crm.post("/data/account", json={"name": "A"}).json()
    updated = crm.patch(
        f"/data/account/{record['id']}", json={"name": "B"}, headers={"If-Match": '"1"'}
    )
    assert updated.status_code == 200
    assert updated.json()["version"] == 2
    stale = crm.patch(
        f"/data/account/{record['id']}", json={"name": "C"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    stale_delete = crm.delete(f"/data/account/{record['id']}", headers={"If-Match": "1"})
    assert stale_delete.status_code == 412
    assert crm.get(f"/data/account/{record['id']}").json()["name"] == "B"


def test_a_lookup_must_name_an_existing_record_and_children_go_with_their_parent(crm: Api) -> None:
    missing = crm.post(
        "/data/contact", json={"account": "0190f6a0-0000-7000-8000-000000000000", "last_name": "Li"}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["code"] == "unknown-record"
    parent = crm.post("/data/account", json={"name": "A"}).json()
    child = crm.post("/data/contact", json={"account": parent["id"], "last_name": "Li"}).json()
    assert crm.delete(f"/data/account/{parent['id']}").status_code == 204
    assert crm.get(f"/data/contact/{child['id']}").status_code == 404
    assert crm.get(f"/data/account/{parent['id']}").status_code == 404


def test_an_if_match_that_is_not_a_version_is_422(crm: Api) -> None:
    record = crm.post("/data/account", json={"name": "A"}).json()
    for header in ("abc", "9" * 30):
        response = crm.patch(
            f"/data/account/{record['id']}", json={"name": "B"}, headers={"If-Match": header}
        )
        assert response.status_code == 422, header


def test_text_with_a_nul_character_is_refused_not_a_server_error(crm: Api) -> None:
    response = crm.post("/data/account", json={"name": "A\u0000B"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "invalid-character"
    assert (
        crm.post("/data/account", json={"name": "A", "extra": {"k": "\u0000"}}).status_code == 422
    )
    listed = crm.get("/data/account", params={"filter": '{"name": {"contains": "\\u0000"}}'})
    assert listed.status_code == 422


def test_a_json_field_keeps_numbers_beyond_64_bits(crm: Api) -> None:
    response = crm.post("/data/account", json={"name": "Big", "extra": {"n": 18446744073709551616}})
    assert response.status_code == 201
    assert crm.get(f"/data/account/{response.json()['id']}").json()["extra"] == {
        "n": 18446744073709551616
    }


def test_a_huge_number_in_a_decimal_field_is_out_of_range_not_an_error(crm: Api) -> None:
    response = crm.post("/data/account", json={"name": "A", "revenue": "1e40"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "out-of-range"
