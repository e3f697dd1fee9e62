"""Listing records: every filter operator, dotted paths, sorting, fields, expand, pages, totals."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from engine.database import tenant_connection
from engine.tenancy import schema_name_for
from tests.conftest import Api

OBJECTS = [
    {"api_name": "region", "fields": [{"api_name": "name", "type": "text"}]},
    {
        "api_name": "account",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "region", "type": "lookup", "target": "region"},
            {"api_name": "revenue", "type": "currency"},
            {"api_name": "employees", "type": "integer"},
            {"api_name": "since", "type": "date"},
            {"api_name": "active", "type": "boolean"},
            {
                "api_name": "tier",
                "type": "picklist",
                "values": [{"value": "gold"}, {"value": "silver"}],
            },
            {
                "api_name": "tags",
                "type": "multi_picklist",
                "values": [{"value": "vip"}, {"value": "new"}],
            },
        ],
    },
    {
        "api_name": "contact",
        "fields": [
            {"api_name": "last_name", "type": "text"},
            {"api_name": "account", "type": "lookup", "target": "account"},
        ],
    },
    {
        "api_name": "visit",
        "fields": [
            {"api_name": "subject", "type": "text"},
            {"api_name": "contact", "type": "lookup", "target": "contact"},
        ],
    },
]

ACCOUNTS = [
    {
        "name": "Acme",
        "revenue": "1000.00",
        "employees": 10,
        "since": "2001-01-01",
        "active": True,
        "tier": "gold",
        "tags": ["vip"],
    },
    {
        "name": "Beta",
        "revenue": "250.50",
        "employees": 200,
        "since": "2010-06-30",
        "active": False,
        "tier": "silver",
        "tags": ["new"],
    },
    {
        "name": "Cobalt",
        "revenue": "99.99",
        "employees": None,
        "since": "2020-02-29",
        "active": True,
        "tier": None,
        "tags": [],
    },
    {
        "name": "delta 100%",
        "revenue": None,
        "employees": 5,
        "since": None,
        "active": None,
        "tier": "gold",
        "tags": ["vip", "new"],
    },
]


@pytest.fixture
def crm(api: Api) -> dict[str, Any]:
    for document in OBJECTS:
        assert api.post("/admin/objects", json=document).status_code == 201
    east = api.post("/data/region", json={"name": "East"}).json()
    ids = {}
    for account in ACCOUNTS:
        record = api.post(
            "/data/account",
            json={**account, "region": east["id"] if account["name"] == "Acme" else None},
        )
        assert record.status_code == 201, record.text
        ids[account["name"]] = record.json()["id"]
    contact = api.post("/data/contact", json={"last_name": "Li", "account": ids["Acme"]}).json()
    api.post("/data/visit", json={"subject": "Kick-off", "contact": contact["id"]})
    api.post("/data/visit", json={"subject": "Orphan"})
    return {"api": api, "ids": ids}


def names(api: Api, filter_document: Any = None, **params: Any) -> list[str]:
    if filter_document is not None:
        params["filter"] = json.dumps(filter_document)
    response = api.get("/data/account", params={"sort": "name", **params})
    assert response.status_code == 200, response.text
    return [record["name"] for record in response.json()["data"]]


@pytest.mark.parametrize(
    ("filter_document", "expected"),
    [
        ({"name": {"eq": "Acme"}}, ["Acme"]),
        ({"name": "Acme"}, ["Acme"]),
        ({"tier": {"ne": "gold"}}, ["Beta", "Cobalt"]),
        ({"revenue": {"gt": "250.50"}}, ["Acme"]),
        ({"revenue": {"gte": 250.5}}, ["Acme", "Beta"]),
        ({"employees": {"lt": 10}}, ["delta 100%"]),
        ({"employees": {"lte": 10}}, ["Acme", "delta 100%"]),
        ({"since": {"gte": "2010-06-30", "lt": "2020-03-01"}}, ["Beta", "Cobalt"]),
        ({"tier": {"in": ["gold", "silver"]}}, ["Acme", "Beta", "delta 100%"]),
        ({"tier": {"nin": ["gold"]}}, ["Beta", "Cobalt"]),
        ({"name": {"contains": "OB"}}, ["Cobalt"]),
        ({"name": {"contains": "100%"}}, ["delta 100%"]),
        ({"name": {"starts_with": "b"}}, ["Beta"]),
        ({"employees": {"is_null": True}}, ["Cobalt"]),
        ({"active": {"eq": False}}, ["Beta"]),
        ({"tags": {"contains": "vip"}}, ["Acme", "delta 100%"]),
        ({"or": [{"name": "Acme"}, {"employees": {"gt": 100}}]}, ["Acme", "Beta"]),
        ({"and": [{"active": True}, {"revenue": {"lt": 500}}]}, ["Cobalt"]),
        ({"not": {"tier": "gold"}}, ["Beta", "Cobalt"]),
        ({"region.name": "East"}, ["Acme"]),
    ],
)
def test_every_filter_operator_selects_the_right_records(
    crm: dict[str, Any], filter_document: Any, expected: list[str]
) -> None:
    assert names(crm["api"], filter_document) == expected


def test_a_list_or_json_value_set_to_null_is_empty_like_one_never_given(api: Api) -> None:
    note = {
        "api_name": "note",
        "fields": [
            {"api_name": "tags", "type": "multi_picklist", "values": [{"value": "a"}]},
            {"api_name": "doc", "type": "json"},
        ],
    }
    assert api.post("/admin/objects", json=note).status_code == 201
    api.post("/data/note", json={"tags": None, "doc": None})
    api.post("/data/note", json={})
    filled = api.post("/data/note", json={"tags": ["a"], "doc": {"x": 1}}).json()
    api.post("/data/note", json={"tags": ["a"], "doc": [1]})
    api.patch(f"/data/note/{filled['id']}", json={"tags": None, "doc": None})
    for field in ("tags", "doc"):
        for is_null, total in ((True, 3), (False, 1)):
            params = {"filter": json.dumps({field: {"is_null": is_null}}), "count": "true"}
            assert api.get("/data/note", params=params).json()["total"] == total, (field, is_null)


def test_a_list_stored_as_a_json_null_holds_no_value(crm: dict[str, Any]) -> None:
    api = crm["api"]
    # Earlier versions stored a list set to null as the JSON null.
    schema = schema_name_for(api.tenant.name)
    with tenant_connection(api.tenant.engine.db, schema) as connection, connection.begin():
        connection.execute(
            sa.text(f"UPDATE {schema}.account SET tags = 'null' WHERE name = 'Beta'")
        )
    assert names(api, {"tags": {"contains": "new"}}) == ["delta 100%"]


def test_a_dotted_path_follows_up_to_three_lookups(crm: dict[str, Any]) -> None:
    api = crm["api"]
    response = api.get(
        "/data/visit", params={"filter": json.dumps({"contact.account.region.name": "East"})}
    )
    assert [record["subject"] for record in response.json()["data"]] == ["Kick-off"]
    too_far = api.get(
        "/data/visit", params={"filter": json.dumps({"contact.account.region.name.x": "East"})}
    )
    assert too_far.status_code == 422


@pytest.mark.parametrize(
    ("filter_text", "code"),
    [
        (json.dumps({"nmae": "x"}), "unknown-field"),
        (json.dumps({"employees": {"gt": "many"}}), "wrong-type"),
        (json.dumps({"since": {"eq": "last year"}}), "invalid-date"),
        (json.dumps({"name": {"like": "x"}}), "unknown-operator"),
        (json.dumps({"employees": {"lt": None}}), "wrong-type"),
        (json.dumps({"not": {"name": {"gte": None}}}), "wrong-type"),
        (json.dumps({"active": {"gt": True}}), "wrong-operator"),
        (json.dumps({"name.x": "y"}), "not-a-lookup"),
        (json.dumps(["name"]), "invalid-filter"),
        ("{not json", "invalid-json"),
    ],
)
def test_a_bad_filter_is_422_never_500(crm: dict[str, Any], filter_text: str, code: str) -> None:
    response = crm["api"].get("/data/account", params={"filter": filter_text})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == code


@pytest.mark.parametrize(
    "filter_text",
    ['"name":"Acme"', "%7B%22name%22%3A%22Acme%22%7D"],
    ids=["braces dropped by curl's globbing", "encoded twice"],
)
def test_a_filter_mangled_on_its_way_says_how_to_url_encode_it(
    crm: dict[str, Any], filter_text: str
) -> None:
    response = crm["api"].get("/data/account", params={"filter": filter_text})
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert problem["code"] == "invalid-json"
    assert problem["message"].startswith("the filter is not valid JSON: ")
    assert problem["message"].endswith(
        """; URL-encode it, e.g. curl -G --data-urlencode 'filter={"stage": "won"}'"""
    )


def test_a_filter_that_is_only_bad_json_gets_no_encoding_hint(crm: dict[str, Any]) -> None:
    response = crm["api"].get("/data/account", params={"filter": '{"name": "Acme",}'})
    assert response.status_code == 422, response.text
    assert "URL-encode" not in response.json()["detail"]


def test_sorting_on_several_fields_puts_empty_values_last(crm: dict[str, Any]) -> None:
    api = crm["api"]
    assert names(api, sort="-tier,name") == ["Beta", "Acme", "delta 100%", "Cobalt"]
    assert names(api, sort="employees") == ["delta 100%", "Acme", "Beta", "Cobalt"]


def test_fields_selection_and_expand(crm: dict[str, Any]) -> None:
    api = crm["api"]
    response = api.get(
        "/data/account",
        params={"fields": "name", "expand": "region", "filter": json.dumps({"name": "Acme"})},
    )
    record = response.json()["data"][0]
    assert "revenue" not in record and record["name"] == "Acme" and "version" in record
    assert "region" not in record or record["region"]["name"] == "East"
    full = api.get("/data/account", params={"expand": "region", "sort": "name"}).json()["data"]
    assert full[0]["region"]["name"] == "East"
    assert full[1]["region"] is None


def test_count_returns_the_total_of_matches(crm: dict[str, Any]) -> None:
    body = (
        crm["api"]
        .get(
            "/data/account",
            params={"count": "true", "limit": 1, "filter": json.dumps({"active": True})},
        )
        .json()
    )
    assert body["total"] == 2
    assert len(body["data"]) == 1


def test_keyset_pages_have_no_duplicates_or_gaps_while_rows_are_inserted(
    crm: dict[str, Any],
) -> None:
    api = crm["api"]
    for index in range(7):
        api.post("/data/account", json={"name": f"Page {index}", "employees": index})
    seen: list[str] = []
    cursor = None
    inserted = 0
    while True:
        params = {"sort": "-employees,name", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/data/account", params=params).json()
        seen += [record["id"] for record in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # Between pages: a row sorting after the cursor must appear later; one before never.
        api.post("/data/account", json={"name": f"Late {inserted}", "employees": -1 - inserted})
        api.post(
            "/data/account", json={"name": f"Early {inserted}", "employees": 10_000 + inserted}
        )
        inserted += 1
    assert inserted >= 3
    assert len(seen) == len(set(seen))
    everything = api.get("/data/account", params={"limit": 200}).json()["data"]
    early = {r["id"] for r in everything if r["name"].startswith("Early")}
    assert set(seen) == {r["id"] for r in everything} - early


def test_a_cursor_from_another_sort_is_refused(crm: dict[str, Any]) -> None:
    api = crm["api"]
    cursor = api.get("/data/account", params={"sort": "name", "limit": 1}).json()["next_cursor"]
    assert api.get("/data/account", params={"sort": "-name", "cursor": cursor}).status_code == 422
    assert api.get("/data/account", params={"cursor": "garbage"}).status_code == 422


def test_aggregates_group_count_sum_average_and_extremes(crm: dict[str, Any]) -> None:
    api = crm["api"]
    response = api.get(
        "/data/account/aggregate",
        params={
            "group_by": "tier",
            "metrics": "count,sum:revenue,avg:revenue,min:since,max:employees",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == [
        {
            "tier": "gold",
            "count": 2,
            "sum:revenue": "1000.00",
            "avg:revenue": "1000.0000",
            "min:since": "2001-01-01",
            "max:employees": 10,
        },
        {
            "tier": "silver",
            "count": 1,
            "sum:revenue": "250.50",
            "avg:revenue": "250.5000",
            "min:since": "2010-06-30",
            "max:employees": 200,
        },
        {
            "tier": None,
            "count": 1,
            "sum:revenue": "99.99",
            "avg:revenue": "99.9900",
            "min:since": "2020-02-29",
            "max:employees": None,
        },
    ]


def test_aggregates_bucket_dates_and_take_the_list_filter(crm: dict[str, Any]) -> None:
    api = crm["api"]
    for when in ("2024-01-15", "2024-02-03", "2024-02-28", "2024-05-01"):
        api.post("/data/account", json={"name": f"B {when}", "since": when, "employees": 1})
    filtered = {"employees": {"eq": 1}}
    months = api.get(
        "/data/account/aggregate",
        params={"group_by": "since:month", "filter": json.dumps(filtered)},
    )
    assert months.json()["data"] == [
        {"since:month": "2024-01-01", "count": 1},
        {"since:month": "2024-02-01", "count": 2},
        {"since:month": "2024-05-01", "count": 1},
    ]
    quarters = api.get(
        "/data/account/aggregate",
        params={"group_by": "since:quarter", "metrics": "count", "filter": json.dumps(filtered)},
    )
    assert quarters.json()["data"] == [
        {"since:quarter": "2024-01-01", "count": 3},
        {"since:quarter": "2024-04-01", "count": 1},
    ]
    weeks = api.get(
        "/data/account/aggregate",
        params={"group_by": "since:week", "filter": json.dumps({"name": "B 2024-02-03"})},
    )
    assert weeks.json()["data"] == [{"since:week": "2024-01-29", "count": 1}]
    total = api.get("/data/account/aggregate", params={"metrics": "count,sum:employees"}).json()[
        "data"
    ]
    assert total == [{"count": 8, "sum:employees": 219}]


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": "nothing"},
        {"group_by": "name:month"},
        {"group_by": "since:fortnight"},
        {"metrics": "median:revenue"},
        {"metrics": "sum:name"},
        {"metrics": "sum"},
    ],
)
def test_a_bad_aggregate_is_422(crm: dict[str, Any], params: dict[str, str]) -> None:
    assert crm["api"].get("/data/account/aggregate", params=params).status_code == 422
