"""Metadata changes that rewrite stored values recompute everything that reads them.

A forced conversion, removed picklist values or a default filling empty values change
a field's stored values behind the save pipeline; the formulas, lookup formulas and
roll-ups reading that field (and what reads those) are recomputed in the same
transaction, and the dry run lists them with the number of records.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

PICKLIST = [{"value": v} for v in ("tech", "retail", "bank")]
STAGES = [{"value": v} for v in ("open", "won", "lost")]


@pytest.fixture
def crm(api: Api) -> Api:
    objects = [
        {
            "api_name": "account",
            "fields": [
                {"api_name": "name", "type": "text"},
                {"api_name": "industry", "type": "picklist", "values": PICKLIST},
            ],
        },
        {
            "api_name": "deal",
            "fields": [
                {"api_name": "amount", "type": "currency"},
                {"api_name": "probability", "type": "percent"},
                {"api_name": "stage", "type": "picklist", "values": STAGES},
                {"api_name": "account", "type": "lookup", "target": "account"},
                {
                    "api_name": "weighted_amount",
                    "type": "formula",
                    "return_type": "currency",
                    "expression": "amount * probability / 100",
                },
                {
                    "api_name": "is_won",
                    "type": "formula",
                    "return_type": "boolean",
                    "expression": "stage == 'won'",
                },
                {
                    "api_name": "sector",
                    "type": "formula",
                    "return_type": "text",
                    "expression": "account.industry",
                },
            ],
        },
    ]
    for body in objects:
        response = api.post("/admin/objects", json=body)
        assert response.status_code == 201, response.json()
    for body in (
        {
            "api_name": "weighted_total",
            "rollup": {"child": "deal", "field": "weighted_amount", "function": "sum"},
        },
        {
            "api_name": "won_deals",
            "rollup": {"child": "deal", "function": "count", "filter": {"stage": {"eq": "won"}}},
        },
    ):
        response = api.post(
            "/admin/objects/account/fields", json={"type": "rollup_summary", **body}
        )
        assert response.status_code == 201, response.json()
    return api


def create(api: Api, name: str, body: dict[str, Any]) -> str:
    response = api.post(f"/data/{name}", json=body)
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def read(api: Api, name: str, record: str) -> dict[str, Any]:
    return dict(api.get(f"/data/{name}/{record}").json())


def touched(plan: dict[str, Any]) -> dict[str, int]:
    return {
        f"{row['object']}.{row['field']}": row["rows"]
        for row in plan["impact"]["rows_touched"]
        if "recomputed" in row["reason"]
    }


def test_forcing_a_percent_to_integer_recomputes_the_formula_and_roll_up(crm: Api) -> None:
    acme = create(crm, "account", {"name": "Acme"})
    half = create(crm, "deal", {"account": acme, "amount": "1000", "probability": "50"})
    odd = create(crm, "deal", {"account": acme, "amount": "1000", "probability": "12.5"})
    # No amount: its weighted amount is blank before and after, yet its value changes.
    bare = create(crm, "deal", {"account": acme, "probability": "2.5"})
    assert read(crm, "account", acme)["weighted_total"] == "625.00"
    before = {i: read(crm, "deal", i)["version"] for i in (half, odd, bare)}
    account_version = read(crm, "account", acme)["version"]

    change = {"type": "integer"}
    plan = crm.patch(
        "/admin/objects/deal/fields/probability",
        params={"dry_run": "true", "force": "true"},
        json=change,
    ).json()
    assert touched(plan) == {"deal.weighted_amount": 3, "account.weighted_total": 1}
    assert any(
        op.startswith("recompute formula deal.weighted_amount") and "deal.probability" in op
        for op in plan["operations"]
    )
    assert read(crm, "deal", odd)["weighted_amount"] == "125.00"

    forced = crm.patch(
        "/admin/objects/deal/fields/probability", params={"force": "true"}, json=change
    )
    assert forced.status_code == 200, forced.json()
    assert read(crm, "deal", odd)["probability"] is None
    assert read(crm, "deal", odd)["weighted_amount"] is None
    assert read(crm, "deal", odd)["version"] > before[odd]
    assert read(crm, "deal", bare)["probability"] is None
    assert read(crm, "deal", bare)["version"] == before[bare] + 1
    assert read(crm, "deal", half)["version"] == before[half]
    assert read(crm, "account", acme)["weighted_total"] == "500.00"
    assert read(crm, "account", acme)["version"] > account_version


def test_removing_picklist_values_recomputes_formulas_and_filtered_roll_ups(crm: Api) -> None:
    acme = create(crm, "account", {"name": "Acme"})
    won = create(crm, "deal", {"account": acme, "stage": "won"})
    create(crm, "deal", {"account": acme, "stage": "open"})
    assert read(crm, "account", acme)["won_deals"] == 1
    forced = crm.patch(
        "/admin/objects/deal/fields/stage",
        params={"force": "true"},
        json={"values": [{"value": "open"}, {"value": "lost"}]},
    )
    assert forced.status_code == 200, forced.json()
    assert read(crm, "deal", won)["stage"] is None
    assert read(crm, "deal", won)["is_won"] is False
    assert read(crm, "account", acme)["won_deals"] == 0


def test_a_lookup_formula_follows_values_removed_from_the_record_it_reads(crm: Api) -> None:
    shop = create(crm, "account", {"name": "Shop", "industry": "retail"})
    bank = create(crm, "account", {"name": "Bank", "industry": "bank"})
    shop_deal = create(crm, "deal", {"account": shop})
    bank_deal = create(crm, "deal", {"account": bank})
    assert read(crm, "deal", shop_deal)["sector"] == "retail"
    change = {"values": [{"value": "tech"}, {"value": "bank"}]}
    plan = crm.patch(
        "/admin/objects/account/fields/industry",
        params={"dry_run": "true", "force": "true"},
        json=change,
    ).json()
    assert touched(plan) == {"deal.sector": 2}
    forced = crm.patch(
        "/admin/objects/account/fields/industry", params={"force": "true"}, json=change
    )
    assert forced.status_code == 200, forced.json()
    assert read(crm, "deal", shop_deal)["sector"] is None
    assert read(crm, "deal", bank_deal)["sector"] == "bank"


def test_a_default_filling_empty_values_recomputes_their_readers(crm: Api) -> None:
    acme = create(crm, "account", {"name": "Acme"})
    deal = create(crm, "deal", {"account": acme, "amount": "200"})
    assert read(crm, "deal", deal)["weighted_amount"] is None
    filled = crm.patch(
        "/admin/objects/deal/fields/probability", json={"required": True, "default": 10}
    )
    assert filled.status_code == 200, filled.json()
    assert read(crm, "deal", deal)["weighted_amount"] == "20.00"
    assert read(crm, "account", acme)["weighted_total"] == "20.00"


def test_records_whose_empty_values_a_default_fills_get_a_new_version(crm: Api) -> None:
    blank = create(crm, "account", {"industry": "tech"})
    named = create(crm, "account", {"name": "Acme"})
    before = {i: read(crm, "account", i)["version"] for i in (blank, named)}
    filled = crm.patch(
        "/admin/objects/account/fields/name", json={"required": True, "default": "unnamed"}
    )
    assert filled.status_code == 200, filled.json()
    assert read(crm, "account", blank)["name"] == "unnamed"
    assert read(crm, "account", blank)["version"] == before[blank] + 1
    assert read(crm, "account", named)["version"] == before[named]


def test_deleting_and_restoring_the_lookup_a_roll_up_follows_recomputes_it(api: Api) -> None:
    account = {"api_name": "account", "fields": [{"api_name": "name", "type": "text"}]}
    deal = {
        "api_name": "deal",
        "fields": [
            {"api_name": "owner_account", "type": "lookup", "target": "account"},
            {"api_name": "partner_account", "type": "lookup", "target": "account"},
        ],
    }
    for body in (account, deal):
        assert api.post("/admin/objects", json=body).status_code == 201
    count = {
        "api_name": "deal_count",
        "type": "rollup_summary",
        "rollup": {"child": "deal", "function": "count"},
    }
    assert api.post("/admin/objects/account/fields", json=count).status_code == 201
    owner = create(api, "account", {"name": "Owner"})
    partner = create(api, "account", {"name": "Partner"})
    create(api, "deal", {"owner_account": owner, "partner_account": partner})

    def counts() -> tuple[int, int]:
        return read(api, "account", owner)["deal_count"], read(api, "account", partner)[
            "deal_count"
        ]

    assert counts() == (1, 0)
    # Without its first lookup the roll-up follows the other one, and says so.
    plan = api.delete("/admin/objects/deal/fields/owner_account", params={"dry_run": "true"}).json()
    assert "compute roll-up account.deal_count for existing records" in plan["operations"]
    assert api.delete("/admin/objects/deal/fields/owner_account").status_code == 200
    assert counts() == (0, 1)
    restored = api.post("/admin/objects/deal/fields/owner_account/restore")
    assert restored.status_code == 200, restored.json()
    assert counts() == (1, 0)
