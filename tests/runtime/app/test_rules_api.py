"""Formulas, expression defaults, validation rules and roll-ups through the HTTP API."""

from __future__ import annotations

from sqlalchemy import update

from engine.catalog import tenant_catalog
from engine.database import tenant_connection
from tests.conftest import Api

ACCOUNT = {
    "api_name": "account",
    "fields": [
        {"api_name": "name", "type": "text", "required": True},
        {"api_name": "industry", "type": "text"},
        {"api_name": "credit_limit", "type": "currency"},
        {
            "api_name": "deal_count",
            "type": "rollup_summary",
            "rollup": {"child": "deal", "function": "count"},
        },
        {
            "api_name": "open_amount",
            "type": "rollup_summary",
            "rollup": {
                "child": "deal",
                "field": "amount",
                "function": "sum",
                "filter": {"stage": {"ne": "lost"}},
            },
        },
        {
            "api_name": "over_limit",
            "type": "formula",
            "return_type": "boolean",
            "expression": "open_amount > credit_limit",
        },
    ],
}

DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "name", "type": "text", "required": True},
        {"api_name": "amount", "type": "currency"},
        {"api_name": "quantity", "type": "integer", "default": 1},
        {"api_name": "stage", "type": "text", "default": "open"},
        {
            "api_name": "close_date",
            "type": "date",
            "default": {"expression": "ADDDAYS(TODAY(), 30)"},
        },
        {"api_name": "account", "type": "lookup", "target": "account"},
        {
            "api_name": "total",
            "type": "formula",
            "return_type": "currency",
            "expression": "amount * quantity",
        },
        {
            "api_name": "label",
            "type": "formula",
            "return_type": "text",
            "expression": "CONCAT(UPPER(name), ' / ', account.industry)",
        },
    ],
    "validation_rules": [
        {
            "api_name": "positive_amount",
            "expression": "amount < 0",
            "message": "the amount cannot be negative",
            "field": "amount",
        },
        {
            "api_name": "big_needs_account",
            "expression": "total > 1000 and ISBLANK(account)",
            "message": "deals over 1,000 need an account",
            "field": "account",
        },
    ],
}


def setup_objects(api: Api) -> None:
    summaries = ("deal_count", "open_amount", "over_limit")
    base = {**ACCOUNT, "fields": [f for f in ACCOUNT["fields"] if f["api_name"] not in summaries]}
    for body in (base, DEAL):
        response = api.post("/admin/objects", json=body)
        assert response.status_code == 201, response.json()
    for field in ACCOUNT["fields"]:
        if field["api_name"] in summaries:
            response = api.post("/admin/objects/account/fields", json=field)
            assert response.status_code == 201, response.json()


def test_formulas_defaults_and_rules_apply_on_save(api: Api) -> None:
    setup_objects(api)
    account = api.post(
        "/data/account", json={"name": "Acme", "industry": "pharma", "credit_limit": "500"}
    ).json()
    deal = api.post(
        "/data/deal",
        json={"name": "big", "amount": "300.50", "quantity": 2, "account": account["id"]},
    )
    assert deal.status_code == 201, deal.json()["errors"]
    body = deal.json()
    assert body["total"] == "601.00"
    assert body["label"] == "BIG / pharma"
    assert body["close_date"] is not None
    account = api.get(f"/data/account/{account['id']}").json()
    assert account["deal_count"] == 1
    assert account["open_amount"] == "300.50"
    assert account["over_limit"] is False

    failed = api.post("/data/deal", json={"name": "bad", "amount": "-2000", "quantity": -1})
    assert failed.status_code == 422
    errors = failed.json()["errors"]
    assert {e["rule"] for e in errors} == {"positive_amount", "big_needs_account"}

    api.patch("/data/account/" + account["id"], json={"industry": "retail"})
    refreshed = api.get(f"/data/deal/{body['id']}").json()
    assert refreshed["label"] == "BIG / retail"


