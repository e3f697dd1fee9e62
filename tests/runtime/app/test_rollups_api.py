"""Roll-up summaries through the API: kept right by every kind of child change."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

ACCOUNT = {"api_name": "account", "fields": [{"api_name": "name", "type": "text"}]}

DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "amount", "type": "currency"},
        {"api_name": "stage", "type": "text", "default": "open"},
        {"api_name": "close", "type": "date"},
        {"api_name": "account", "type": "lookup", "target": "account"},
    ],
    "validation_rules": [
        {
            "api_name": "no_negative_amount",
            "expression": "amount < 0",
            "message": "the amount cannot be negative",
            "field": "amount",
        }
    ],
}

ROLLUPS = [
    {"api_name": "deal_count", "rollup": {"child": "deal", "function": "count"}},
    {
        "api_name": "won_count",
        "rollup": {"child": "deal", "function": "count", "filter": {"stage": {"eq": "won"}}},
    },
    {"api_name": "total", "rollup": {"child": "deal", "field": "amount", "function": "sum"}},
    {
        "api_name": "won_total",
        "rollup": {
            "child": "deal",
            "field": "amount",
            "function": "sum",
            "filter": {"stage": {"eq": "won"}},
        },
    },
    {"api_name": "smallest", "rollup": {"child": "deal", "field": "amount", "function": "min"}},
    {"api_name": "largest", "rollup": {"child": "deal", "field": "amount", "function": "max"}},
    {
        "api_name": "largest_open",
        "rollup": {
            "child": "deal",
            "field": "amount",
            "function": "max",
            "filter": {"stage": {"ne": "won"}},
        },
    },
    {
        "api_name": "first_close",
        "return_type": "date",
        "rollup": {"child": "deal", "field": "close", "function": "min"},
    },
    {
        "api_name": "last_close",
        "return_type": "date",
        "rollup": {"child": "deal", "field": "close", "function": "max"},
    },
]

SUMMARY = tuple(r["api_name"] for r in ROLLUPS)
EMPTY = (0, 0, "0.00", "0.00", None, None, None, None, None)


@pytest.fixture
def crm(api: Api) -> Api:
    for body in (ACCOUNT, DEAL):
        response = api.post("/admin/objects", json=body)
        assert response.status_code == 201, response.json()
    for rollup in ROLLUPS:
        response = api.post(
            "/admin/objects/account/fields", json={"type": "rollup_summary", **rollup}
        )
        assert response.status_code == 201, response.json()
    formula = api.post(
        "/admin/objects/account/fields",
        json={
            "api_name": "is_key_account",
            "type": "formula",
            "return_type": "boolean",
            "expression": "won_total >= 1000",
        },
    )
    assert formula.status_code == 201, formula.json()
    return api


def account(api: Api, name: str = "Acme") -> str:
    response = api.post("/data/account", json={"name": name})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def deal(api: Api, account_id: str | None, amount: str, stage: str = "open", **extra: Any) -> str:
    body = {"account": account_id, "amount": amount, "stage": stage, **extra}
    response = api.post("/data/deal", json=body)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def summary(api: Api, account_id: str) -> tuple[Any, ...]:
    record = api.get(f"/data/account/{account_id}").json()
    return tuple(record[name] for name in SUMMARY)


def read(api: Api, account_id: str) -> dict[str, Any]:
    return api.get(f"/data/account/{account_id}").json()


def test_a_new_parent_has_empty_summaries(crm: Api) -> None:
    acme = account(crm)
    assert summary(crm, acme) == EMPTY
    assert read(crm, acme)["is_key_account"] is False
    batch = crm.post("/data/account/bulk", json=[{"name": "Bulk"}])
    assert batch.status_code == 200, batch.json()
    assert summary(crm, batch.json()["results"][0]["id"]) == EMPTY
    empty = crm.get("/data/account", params={"filter": '{"deal_count": {"eq": 0}}'}).json()
    assert len(empty["data"]) == 2


def test_summaries_follow_child_creation(crm: Api) -> None:
    acme, other = account(crm), account(crm, "Other")
    deal(crm, acme, "100", close="2026-05-01")
    assert summary(crm, acme) == (
        1,
        0,
        "100.00",
        "0.00",
        "100.00",
        "100.00",
        "100.00",
        "2026-05-01",
        "2026-05-01",
    )
    deal(crm, acme, "250.50", "won", close="2026-02-01")
    deal(crm, acme, "20", close="2026-09-30")
    deal(crm, None, "999")
    deal(crm, other, "5")
    assert summary(crm, acme) == (
        3,
        1,
        "370.50",
        "250.50",
        "20.00",
        "250.50",
        "100.00",
        "2026-02-01",
        "2026-09-30",
    )
    assert summary(crm, other)[:3] == (1, 0, "5.00")


def test_summaries_follow_a_change_of_the_aggregated_field(crm: Api) -> None:
    acme = account(crm)
    first = deal(crm, acme, "100")
    deal(crm, acme, "40")
    changed = crm.patch(f"/data/deal/{first}", json={"amount": "10"})
    assert changed.status_code == 200
    assert summary(crm, acme)[:7] == (2, 0, "50.00", "0.00", "10.00", "40.00", "40.00")
    crm.patch(f"/data/deal/{first}", json={"amount": None})
    assert summary(crm, acme)[:7] == (2, 0, "40.00", "0.00", "40.00", "40.00", "40.00")
    crm.patch(f"/data/deal/{first}", json={"close": "2026-01-01"})
    assert summary(crm, acme)[7:] == ("2026-01-01", "2026-01-01")


def test_summaries_follow_a_child_moving_in_and_out_of_the_filter(crm: Api) -> None:
    acme = account(crm)
    big = deal(crm, acme, "1200")
    deal(crm, acme, "300", "won")
    assert summary(crm, acme)[:4] == (2, 1, "1500.00", "300.00")
    assert read(crm, acme)["is_key_account"] is False

    crm.patch(f"/data/deal/{big}", json={"stage": "won"})
    assert summary(crm, acme)[:4] == (2, 2, "1500.00", "1500.00")
    assert summary(crm, acme)[6] is None
    assert read(crm, acme)["is_key_account"] is True

    crm.patch(f"/data/deal/{big}", json={"stage": "lost"})
    assert summary(crm, acme)[:4] == (2, 1, "1500.00", "300.00")
    assert summary(crm, acme)[6] == "1200.00"
    assert read(crm, acme)["is_key_account"] is False


def test_re_parenting_updates_the_old_and_the_new_parent(crm: Api) -> None:
    acme, beta = account(crm), account(crm, "Beta")
    moving = deal(crm, acme, "700", "won")
    deal(crm, acme, "50")
    deal(crm, beta, "5")
    moved = crm.patch(f"/data/deal/{moving}", json={"account": beta})
    assert moved.status_code == 200
    assert summary(crm, acme)[:6] == (1, 0, "50.00", "0.00", "50.00", "50.00")
    assert summary(crm, beta)[:6] == (2, 1, "705.00", "700.00", "5.00", "700.00")

    crm.patch(f"/data/deal/{moving}", json={"account": None})
    assert summary(crm, beta)[:6] == (1, 0, "5.00", "0.00", "5.00", "5.00")
    crm.patch(f"/data/deal/{moving}", json={"account": acme, "amount": "1000"})
    assert summary(crm, acme)[:6] == (2, 1, "1050.00", "1000.00", "50.00", "1000.00")
    assert read(crm, acme)["is_key_account"] is True


def test_deleting_children_updates_the_parent(crm: Api) -> None:
    acme = account(crm)
    first = deal(crm, acme, "10", "won", close="2026-01-01")
    second = deal(crm, acme, "20", close="2026-02-01")
    assert crm.delete(f"/data/deal/{first}").status_code in (200, 204)
    assert summary(crm, acme) == (
        1,
        0,
        "20.00",
        "0.00",
        "20.00",
        "20.00",
        "20.00",
        "2026-02-01",
        "2026-02-01",
    )
    crm.delete(f"/data/deal/{second}")
    assert summary(crm, acme) == EMPTY


def test_the_parents_version_moves_only_when_a_summary_changes(crm: Api) -> None:
    acme = account(crm)
    assert read(crm, acme)["version"] == 1
    child = deal(crm, acme, "10")
    after_create = read(crm, acme)
    assert after_create["version"] > 1
    assert after_create["updated_at"] >= after_create["created_at"]

    crm.patch(f"/data/deal/{child}", json={"name": "renamed"})
    assert read(crm, acme)["version"] == after_create["version"]

    crm.patch(f"/data/deal/{child}", json={"amount": "11"})
    after_update = read(crm, acme)["version"]
    assert after_update > after_create["version"]

    stale = crm.patch(
        f"/data/account/{acme}",
        json={"name": "Acme Ltd"},
        headers={"If-Match": str(after_create["version"])},
    )
    assert stale.status_code == 412


def test_bulk_creation_of_children_updates_the_parents(crm: Api) -> None:
    acme, beta = account(crm), account(crm, "Beta")
    response = crm.post(
        "/data/deal/bulk",
        json=[
            {"account": acme, "amount": "10"},
            {"account": beta, "amount": "20", "stage": "won"},
            {"account": acme, "amount": "30", "stage": "won"},
        ],
    )
    assert response.status_code == 200, response.json()
    assert summary(crm, acme)[:6] == (2, 1, "40.00", "30.00", "10.00", "30.00")
    assert summary(crm, beta)[:6] == (1, 1, "20.00", "20.00", "20.00", "20.00")


def test_a_refused_all_or_nothing_batch_leaves_the_parents_alone(crm: Api) -> None:
    acme = account(crm)
    deal(crm, acme, "10")
    version = read(crm, acme)["version"]
    response = crm.post(
        "/data/deal/bulk",
        json=[{"account": acme, "amount": "10"}, {"account": acme, "amount": "-1"}],
    )
    assert response.status_code == 422
    assert [e["rule"] for e in response.json()["errors"]] == ["no_negative_amount"]
    assert summary(crm, acme)[:3] == (1, 0, "10.00")
    assert read(crm, acme)["version"] == version


def test_a_partial_batch_counts_only_the_children_it_wrote(crm: Api) -> None:
    acme, beta = account(crm), account(crm, "Beta")
    response = crm.post(
        "/data/deal/bulk",
        params={"mode": "partial"},
        json=[
            {"account": acme, "amount": "10"},
            {"account": acme, "amount": "-5"},
            {"account": beta, "amount": "-7"},
            {"account": acme, "amount": "15", "stage": "won"},
        ],
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["errors"]) == (2, 2)
    assert [r["status"] for r in body["results"]] == ["created", "error", "error", "created"]
    assert summary(crm, acme)[:6] == (2, 1, "25.00", "15.00", "10.00", "15.00")
    assert summary(crm, beta) == EMPTY
    assert read(crm, beta)["version"] == 1


def test_a_bulk_upsert_that_re_parents_children_updates_both_parents(crm: Api) -> None:
    field = crm.post(
        "/admin/objects/deal/fields", json={"api_name": "ref", "type": "text", "unique": True}
    )
    assert field.status_code == 201
    acme, beta = account(crm), account(crm, "Beta")
    deal(crm, acme, "10", ref="D1")
    deal(crm, acme, "20", ref="D2")
    response = crm.post(
        "/data/deal/bulk",
        params={"upsert_on": "ref"},
        json=[{"ref": "D1", "account": beta}, {"ref": "D3", "account": beta, "amount": "5"}],
    )
    assert response.status_code == 200, response.json()
    assert summary(crm, acme)[:3] == (1, 0, "20.00")
    assert summary(crm, beta)[:3] == (2, 0, "15.00")


def test_a_date_roll_up_without_a_return_type_never_breaks_child_saves(crm: Api) -> None:
    acme = account(crm)
    response = crm.post(
        "/admin/objects/account/fields",
        json={
            "api_name": "next_close",
            "type": "rollup_summary",
            "rollup": {"child": "deal", "field": "close", "function": "min"},
        },
    )
    if response.status_code == 422:
        # Refused when saved, pointing at what to fix.
        pointers = {e["pointer"] for e in response.json()["errors"]}
        assert pointers & {"/return_type", "/rollup/field", "/rollup"}
        return
    assert response.status_code == 201, response.json()
    created = crm.post("/data/deal", json={"account": acme, "close": "2026-04-01"})
    assert created.status_code == 201, created.text
    assert read(crm, acme)["next_close"] == "2026-04-01"


# -- deletions that cascade through master-detail ---------------------------------------------


JUNCTION_OBJECTS = [
    {"api_name": "project", "fields": [{"api_name": "name", "type": "text"}]},
    {"api_name": "person", "fields": [{"api_name": "name", "type": "text"}]},
    {
        "api_name": "membership",
        "fields": [
            {"api_name": "project", "type": "master_detail", "target": "project"},
            {"api_name": "person", "type": "master_detail", "target": "person"},
            {"api_name": "hours", "type": "integer"},
        ],
    },
]

JUNCTION_ROLLUPS = {
    "project": [
        {"api_name": "member_count", "rollup": {"child": "membership", "function": "count"}},
    ],
    "person": [
        {"api_name": "project_count", "rollup": {"child": "membership", "function": "count"}},
        {
            "api_name": "hours",
            "rollup": {"child": "membership", "field": "hours", "function": "sum"},
        },
        {
            "api_name": "busiest",
            "rollup": {"child": "membership", "field": "hours", "function": "max"},
        },
    ],
}


@pytest.fixture
def staffing(api: Api) -> Api:
    for body in JUNCTION_OBJECTS:
        response = api.post("/admin/objects", json=body)
        assert response.status_code == 201, response.json()
    for parent, rollups in JUNCTION_ROLLUPS.items():
        for rollup in rollups:
            response = api.post(
                f"/admin/objects/{parent}/fields",
                json={"type": "rollup_summary", "return_type": "integer", **rollup},
            )
            assert response.status_code == 201, response.json()
    return api


def person_summary(api: Api, person_id: str) -> tuple[Any, Any, Any]:
    record = api.get(f"/data/person/{person_id}").json()
    return record["project_count"], record["hours"], record["busiest"]


def test_a_junction_feeds_both_of_its_parents(staffing: Api) -> None:
    api = staffing
    apollo = api.post("/data/project", json={"name": "Apollo"}).json()["id"]
    ada = api.post("/data/person", json={"name": "Ada"}).json()["id"]
    for hours in (10, 30):
        api.post("/data/membership", json={"project": apollo, "person": ada, "hours": hours})
    assert api.get(f"/data/project/{apollo}").json()["member_count"] == 2
    assert person_summary(api, ada) == (2, 40, 30)


def test_deleting_a_parent_updates_the_other_parents_of_its_cascaded_children(
    staffing: Api,
) -> None:
    api = staffing
    apollo = api.post("/data/project", json={"name": "Apollo"}).json()["id"]
    gemini = api.post("/data/project", json={"name": "Gemini"}).json()["id"]
    ada = api.post("/data/person", json={"name": "Ada"}).json()["id"]
    bob = api.post("/data/person", json={"name": "Bob"}).json()["id"]
    for project, person, hours in [
        (apollo, ada, 10),
        (apollo, bob, 20),
        (gemini, ada, 5),
        (apollo, ada, 7),
    ]:
        created = api.post(
            "/data/membership", json={"project": project, "person": person, "hours": hours}
        )
        assert created.status_code == 201, created.json()
    assert person_summary(api, ada) == (3, 22, 10)
    assert person_summary(api, bob) == (1, 20, 20)
    ada_version = api.get(f"/data/person/{ada}").json()["version"]

    assert api.delete(f"/data/project/{apollo}").status_code in (200, 204)
    assert api.get("/data/membership", params={"count": "true"}).json()["total"] == 1
    assert person_summary(api, ada) == (1, 5, 5)
    assert person_summary(api, bob) == (0, 0, None)
    assert api.get(f"/data/person/{ada}").json()["version"] > ada_version
    assert api.get(f"/data/project/{gemini}").json()["member_count"] == 1


def test_deleting_a_grandparent_updates_the_roll_ups_its_grandchildren_fed(api: Api) -> None:
    objects = [
        {"api_name": "customer", "fields": [{"api_name": "name", "type": "text"}]},
        {"api_name": "product", "fields": [{"api_name": "name", "type": "text"}]},
        {
            "api_name": "sale",
            "fields": [{"api_name": "customer", "type": "master_detail", "target": "customer"}],
        },
        {
            "api_name": "sale_line",
            "fields": [
                {"api_name": "sale", "type": "master_detail", "target": "sale"},
                {"api_name": "product", "type": "lookup", "target": "product"},
                {"api_name": "qty", "type": "integer"},
            ],
        },
    ]
    for body in objects:
        assert api.post("/admin/objects", json=body).status_code == 201
    added = api.post(
        "/admin/objects/product/fields",
        json={
            "api_name": "sold",
            "type": "rollup_summary",
            "return_type": "integer",
            "rollup": {"child": "sale_line", "field": "qty", "function": "sum"},
        },
    )
    assert added.status_code == 201, added.json()
    customer = api.post("/data/customer", json={"name": "C"}).json()["id"]
    widget = api.post("/data/product", json={"name": "widget"}).json()["id"]
    sale = api.post("/data/sale", json={"customer": customer}).json()["id"]
    api.post("/data/sale_line", json={"sale": sale, "product": widget, "qty": 4})
    api.post("/data/sale_line", json={"sale": sale, "product": widget, "qty": 3})
    assert api.get(f"/data/product/{widget}").json()["sold"] == 7

    assert api.delete(f"/data/customer/{customer}").status_code in (200, 204)
    assert api.get("/data/sale_line", params={"count": "true"}).json()["total"] == 0
    assert api.get(f"/data/product/{widget}").json()["sold"] == 0


def test_a_sum_of_finer_decimals_is_rounded_once_not_per_child(api: Api) -> None:
    assert api.post("/admin/objects", json=ACCOUNT).status_code == 201
    fine = {
        "api_name": "deal",
        "fields": [
            {"api_name": "amount", "type": "decimal", "precision": 12, "scale": 3},
            {"api_name": "account", "type": "lookup", "target": "account"},
        ],
    }
    assert api.post("/admin/objects", json=fine).status_code == 201
    for rollup in (
        {
            "api_name": "total",
            "scale": 2,
            "rollup": {"child": "deal", "field": "amount", "function": "sum"},
        },
        {
            "api_name": "whole_total",
            "return_type": "integer",
            "rollup": {"child": "deal", "field": "amount", "function": "sum"},
        },
    ):
        added = api.post("/admin/objects/account/fields", json={"type": "rollup_summary", **rollup})
        assert added.status_code == 201, added.json()
    one_by_one, at_once = account(api, "one by one"), account(api, "at once")
    for _ in range(4):
        api.post("/data/deal", json={"account": one_by_one, "amount": "0.005"})
    api.post("/data/deal/bulk", json=[{"account": at_once, "amount": "0.005"}] * 4)
    api.post("/data/deal", json={"account": one_by_one, "amount": "0.4"})
    api.post("/data/deal", json={"account": one_by_one, "amount": "0.4"})

    # 4 x 0.005 + 2 x 0.4 = 0.820 -> 0.82 (and 1 as a whole number), like a recalculation.
    stored = read(api, one_by_one)
    assert (stored["total"], stored["whole_total"]) == ("0.82", 1)
    assert read(api, at_once)["total"] == "0.02"
    for field in ("total", "whole_total"):
        rebuilt = api.post(f"/admin/objects/account/fields/{field}/recalculate")
        assert rebuilt.status_code == 200, rebuilt.json()
        assert rebuilt.json()["changed"] == 0


def test_a_roll_up_filtered_through_a_lookup_follows_the_looked_up_record(api: Api) -> None:
    objects = [
        {"api_name": "product", "fields": [{"api_name": "family", "type": "text"}]},
        ACCOUNT,
        {
            "api_name": "deal",
            "fields": [
                {"api_name": "product", "type": "lookup", "target": "product"},
                {"api_name": "account", "type": "lookup", "target": "account"},
            ],
        },
    ]
    for body in objects:
        assert api.post("/admin/objects", json=body).status_code == 201
    response = api.post(
        "/admin/objects/account/fields",
        json={
            "api_name": "hardware_deals",
            "type": "rollup_summary",
            "rollup": {
                "child": "deal",
                "function": "count",
                "filter": {"product.family": {"eq": "hardware"}},
            },
        },
    )
    if response.status_code == 422:
        # Refusing a filter the roll-up cannot keep current is a fair answer too.
        assert all(e["pointer"].startswith("/rollup") for e in response.json()["errors"])
        return
    assert response.status_code == 201, response.json()
    product = api.post("/data/product", json={"family": "hardware"}).json()["id"]
    acme = account(api)
    api.post("/data/deal", json={"product": product, "account": acme})
    assert read(api, acme)["hardware_deals"] == 1

    api.patch(f"/data/product/{product}", json={"family": "software"})
    assert read(api, acme)["hardware_deals"] == 0
    api.patch(f"/data/product/{product}", json={"family": "hardware"})
    assert read(api, acme)["hardware_deals"] == 1


def test_several_filtered_roll_ups_at_the_filter_size_limit_fold_a_new_child(api: Api) -> None:
    for body in (ACCOUNT, DEAL):
        assert api.post("/admin/objects", json=body).status_code == 201
    terms = 199  # each filter just under MAX_TERMS; together far past SQLite's depth
    for index in range(6):
        names = [f"s{index}-{term}" for term in range(terms)]
        response = api.post(
            "/admin/objects/account/fields",
            json={
                "api_name": f"count_{index}",
                "type": "rollup_summary",
                "rollup": {
                    "child": "deal",
                    "function": "count",
                    "filter": {"or": [{"stage": {"eq": name}} for name in names]},
                },
            },
        )
        assert response.status_code == 201, response.json()
    parent = account(api)
    deal(api, parent, "10.00", stage="s2-7")
    deal(api, parent, "5.00", stage="elsewhere")
    stored = read(api, parent)
    assert [stored[f"count_{index}"] for index in range(6)] == [0, 0, 1, 0, 0, 0]


# -- a child with two lookups to the parent: the roll-up's `link` -----------------------------


@pytest.fixture
def partners(api: Api) -> Api:
    """Deals with two lookups to account: `account` (followed by default) and `partner`."""
    deal_object = {
        "api_name": "deal",
        "fields": [
            {"api_name": "amount", "type": "integer"},
            {"api_name": "account", "type": "lookup", "target": "account"},
            {"api_name": "partner", "type": "lookup", "target": "account"},
        ],
    }
    for body in (ACCOUNT, deal_object):
        assert api.post("/admin/objects", json=body).status_code == 201
    for name, link in (("own_deals", None), ("partner_deals", "partner")):
        rollup = {"child": "deal", "field": "amount", "function": "sum"}
        body = {"api_name": name, "type": "rollup_summary", "return_type": "integer"}
        added = api.post(
            "/admin/objects/account/fields",
            json={**body, "rollup": {**rollup, **({"link": link} if link else {})}},
        )
        assert added.status_code == 201, added.json()
    return api


def sums(api: Api, *accounts: str) -> list[tuple[int, int]]:
    return [(read(api, a)["own_deals"], read(api, a)["partner_deals"]) for a in accounts]


def test_a_roll_up_follows_the_lookup_it_names(partners: Api) -> None:
    acme, globex = account(partners), account(partners, "Globex")
    first = partners.post("/data/deal", json={"amount": 5, "account": acme, "partner": globex})
    partners.post("/data/deal", json={"amount": 7, "account": globex, "partner": globex})
    assert sums(partners, acme, globex) == [(5, 0), (7, 12)]
    moved = partners.patch(f"/data/deal/{first.json()['id']}", json={"partner": acme})
    assert moved.status_code == 200, moved.json()
    assert sums(partners, acme, globex) == [(5, 5), (7, 7)]
    field = partners.get("/admin/objects/account/fields/partner_deals").json()
    assert field["rollup"]["link"] == "partner"


def test_pointing_a_roll_up_at_the_other_lookup_recomputes_it(partners: Api) -> None:
    acme, globex = account(partners), account(partners, "Globex")
    partners.post("/data/deal", json={"amount": 5, "account": acme, "partner": globex})
    rollup = {"child": "deal", "field": "amount", "function": "sum", "link": "account"}
    changed = partners.patch("/admin/objects/account/fields/partner_deals", json={"rollup": rollup})
    assert changed.status_code == 200, changed.json()
    assert sums(partners, acme, globex) == [(5, 5), (0, 0)]


def test_a_link_that_is_not_a_lookup_to_the_parent_is_refused(partners: Api) -> None:
    for link, code in (("amount", "not-a-link"), ("owner", "unknown-field")):
        rollup = {"child": "deal", "function": "count", "link": link}
        refused = partners.post(
            "/admin/objects/account/fields",
            json={"api_name": "linked", "type": "rollup_summary", "rollup": rollup},
        )
        assert refused.status_code == 422, refused.json()
        errors = refused.json()["errors"]
        assert [(e["pointer"], e["code"]) for e in errors] == [("/rollup/link", code)]


def test_the_lookup_a_roll_up_names_cannot_be_deleted(partners: Api) -> None:
    refused = partners.delete("/admin/objects/deal/fields/partner")
    assert refused.status_code == 409, refused.json()
    assert "roll-up account.partner_deals" in refused.json()["detail"]


def test_renaming_the_lookup_a_roll_up_names_renames_its_link(partners: Api) -> None:
    renamed = partners.patch("/admin/objects/deal/fields/partner", json={"api_name": "reseller"})
    assert renamed.status_code == 200, renamed.json()
    field = partners.get("/admin/objects/account/fields/partner_deals").json()
    assert field["rollup"]["link"] == "reseller"
    acme = account(partners)
    partners.post("/data/deal", json={"amount": 3, "reseller": acme})
    assert sums(partners, acme) == [(0, 3)]


def test_a_change_that_stops_the_named_lookup_leading_to_the_parent_is_refused(
    partners: Api,
) -> None:
    assert partners.post("/admin/objects", json={"api_name": "vendor"}).status_code == 201
    for patch, pointer in (({"target": "vendor"}, "/target"), ({"type": "text"}, "/type")):
        refused = partners.patch("/admin/objects/deal/fields/partner", json=patch)
        assert refused.status_code == 422, refused.json()
        errors = refused.json()["errors"]
        assert [(e["pointer"], e["code"]) for e in errors] == [(pointer, "not-a-link")]
        assert "account.partner_deals" in errors[0]["message"]
