"""Formula fields through the API: stored values, checks when saved, queries, lookup paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api

ITEM = {
    "api_name": "item",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "qty", "type": "integer"},
        {"api_name": "price", "type": "decimal", "precision": 12, "scale": 3},
        {"api_name": "start", "type": "date"},
        {
            "api_name": "whole",
            "type": "formula",
            "return_type": "integer",
            "expression": "price * qty",
        },
        {
            "api_name": "tenth",
            "type": "formula",
            "return_type": "decimal",
            "precision": 10,
            "scale": 1,
            "expression": "price * qty",
        },
        {
            "api_name": "money",
            "type": "formula",
            "return_type": "currency",
            "expression": "price * qty",
        },
        {
            "api_name": "label",
            "type": "formula",
            "return_type": "text",
            "expression": "CONCAT(UPPER(name), '#', TEXT(qty))",
        },
        {"api_name": "bulky", "type": "formula", "return_type": "boolean", "expression": "qty > 2"},
        {
            "api_name": "due",
            "type": "formula",
            "return_type": "date",
            "expression": "ADDDAYS(start, qty)",
        },
    ],
}

COMPUTED = ("whole", "tenth", "money", "label", "bulky", "due")


@pytest.fixture
def items(api: Api) -> Api:
    response = api.post("/admin/objects", json=ITEM)
    assert response.status_code == 201, response.json()
    return api


def computed(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[name] for name in COMPUTED)


def test_formulas_are_computed_on_create_and_rounded_half_up(items: Api) -> None:
    created = items.post(
        "/data/item", json={"name": "bolt", "qty": 4, "price": "0.625", "start": "2026-02-26"}
    )
    assert created.status_code == 201, created.json()
    # 0.625 * 4 = 2.5: half-up gives 3 (half-even would give 2).
    assert computed(created.json()) == (3, "2.5", "2.50", "BOLT#4", True, "2026-03-02")
    stored = items.get(f"/data/item/{created.json()['id']}").json()
    assert computed(stored) == computed(created.json())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # 0.625: 1, 0.6, 0.63 (half-even would give 0.62)
        ({"qty": 1}, (1, "0.6", "0.63", "BOLT#1", False, "2026-02-27")),
        # 1.25: 1, 1.3 (half-even would give 1.2), 1.25
        ({"qty": 2}, (1, "1.3", "1.25", "BOLT#2", False, "2026-02-28")),
        # -2.5: halves go away from zero, as ROUND does
        ({"qty": -4}, (-3, "-2.5", "-2.50", "BOLT#-4", False, "2026-02-22")),
        ({"price": "0.875", "name": "nut"}, (4, "3.5", "3.50", "NUT#4", True, "2026-03-02")),
        ({"qty": None}, (None, None, None, "BOLT#", False, None)),
        ({"start": None, "name": None}, (3, "2.5", "2.50", "#4", True, None)),
    ],
)
def test_formulas_are_recomputed_on_update(
    items: Api, change: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    created = items.post(
        "/data/item", json={"name": "bolt", "qty": 4, "price": "0.625", "start": "2026-02-26"}
    ).json()
    updated = items.patch(f"/data/item/{created['id']}", json=change)
    assert updated.status_code == 200, updated.json()
    assert computed(updated.json()) == expected
    assert computed(items.get(f"/data/item/{created['id']}").json()) == expected


def test_formulas_read_formulas_declared_in_any_order(api: Api) -> None:
    response = api.post(
        "/admin/objects",
        json={
            "api_name": "invoice",
            "fields": [
                {
                    "api_name": "grand",
                    "type": "formula",
                    "return_type": "currency",
                    "expression": "subtotal + tax",
                },
                {
                    "api_name": "tax",
                    "type": "formula",
                    "return_type": "currency",
                    "expression": "subtotal * 0.2",
                },
                {"api_name": "qty", "type": "integer"},
                {
                    "api_name": "subtotal",
                    "type": "formula",
                    "return_type": "currency",
                    "expression": "price * qty",
                },
                {"api_name": "price", "type": "currency"},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    record = api.post("/data/invoice", json={"qty": 3, "price": "10.05"}).json()
    assert (record["subtotal"], record["tax"], record["grand"]) == ("30.15", "6.03", "36.18")
    changed = api.patch(f"/data/invoice/{record['id']}", json={"qty": 1}).json()
    assert (changed["subtotal"], changed["tax"], changed["grand"]) == ("10.05", "2.01", "12.06")

    added = api.post(
        "/admin/objects/invoice/fields",
        json={
            "api_name": "is_large",
            "type": "formula",
            "return_type": "boolean",
            "expression": "grand > 100",
        },
    )
    assert added.status_code == 201, added.json()
    large = api.post("/data/invoice", json={"qty": 10, "price": "10"}).json()
    assert (large["grand"], large["is_large"]) == ("120.00", True)


def test_a_formula_cycle_is_refused_when_saved(api: Api) -> None:
    cyclic = api.post(
        "/admin/objects",
        json={
            "api_name": "loop",
            "fields": [
                {
                    "api_name": "a",
                    "type": "formula",
                    "return_type": "integer",
                    "expression": "b + 1",
                },
                {
                    "api_name": "b",
                    "type": "formula",
                    "return_type": "integer",
                    "expression": "a + 1",
                },
            ],
        },
    )
    assert cyclic.status_code == 422
    assert {e["code"] for e in cyclic.json()["errors"]} == {"formula-cycle"}
    assert api.get("/admin/objects/loop").status_code == 404

    assert api.post("/admin/objects", json=ITEM).status_code == 201
    itself = api.patch("/admin/objects/item/fields/whole", json={"expression": "whole + 1"})
    assert itself.status_code == 422
    assert [(e["pointer"], e["code"]) for e in itself.json()["errors"]] == [
        ("/expression", "formula-cycle")
    ]

    chained = api.post(
        "/admin/objects/item/fields",
        json={
            "api_name": "double",
            "type": "formula",
            "return_type": "integer",
            "expression": "whole * 2",
        },
    )
    assert chained.status_code == 201
    closing = api.patch("/admin/objects/item/fields/whole", json={"expression": "double + 1"})
    assert closing.status_code == 422
    assert [(e["pointer"], e["code"]) for e in closing.json()["errors"]] == [
        ("/expression", "formula-cycle")
    ]
    whole = api.get("/admin/objects/item/fields/whole").json()
    assert whole["expression"] == "price * qty"
    record = api.post("/data/item", json={"qty": 2, "price": "1.5"}).json()
    assert (record["whole"], record["double"]) == (3, 6)


@pytest.mark.parametrize(
    ("return_type", "expression"),
    [
        ("integer", "CONCAT(name, 'x')"),
        ("currency", "qty > 2"),
        ("boolean", "qty + 1"),
        ("date", "name"),
        ("text", "start"),
    ],
)
def test_a_formula_whose_result_does_not_fit_its_return_type_is_refused(
    items: Api, return_type: str, expression: str
) -> None:
    response = items.post(
        "/admin/objects/item/fields",
        json={
            "api_name": "wrong",
            "type": "formula",
            "return_type": return_type,
            "expression": expression,
        },
    )
    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/expression", "wrong-kind")
    ]
    assert items.get("/admin/objects/item/fields/wrong").status_code == 404


@pytest.mark.parametrize(
    ("return_type", "expression", "function"),
    [
        ("date", "ADDDAYS(TODAY(), qty)", "TODAY"),
        ("boolean", "ISCHANGED(qty)", "ISCHANGED"),
        ("boolean", "ISNEW()", "ISNEW"),
        ("integer", "PRIORVALUE(qty)", "PRIORVALUE"),
        ("datetime", "NOW()", "NOW"),
        ("text", "CURRENT_USER()", "CURRENT_USER"),
    ],
)
def test_functions_of_the_moment_or_the_save_are_not_allowed_in_a_formula(
    items: Api, return_type: str, expression: str, function: str
) -> None:
    response = items.post(
        "/admin/objects/item/fields",
        json={
            "api_name": "moment",
            "type": "formula",
            "return_type": return_type,
            "expression": expression,
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert ("/expression", "not-allowed-here") in [(e["pointer"], e["code"]) for e in errors]
    assert any(e["message"].startswith(function) for e in errors)
    changed = items.patch("/admin/objects/item/fields/whole", json={"expression": expression})
    assert changed.status_code == 422
    assert "not-allowed-here" in {e["code"] for e in changed.json()["errors"]}


def test_formula_fields_cannot_be_written(items: Api) -> None:
    refused = items.post("/data/item", json={"qty": 1, "price": "1", "whole": 99, "label": "x"})
    assert refused.status_code == 422
    assert {(e["pointer"], e["code"]) for e in refused.json()["errors"]} == {
        ("/whole", "read-only"),
        ("/label", "read-only"),
    }
    record = items.post("/data/item", json={"qty": 1, "price": "1"}).json()
    patched = items.patch(f"/data/item/{record['id']}", json={"money": "5"})
    assert patched.status_code == 422
    assert [(e["pointer"], e["code"]) for e in patched.json()["errors"]] == [
        ("/money", "read-only")
    ]
    bulk = items.post("/data/item/bulk", json=[{"qty": 1}, {"qty": 2, "bulky": False}])
    assert bulk.status_code == 422
    assert [(e["pointer"], e["code"]) for e in bulk.json()["errors"]] == [("/1/bulky", "read-only")]
    stored = items.get(f"/data/item/{record['id']}").json()
    assert (stored["money"], stored["version"]) == ("1.00", 1)


def test_formula_fields_can_be_filtered_sorted_and_aggregated(items: Api) -> None:
    for name, qty, price in [("a", 1, "10"), ("b", 3, "5"), ("c", 5, "1.5"), ("d", 2, "20")]:
        assert (
            items.post("/data/item", json={"name": name, "qty": qty, "price": price}).status_code
            == 201
        )
    # money: a 10.00, b 15.00, c 7.50, d 40.00; bulky: b and c
    page = items.get(
        "/data/item",
        params={"filter": json.dumps({"money": {"gte": "10"}}), "sort": "-money"},
    ).json()
    assert [r["name"] for r in page["data"]] == ["d", "b", "a"]

    flagged = items.get(
        "/data/item", params={"filter": json.dumps({"bulky": {"eq": True}}), "sort": "label"}
    ).json()
    assert [r["label"] for r in flagged["data"]] == ["B#3", "C#5"]

    groups = items.get(
        "/data/item/aggregate",
        params={"group_by": "bulky", "metrics": "count,sum:money,max:whole"},
    )
    assert groups.status_code == 200, groups.json()
    by_flag = {row["bulky"]: row for row in groups.json()["data"]}
    assert by_flag[True] == {"bulky": True, "count": 2, "sum:money": "22.50", "max:whole": 15}
    assert by_flag[False] == {"bulky": False, "count": 2, "sum:money": "50.00", "max:whole": 40}


def test_a_formula_that_fails_on_save_names_the_formula(api: Api) -> None:
    response = api.post(
        "/admin/objects",
        json={
            "api_name": "line",
            "fields": [
                {"api_name": "code", "type": "text"},
                {
                    "api_name": "code_number",
                    "type": "formula",
                    "return_type": "integer",
                    "expression": "VALUE(code)",
                },
            ],
        },
    )
    assert response.status_code == 201, response.json()
    refused = api.post("/data/line", json={"code": "abc"})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/code_number", "formula-failed")
    assert "code_number" in error["message"]
    assert api.get("/data/line", params={"count": "true"}).json()["total"] == 0

    record = api.post("/data/line", json={"code": " 42 "}).json()
    assert record["code_number"] == 42
    again = api.patch(f"/data/line/{record['id']}", json={"code": "4x2"})
    assert again.status_code == 422
    assert again.json()["errors"][0]["pointer"] == "/code_number"
    assert api.get(f"/data/line/{record['id']}").json()["code"] == " 42 "


# -- formulas reading through lookups ---------------------------------------------------------


LOOKUP_OBJECTS = [
    {"api_name": "region", "fields": [{"api_name": "name", "type": "text"}]},
    {
        "api_name": "account",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "industry", "type": "text"},
            {"api_name": "code", "type": "text"},
            {"api_name": "region", "type": "lookup", "target": "region"},
        ],
    },
    {
        "api_name": "deal",
        "fields": [
            {"api_name": "name", "type": "text"},
            {"api_name": "account", "type": "lookup", "target": "account", "on_delete": "set_null"},
            {
                "api_name": "industry",
                "type": "formula",
                "return_type": "text",
                "expression": "account.industry",
            },
            {
                "api_name": "region_name",
                "type": "formula",
                "return_type": "text",
                "expression": "account.region.name",
            },
            {
                "api_name": "headline",
                "type": "formula",
                "return_type": "text",
                "expression": "CONCAT(name, ' @ ', BLANKVALUE(account.region.name, 'nowhere'))",
            },
        ],
    },
]


@pytest.fixture
def crm(api: Api) -> dict[str, Any]:
    for body in LOOKUP_OBJECTS:
        response = api.post("/admin/objects", json=body)
        assert response.status_code == 201, response.json()
    north = api.post("/data/region", json={"name": "North"}).json()
    south = api.post("/data/region", json={"name": "South"}).json()
    acme = api.post(
        "/data/account", json={"name": "Acme", "industry": "pharma", "region": north["id"]}
    ).json()
    beta = api.post(
        "/data/account", json={"name": "Beta", "industry": "retail", "region": south["id"]}
    ).json()
    deal = api.post("/data/deal", json={"name": "big", "account": acme["id"]}).json()
    return {"api": api, "north": north, "south": south, "acme": acme, "beta": beta, "deal": deal}


def deal_view(api: Api, deal_id: str) -> tuple[Any, Any, Any]:
    record = api.get(f"/data/deal/{deal_id}").json()
    return record["industry"], record["region_name"], record["headline"]


def test_lookup_formulas_are_computed_on_save(crm: dict[str, Any]) -> None:
    deal = crm["deal"]
    assert (deal["industry"], deal["region_name"], deal["headline"]) == (
        "pharma",
        "North",
        "big @ North",
    )


def test_lookup_formulas_follow_changes_of_the_related_record(crm: dict[str, Any]) -> None:
    api, deal_id = crm["api"], crm["deal"]["id"]
    version = api.get(f"/data/deal/{deal_id}").json()["version"]
    assert (
        api.patch(f"/data/account/{crm['acme']['id']}", json={"industry": "biotech"}).status_code
        == 200
    )
    assert deal_view(api, deal_id) == ("biotech", "North", "big @ North")
    assert api.get(f"/data/deal/{deal_id}").json()["version"] > version

    # A change the formulas do not read leaves the deal alone.
    version = api.get(f"/data/deal/{deal_id}").json()["version"]
    api.patch(f"/data/account/{crm['acme']['id']}", json={"name": "Acme Ltd"})
    assert api.get(f"/data/deal/{deal_id}").json()["version"] == version


def test_two_hop_lookup_formulas_follow_both_hops(crm: dict[str, Any]) -> None:
    api, deal_id = crm["api"], crm["deal"]["id"]
    assert api.patch(f"/data/region/{crm['north']['id']}", json={"name": "Nord"}).status_code == 200
    assert deal_view(api, deal_id) == ("pharma", "Nord", "big @ Nord")

    moved = api.patch(f"/data/account/{crm['acme']['id']}", json={"region": crm["south"]["id"]})
    assert moved.status_code == 200
    assert deal_view(api, deal_id) == ("pharma", "South", "big @ South")

    # The region the account left no longer reaches the deal.
    api.patch(f"/data/region/{crm['north']['id']}", json={"name": "Norte"})
    assert deal_view(api, deal_id) == ("pharma", "South", "big @ South")

    cleared = api.patch(f"/data/account/{crm['acme']['id']}", json={"region": None})
    assert cleared.status_code == 200
    assert deal_view(api, deal_id) == ("pharma", None, "big @ nowhere")


def test_lookup_formulas_follow_a_re_pointed_or_cleared_lookup(crm: dict[str, Any]) -> None:
    api, deal_id = crm["api"], crm["deal"]["id"]
    repointed = api.patch(f"/data/deal/{deal_id}", json={"account": crm["beta"]["id"]})
    assert repointed.status_code == 200
    assert (repointed.json()["industry"], repointed.json()["region_name"]) == ("retail", "South")

    # The account the deal left no longer changes it; the new one does.
    api.patch(f"/data/account/{crm['acme']['id']}", json={"industry": "mining"})
    assert deal_view(api, deal_id) == ("retail", "South", "big @ South")
    api.patch(f"/data/account/{crm['beta']['id']}", json={"industry": "food"})
    assert deal_view(api, deal_id) == ("food", "South", "big @ South")

    cleared = api.patch(f"/data/deal/{deal_id}", json={"account": None})
    assert cleared.status_code == 200
    assert (cleared.json()["industry"], cleared.json()["region_name"]) == (None, None)
    assert cleared.json()["headline"] == "big @ nowhere"
    api.patch(f"/data/account/{crm['beta']['id']}", json={"industry": "tools"})
    assert deal_view(api, deal_id) == (None, None, "big @ nowhere")


def test_lookup_formulas_go_blank_when_the_related_record_is_deleted(
    crm: dict[str, Any],
) -> None:
    api, deal_id = crm["api"], crm["deal"]["id"]
    assert api.delete(f"/data/account/{crm['acme']['id']}").status_code in (200, 204)
    record = api.get(f"/data/deal/{deal_id}").json()
    assert record["account"] is None
    assert (record["industry"], record["region_name"], record["headline"]) == (
        None,
        None,
        "big @ nowhere",
    )


def test_a_related_change_that_breaks_a_formula_is_refused(api: Api) -> None:
    for body in LOOKUP_OBJECTS[:2]:
        assert api.post("/admin/objects", json=body).status_code == 201
    api.post(
        "/admin/objects",
        json={
            "api_name": "deal",
            "fields": [
                {"api_name": "account", "type": "lookup", "target": "account"},
                {
                    "api_name": "account_number",
                    "type": "formula",
                    "return_type": "integer",
                    "expression": "VALUE(account.code)",
                },
            ],
        },
    )
    account = api.post("/data/account", json={"code": "7"}).json()
    deal = api.post("/data/deal", json={"account": account["id"]}).json()
    assert deal["account_number"] == 7
    refused = api.patch(f"/data/account/{account['id']}", json={"code": "seven"})
    assert refused.status_code == 422
    assert any("account_number" in e["message"] for e in refused.json()["errors"])
    assert api.get(f"/data/account/{account['id']}").json()["code"] == "7"
    assert api.get(f"/data/deal/{deal['id']}").json()["account_number"] == 7


def test_existing_records_follow_a_new_or_changed_formula(items: Api) -> None:
    first = items.post("/data/item", json={"name": "a", "qty": 2, "price": "1.5"}).json()
    second = items.post("/data/item", json={"name": "b", "qty": 5, "price": "2"}).json()

    changed = items.patch(
        "/admin/objects/item/fields/money", json={"expression": "price * qty + 1"}
    )
    assert changed.status_code == 200, changed.json()
    assert items.get(f"/data/item/{first['id']}").json()["money"] == "4.00"
    assert items.get(f"/data/item/{second['id']}").json()["money"] == "11.00"

    added = items.post(
        "/admin/objects/item/fields",
        json={
            "api_name": "double_money",
            "type": "formula",
            "return_type": "currency",
            "expression": "money * 2",
        },
    )
    assert added.status_code == 201, added.json()
    assert items.get(f"/data/item/{first['id']}").json()["double_money"] == "8.00"
    assert items.get(f"/data/item/{second['id']}").json()["double_money"] == "22.00"

    retyped = items.patch(
        "/admin/objects/item/fields/whole",
        json={"return_type": "decimal", "expression": "price * qty / 4"},
    )
    assert retyped.status_code == 200, retyped.json()
    assert items.get(f"/data/item/{first['id']}").json()["whole"] == "0.75"
    assert items.get(f"/data/item/{second['id']}").json()["whole"] == "2.50"


def test_two_hop_formulas_go_blank_when_the_middle_hops_target_is_deleted(
    crm: dict[str, Any],
) -> None:
    api, deal_id = crm["api"], crm["deal"]["id"]
    assert api.delete(f"/data/region/{crm['north']['id']}").status_code in (200, 204)
    assert api.get(f"/data/account/{crm['acme']['id']}").json()["region"] is None
    assert deal_view(api, deal_id) == ("pharma", None, "big @ nowhere")


def test_a_bulk_upsert_of_related_records_updates_lookup_formulas(crm: dict[str, Any]) -> None:
    api, deal_id = crm["api"], crm["deal"]["id"]
    added = api.post(
        "/admin/objects/account/fields", json={"api_name": "ref", "type": "text", "unique": True}
    )
    assert added.status_code == 201, added.json()
    api.patch(f"/data/account/{crm['acme']['id']}", json={"ref": "ACME"})
    response = api.post(
        "/data/account/bulk",
        params={"upsert_on": "ref"},
        json=[{"ref": "ACME", "industry": "energy", "region": crm["south"]["id"]}],
    )
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    assert deal_view(api, deal_id) == ("energy", "South", "big @ South")


def test_a_lookup_formula_reading_a_roll_up_follows_its_siblings(api: Api) -> None:
    assert api.post("/admin/objects", json=LOOKUP_OBJECTS[1] | {"fields": []}).status_code == 201
    deal = {
        "api_name": "deal",
        "fields": [
            {"api_name": "amount", "type": "currency"},
            {"api_name": "account", "type": "lookup", "target": "account"},
        ],
    }
    assert api.post("/admin/objects", json=deal).status_code == 201
    for path, field in [
        (
            "/admin/objects/account/fields",
            {
                "api_name": "deal_total",
                "type": "rollup_summary",
                "rollup": {"child": "deal", "field": "amount", "function": "sum"},
            },
        ),
        (
            "/admin/objects/deal/fields",
            {
                "api_name": "share",
                "type": "formula",
                "return_type": "percent",
                "expression": "amount * 100 / account.deal_total",
            },
        ),
    ]:
        response = api.post(path, json=field)
        assert response.status_code == 201, response.json()
    acme = api.post("/data/account", json={}).json()["id"]
    first = api.post("/data/deal", json={"account": acme, "amount": "30"}).json()
    stored = api.get(f"/data/deal/{first['id']}").json()
    assert stored["share"] == "100.00"
    second = api.post("/data/deal", json={"account": acme, "amount": "10"}).json()
    assert api.get(f"/data/deal/{second['id']}").json()["share"] == "25.00"
    assert api.get(f"/data/deal/{first['id']}").json()["share"] == "75.00"

    patched = api.patch(f"/data/deal/{second['id']}", json={"amount": "70"}).json()
    assert api.get(f"/data/deal/{first['id']}").json()["share"] == "30.00"
    patched_stored = api.get(f"/data/deal/{second['id']}").json()
    assert patched_stored["share"] == "70.00"
    api.delete(f"/data/deal/{second['id']}")
    assert api.get(f"/data/deal/{first['id']}").json()["share"] == "100.00"

    # The answers to the create and the update were the records as stored, cascade included.
    assert (first["share"], first["version"]) == (stored["share"], stored["version"])
    assert (patched["share"], patched["version"]) == (
        patched_stored["share"],
        patched_stored["version"],
    )


def test_a_text_formula_longer_than_its_column_is_refused_naming_the_field(api: Api) -> None:
    note = {
        "api_name": "note",
        "fields": [
            {"api_name": "body", "type": "long_text"},
            {
                "api_name": "twice",
                "type": "formula",
                "return_type": "text",
                "expression": "body + body",
            },
        ],
    }
    assert api.post("/admin/objects", json=note).status_code == 201
    refused = api.post("/data/note", json={"body": "x" * 200})
    assert refused.status_code == 422, refused.json()
    [error] = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("twice", "formula-failed")
    assert "400 characters" in error["message"] and "at most 255" in error["message"]
    assert api.get("/data/note").json()["data"] == []

    fits = api.post("/data/note", json={"body": "x" * 100})
    assert fits.status_code == 201, fits.json()
    assert len(fits.json()["twice"]) == 200