def test_renaming_a_field_rewrites_the_expressions_that_use_it(api: Api) -> None:
    setup_objects(api)
    plan = api.patch(
        "/admin/objects/deal/fields/amount", params={"dry_run": "true"}, json={"api_name": "value"}
    ).json()
    assert (
        "rewrite formula deal.total: 'amount * quantity' → 'value * quantity'" in plan["operations"]
    )
    assert api.get("/admin/objects/deal/fields/total").json()["expression"] == "amount * quantity"
    response = api.patch("/admin/objects/deal/fields/amount", json={"api_name": "value"})
    assert response.status_code == 200, response.json()
    rule = api.get("/admin/objects/deal/validation-rules/positive_amount").json()
    assert rule["expression"] == "value < 0"
    assert rule["field"] == "value"
    open_amount = api.get("/admin/objects/account/fields/open_amount").json()
    assert open_amount["rollup"]["field"] == "value"
    renamed = api.patch("/admin/objects/account/fields/industry", json={"api_name": "sector"})
    assert renamed.status_code == 200, renamed.json()
    label = api.get("/admin/objects/deal/fields/label").json()
    assert label["expression"] == "CONCAT(UPPER(name), ' / ', account.sector)"
    deal = api.post("/data/deal", json={"name": "x", "value": "5", "quantity": 3})
    assert deal.status_code == 201, deal.json()
    assert deal.json()["total"] == "15.00"


def test_deleting_a_field_in_use_is_refused_with_its_users(api: Api) -> None:
    setup_objects(api)
    response = api.delete("/admin/objects/deal/fields/quantity")
    assert response.status_code == 409
    assert "formula deal.total" in response.json()["dependents"]
    response = api.delete("/admin/objects/account/fields/industry")
    assert response.status_code == 409
    assert response.json()["dependents"] == ["formula deal.label"]
    response = api.delete("/admin/objects/deal/fields/stage")
    assert response.status_code == 409
    assert response.json()["dependents"] == ["roll-up account.open_amount"]


def test_new_computed_fields_are_computed_for_existing_records(api: Api) -> None:
    setup_objects(api)
    account = api.post("/data/account", json={"name": "Acme", "credit_limit": "100"}).json()
    for amount in ("40", "70"):
        api.post("/data/deal", json={"name": "d", "amount": amount, "account": account["id"]})
    plan = api.post(
        "/admin/objects/account/fields",
        params={"dry_run": "true"},
        json={
            "api_name": "biggest",
            "type": "rollup_summary",
            "rollup": {"child": "deal", "field": "amount", "function": "max"},
        },
    ).json()
    assert "compute roll-up account.biggest for existing records" in plan["operations"]
    assert {
        "object": "account",
        "field": "biggest",
        "reason": "roll-up computed for existing records",
        "rows": 1,
    } in plan["impact"]["rows_touched"]
    added = api.post(
        "/admin/objects/account/fields",
        json={
            "api_name": "biggest",
            "type": "rollup_summary",
            "rollup": {"child": "deal", "field": "amount", "function": "max"},
        },
    )
    assert added.status_code == 201, added.json()
    stored = api.get(f"/data/account/{account['id']}").json()
    assert stored["biggest"] == "70.00"
    assert stored["over_limit"] is True
    changed = api.patch(
        "/admin/objects/deal/fields/total", json={"expression": "amount * quantity * 2"}
    )
    assert changed.status_code == 200, changed.json()
    totals = sorted(d["total"] for d in api.get("/data/deal").json()["data"])
    assert totals == ["140.00", "80.00"]


def test_recalculate_rebuilds_a_rollup_after_rows_changed_behind_the_api(api: Api) -> None:
    setup_objects(api)
    account = api.post("/data/account", json={"name": "Acme", "credit_limit": "100"}).json()
    api.post("/data/deal", json={"name": "d", "amount": "40", "account": account["id"]})
    # A load straight into the table (as a migration tool would do) bypasses the pipeline.
    context = api.tenant.context()
    account_table = tenant_catalog(context).objects["account"].table
    with (
        tenant_connection(context.engine.db, context.tenant.schema_name, is_write=True) as c,
        c.begin(),
    ):
        c.execute(update(account_table).values(deal_count=99))
    assert api.get(f"/data/account/{account['id']}").json()["deal_count"] == 99
    response = api.post("/admin/objects/account/fields/deal_count/recalculate")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "object": "account",
        "field": "deal_count",
        "records": 1,
        "changed": 1,
        "dry_run": False,
    }
    assert api.get(f"/data/account/{account['id']}").json()["deal_count"] == 1
    refused = api.post("/admin/objects/account/fields/name/recalculate")
    assert refused.status_code == 422


