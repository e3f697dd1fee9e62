"""Roll-ups that no longer fit their field: a 422 naming the field and the record.

Whatever path computes the value (a fold of new children, a recount after an update,
a bulk write, a cascade to a grandparent, a recalculation or a metadata change), the
write is refused and nothing of it stays.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update

from engine.catalog import tenant_catalog
from engine.database import tenant_connection
from tests.conftest import Api

BIG_INTEGER = 2**62
#: The largest amount a currency roll-up of precision 10 holds.
NARROW_LIMIT = "99999999.99"


@pytest.fixture
def crm(api: Api) -> Api:
    objects = [
        {"api_name": "region", "fields": [{"api_name": "name", "type": "text"}]},
        {
            "api_name": "account",
            "fields": [
                {"api_name": "name", "type": "text"},
                {"api_name": "region", "type": "lookup", "target": "region"},
            ],
        },
        {
            "api_name": "deal",
            "fields": [
                {"api_name": "amount", "type": "currency"},
                {"api_name": "units", "type": "integer"},
                {"api_name": "account", "type": "lookup", "target": "account"},
            ],
        },
    ]
    for body in objects:
        assert api.post("/admin/objects", json=body).status_code == 201
    rollups = [
        (
            "account",
            {
                "api_name": "narrow_total",
                "return_type": "currency",
                "precision": 10,
                "scale": 2,
                "rollup": {"child": "deal", "field": "amount", "function": "sum"},
            },
        ),
        (
            "account",
            {
                "api_name": "total",
                "rollup": {"child": "deal", "field": "amount", "function": "sum"},
            },
        ),
        (
            "account",
            {"api_name": "units", "rollup": {"child": "deal", "field": "units", "function": "sum"}},
        ),
        (
            "region",
            {
                "api_name": "narrow_total",
                "return_type": "currency",
                "precision": 9,
                "scale": 2,
                "rollup": {"child": "account", "field": "total", "function": "sum"},
            },
        ),
    ]
    for parent, body in rollups:
        response = api.post(
            f"/admin/objects/{parent}/fields", json={"type": "rollup_summary", **body}
        )
        assert response.status_code == 201, response.json()
    return api


def create(api: Api, name: str, body: dict[str, Any]) -> str:
    response = api.post(f"/data/{name}", json=body)
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def assert_overflow(response: Any, parent: str, field: str, record: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [
        (f"/{field}", "rollup-overflow")
    ]
    assert f"{parent}.{field}" in problem["detail"]
    assert record in problem["detail"]


def snapshot(api: Api) -> dict[str, Any]:
    return {
        name: sorted(
            (r["id"], r["version"], {k: v for k, v in r.items() if k != "updated_at"}.__repr__())
            for r in api.get(f"/data/{name}", params={"limit": "200"}).json()["data"]
        )
        for name in ("region", "account", "deal")
    }


def test_the_sum_of_a_currency_keeps_its_scale_with_the_widest_precision(crm: Api) -> None:
    field = crm.get("/admin/objects/account/fields/total").json()
    assert (field["return_type"], field["precision"], field["scale"]) == ("currency", 18, 2)
    units = crm.get("/admin/objects/account/fields/units").json()
    assert units["return_type"] == "integer"


def test_a_new_child_that_overflows_its_parents_sum_is_refused(crm: Api) -> None:
    acme = create(crm, "account", {"name": "Acme"})
    create(crm, "deal", {"account": acme, "amount": NARROW_LIMIT})
    before = snapshot(crm)
    refused = crm.post("/data/deal", json={"account": acme, "amount": "0.01"})
    assert_overflow(refused, "account", "narrow_total", acme)
    batch = crm.post("/data/deal/bulk", json=[{"account": acme, "amount": "0.01"}] * 2)
    assert_overflow(batch, "account", "narrow_total", acme)
    assert snapshot(crm) == before


def test_an_update_that_overflows_its_parents_sum_is_refused(crm: Api) -> None:
    acme = create(crm, "account", {"name": "Acme"})
    create(crm, "deal", {"account": acme, "amount": NARROW_LIMIT})
    small = create(crm, "deal", {"account": acme, "amount": "0"})
    before = snapshot(crm)
    refused = crm.patch(f"/data/deal/{small}", json={"amount": "0.01"})
    assert_overflow(refused, "account", "narrow_total", acme)
    assert snapshot(crm) == before


def test_an_integer_sum_past_64_bits_is_refused_on_every_path(crm: Api) -> None:
    acme = create(crm, "account", {"name": "Acme"})
    create(crm, "deal", {"account": acme, "units": BIG_INTEGER})
    create(crm, "deal", {"account": acme, "units": BIG_INTEGER - 1})
    last = create(crm, "deal", {"account": acme, "units": 0})
    before = snapshot(crm)
    assert crm.get(f"/data/account/{acme}").json()["units"] == 2**63 - 1
    assert_overflow(
        crm.post("/data/deal", json={"account": acme, "units": 1}), "account", "units", acme
    )
    other = create(crm, "account", {"name": "Other"})
    before = snapshot(crm)
    batch = crm.post("/data/deal/bulk", json=[{"account": other, "units": BIG_INTEGER}] * 2)
    assert_overflow(batch, "account", "units", other)
    assert_overflow(crm.patch(f"/data/deal/{last}", json={"units": 1}), "account", "units", acme)
    assert snapshot(crm) == before


def test_an_overflow_two_levels_up_is_refused(crm: Api) -> None:
    north = create(crm, "region", {"name": "North"})
    acme = create(crm, "account", {"name": "Acme", "region": north})
    beta = create(crm, "account", {"name": "Beta", "region": north})
    create(crm, "deal", {"account": acme, "amount": "6000000"})
    before = snapshot(crm)
    refused = crm.post("/data/deal", json={"account": beta, "amount": "5000000"})
    assert_overflow(refused, "region", "narrow_total", north)
    assert snapshot(crm) == before


def test_a_recalculation_that_overflows_is_refused_and_changes_nothing(crm: Api) -> None:
    acme = create(crm, "account", {"name": "Acme"})
    deal = create(crm, "deal", {"account": acme, "amount": "5"})
    context = crm.tenant.context()
    table = tenant_catalog(context).objects["deal"].table
    with (
        tenant_connection(context.engine.db, context.tenant.schema_name, is_write=True) as conn,
        conn.begin(),
    ):
        conn.execute(update(table).where(table.c.id == UUID(deal)).values(amount=10**9))
    before = snapshot(crm)
    refused = crm.post("/admin/objects/account/fields/narrow_total/recalculate")
    assert_overflow(refused, "account", "narrow_total", acme)
    assert snapshot(crm) == before


def test_a_new_roll_up_that_cannot_hold_existing_sums_is_refused(crm: Api) -> None:
    acme = create(crm, "account", {"name": "Acme"})
    create(crm, "deal", {"account": acme, "amount": "1000"})
    refused = crm.post(
        "/admin/objects/account/fields",
        json={
            "api_name": "tiny_total",
            "type": "rollup_summary",
            "return_type": "currency",
            "precision": 4,
            "scale": 2,
            "rollup": {"child": "deal", "field": "amount", "function": "sum"},
        },
    )
    assert_overflow(refused, "account", "tiny_total", acme)
    assert crm.get("/admin/objects/account/fields/tiny_total").status_code == 404


def test_a_min_roll_up_over_text_is_refused_when_saved(crm: Api) -> None:
    added = crm.post("/admin/objects/deal/fields", json={"api_name": "code", "type": "text"})
    assert added.status_code == 201, added.json()
    response = crm.post(
        "/admin/objects/account/fields",
        json={
            "api_name": "first_code",
            "type": "rollup_summary",
            "rollup": {"child": "deal", "field": "code", "function": "min"},
        },
    )
    assert response.status_code == 422, response.json()
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert pointers and all(p.startswith(("/return_type", "/rollup")) for p in pointers)