def test_recalculate_as_a_dry_run_counts_and_changes_nothing(api: Api) -> None:
    setup_objects(api)
    account = api.post("/data/account", json={"name": "Acme", "credit_limit": "100"}).json()
    api.post("/data/deal", json={"name": "d", "amount": "40", "account": account["id"]})
    context = api.tenant.context()
    account_table = tenant_catalog(context).objects["account"].table
    with (
        tenant_connection(context.engine.db, context.tenant.schema_name, is_write=True) as c,
        c.begin(),
    ):
        c.execute(update(account_table).values(deal_count=99))
    response = api.post(
        "/admin/objects/account/fields/deal_count/recalculate", params={"dry_run": "true"}
    )
    assert response.json()["changed"] == 1
    assert response.json()["dry_run"] is True
    assert api.get(f"/data/account/{account['id']}").json()["deal_count"] == 99


def test_membership_in_a_blank_list_is_false_not_an_error(api: Api) -> None:
    created = api.post(
        "/admin/objects",
        json={
            "api_name": "lead",
            "fields": [
                {"api_name": "tags", "type": "multi_picklist", "values": [{"value": "vip"}]},
                {
                    "api_name": "is_vip",
                    "type": "formula",
                    "return_type": "boolean",
                    "expression": "'vip' in tags",
                },
                {
                    "api_name": "is_plain",
                    "type": "formula",
                    "return_type": "boolean",
                    "expression": "'vip' not in tags",
                },
            ],
        },
    )
    assert created.status_code == 201, created.json()
    blank = api.post("/data/lead", json={}).json()
    assert (blank["is_vip"], blank["is_plain"]) == (False, True)
    vip = api.post("/data/lead", json={"tags": ["vip"]}).json()
    assert (vip["is_vip"], vip["is_plain"]) == (True, False)


def test_a_required_field_with_a_default_expression_can_be_added(api: Api) -> None:
    setup_objects(api)
    body = {
        "api_name": "due_on",
        "type": "date",
        "required": True,
        "default": {"expression": "ADDDAYS(TODAY(), 30)"},
    }
    plan = api.post("/admin/objects/deal/fields", params={"dry_run": "true"}, json=body)
    assert plan.status_code == 200, plan.json()
    assert api.post("/admin/objects/deal/fields", json=body).status_code == 201
    api.post("/data/deal", json={"name": "x"})
    # Existing records without an amount cannot take a default that is computed per record.
    refused = api.patch(
        "/admin/objects/deal/fields/amount", json={"required": True, "default": {"expression": "1"}}
    )
    assert refused.status_code == 409, refused.json()
    assert refused.json()["blocking"][0]["rows"] == 1


def test_renaming_a_field_a_roll_up_filters_on_rewrites_it_without_recomputing(api: Api) -> None:
    setup_objects(api)
    plan = api.patch(
        "/admin/objects/deal/fields/stage", params={"dry_run": "true"}, json={"api_name": "phase"}
    ).json()
    rewrites = [line for line in plan["operations"] if line.startswith("rewrite roll-up")]
    before = (
        '{"child": "deal", "field": "amount", "function": "sum", '
        '"filter": {"stage": {"ne": "lost"}}}'
    )
    after = before.replace('"stage"', '"phase"')
    assert rewrites == [f"rewrite roll-up account.open_amount: {before!r} → {after!r}"]
    assert not any(line.startswith("compute") for line in plan["operations"])


def test_a_new_formula_that_reads_itself_is_a_cycle(api: Api) -> None:
    setup_objects(api)
    response = api.post(
        "/admin/objects/deal/fields",
        json={
            "api_name": "doubled",
            "type": "formula",
            "return_type": "integer",
            "expression": "doubled * 2",
        },
    )
    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/expression", "formula-cycle")
    ]


def test_the_plan_of_a_new_rule_counts_the_existing_records_it_would_refuse(api: Api) -> None:
    setup_objects(api)
    ids = [
        api.post("/data/deal", json={"name": name, "amount": amount}).json()["id"]
        for name, amount in (("a", "5"), ("b", "50"), ("c", "500"))
    ]
    rule = {"api_name": "minimum", "expression": "amount < 100", "message": "at least 100"}
    plan = api.post("/admin/objects/deal/validation-rules", params={"dry_run": "true"}, json=rule)
    assert plan.status_code == 200, plan.json()
    assert plan.json()["impact"]["rules"] == [
        {
            "object": "deal",
            "rule": "minimum",
            "records_checked": 3,
            "failing": 2,
            "not_evaluable": 0,
            "first_failing_ids": sorted(ids[:2]),
        }
    ]
    # The rule is still added: it refuses those records at their next save.
    assert api.post("/admin/objects/deal/validation-rules", json=rule).status_code == 201
    refused = api.patch(f"/data/deal/{ids[0]}", json={"name": "renamed"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["rule"] == "minimum"
