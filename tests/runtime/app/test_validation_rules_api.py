"""Validation rules through the admin API: changes, save-time checks, and what records see."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.conftest import Api

RULES = "/admin/objects/deal/validation-rules"

DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "amount", "type": "currency"},
        {"api_name": "stage", "type": "text"},
        {"api_name": "discount", "type": "integer"},
    ],
}

NEGATIVE = {
    "api_name": "no_negative_amount",
    "expression": "amount < 0",
    "message": "the amount cannot be negative",
    "field": "amount",
}
BIG_DISCOUNT = {
    "api_name": "discount_limit",
    "expression": "discount > 50",
    "message": "a discount above 50 needs approval",
    "field": "discount",
}


@pytest.fixture
def deals(api: Api) -> Api:
    response = api.post("/admin/objects", json=DEAL)
    assert response.status_code == 201, response.json()
    return api


def add_rule(api: Api, rule: dict[str, Any]) -> dict[str, Any]:
    response = api.post(RULES, json=rule)
    assert response.status_code == 201, response.json()
    return response.json()


def revision(api: Api) -> int:
    return api.get("/admin/metadata").json()["revision"]


def rule_names(api: Api) -> list[str]:
    return [rule["api_name"] for rule in api.get(RULES).json()["data"]]


def failing_rules(response: Any) -> set[str]:
    assert response.status_code == 422, response.json()
    return {error.get("rule") for error in response.json()["errors"]}


# -- changes of rules -------------------------------------------------------------------------


def test_a_created_rule_has_an_id_and_is_listed_in_order_and_readable(deals: Api) -> None:
    first = add_rule(deals, NEGATIVE)
    second = add_rule(deals, BIG_DISCOUNT)
    UUID(first["id"])
    assert first["id"] != second["id"]
    assert {k: first[k] for k in NEGATIVE} == NEGATIVE
    assert first["active"] is True

    listed = deals.get(RULES).json()["data"]
    assert [rule["api_name"] for rule in listed] == ["no_negative_amount", "discount_limit"]
    assert listed[0] == first

    fetched = deals.get(f"{RULES}/discount_limit")
    assert fetched.status_code == 200
    assert fetched.json() == second


def test_a_rule_is_enforced_on_create_and_update(deals: Api) -> None:
    add_rule(deals, NEGATIVE)
    refused = deals.post("/data/deal", json={"name": "a", "amount": "-1"})
    assert failing_rules(refused) == {"no_negative_amount"}
    [error] = refused.json()["errors"]
    assert error["message"] == "the amount cannot be negative"
    assert error["pointer"] == "/amount"

    created = deals.post("/data/deal", json={"name": "a", "amount": "5"})
    assert created.status_code == 201
    record_id = created.json()["id"]
    assert failing_rules(deals.patch(f"/data/deal/{record_id}", json={"amount": "-5"})) == {
        "no_negative_amount"
    }
    stored = deals.get(f"/data/deal/{record_id}").json()
    assert (stored["amount"], stored["version"]) == ("5.00", 1)


def test_patching_the_expression_message_and_activity_changes_what_records_see(
    deals: Api,
) -> None:
    add_rule(deals, NEGATIVE)
    changed = deals.patch(
        f"{RULES}/no_negative_amount",
        json={"expression": "amount > 1000", "message": "too large for this pipeline"},
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["expression"] == "amount > 1000"
    assert changed.json()["message"] == "too large for this pipeline"
    assert changed.json()["field"] == "amount"

    assert deals.post("/data/deal", json={"amount": "-1"}).status_code == 201
    refused = deals.post("/data/deal", json={"amount": "1001"})
    assert failing_rules(refused) == {"no_negative_amount"}
    assert refused.json()["errors"][0]["message"] == "too large for this pipeline"

    off = deals.patch(f"{RULES}/no_negative_amount", json={"active": False})
    assert off.status_code == 200
    assert off.json()["active"] is False
    assert deals.post("/data/deal", json={"amount": "1001"}).status_code == 201

    on = deals.patch(f"{RULES}/no_negative_amount", json={"active": True})
    assert on.json()["active"] is True
    assert failing_rules(deals.post("/data/deal", json={"amount": "1001"})) == {
        "no_negative_amount"
    }


def test_a_renamed_rule_keeps_its_id_and_reports_its_new_name(deals: Api) -> None:
    created = add_rule(deals, NEGATIVE)
    renamed = deals.patch(f"{RULES}/no_negative_amount", json={"api_name": "amount_positive"})
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["id"] == created["id"]
    assert renamed.json()["api_name"] == "amount_positive"
    assert deals.get(f"{RULES}/no_negative_amount").status_code == 404
    assert deals.get(f"{RULES}/amount_positive").json()["id"] == created["id"]
    assert rule_names(deals) == ["amount_positive"]
    assert failing_rules(deals.post("/data/deal", json={"amount": "-1"})) == {"amount_positive"}


def test_a_rename_onto_another_rules_name_is_refused(deals: Api) -> None:
    add_rule(deals, NEGATIVE)
    add_rule(deals, BIG_DISCOUNT)
    response = deals.patch(f"{RULES}/discount_limit", json={"api_name": "no_negative_amount"})
    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/api_name", "name-taken")
    ]
    assert rule_names(deals) == ["no_negative_amount", "discount_limit"]


def test_a_deleted_rule_no_longer_applies(deals: Api) -> None:
    created = add_rule(deals, NEGATIVE)
    add_rule(deals, BIG_DISCOUNT)
    response = deals.delete(f"{RULES}/no_negative_amount")
    assert response.status_code in (200, 204)
    if response.status_code == 200:
        assert response.json()["id"] == created["id"]
    assert deals.get(f"{RULES}/no_negative_amount").status_code == 404
    assert rule_names(deals) == ["discount_limit"]
    assert deals.post("/data/deal", json={"amount": "-1"}).status_code == 201
    assert deals.delete(f"{RULES}/no_negative_amount").status_code == 404


def test_a_duplicate_rule_name_is_refused(deals: Api) -> None:
    add_rule(deals, NEGATIVE)
    response = deals.post(RULES, json={**BIG_DISCOUNT, "api_name": "no_negative_amount"})
    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/api_name", "name-taken")
    ]
    assert rule_names(deals) == ["no_negative_amount"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{RULES}/nope"),
        ("PATCH", f"{RULES}/nope"),
        ("DELETE", f"{RULES}/nope"),
        ("GET", "/admin/objects/ghost/validation-rules"),
        ("POST", "/admin/objects/ghost/validation-rules"),
        ("GET", "/admin/objects/ghost/validation-rules/no_negative_amount"),
        ("PATCH", "/admin/objects/ghost/validation-rules/no_negative_amount"),
        ("DELETE", "/admin/objects/ghost/validation-rules/no_negative_amount"),
    ],
)
def test_an_unknown_rule_or_object_is_404(deals: Api, method: str, path: str) -> None:
    add_rule(deals, NEGATIVE)
    body = NEGATIVE if method == "POST" else {"message": "x"} if method == "PATCH" else None
    response = deals.request(method, path, json=body)
    assert response.status_code == 404, response.json()
    assert response.json()["type"] == "/problems/not-found"


def test_dry_runs_return_the_plan_and_change_nothing(deals: Api) -> None:
    add_rule(deals, NEGATIVE)
    before = revision(deals)

    added = deals.post(RULES, params={"dry_run": "true"}, json=BIG_DISCOUNT)
    assert added.status_code == 200, added.json()
    assert added.json()["dry_run"] is True
    assert added.json()["result"]["api_name"] == "discount_limit"
    assert "classification" in added.json()

    patched = deals.patch(
        f"{RULES}/no_negative_amount", params={"dry_run": "true"}, json={"active": False}
    )
    assert patched.status_code == 200
    assert patched.json()["dry_run"] is True
    assert patched.json()["result"]["active"] is False

    deleted = deals.delete(f"{RULES}/no_negative_amount", params={"dry_run": "true"})
    assert deleted.status_code == 200
    assert deleted.json()["dry_run"] is True

    assert revision(deals) == before
    assert rule_names(deals) == ["no_negative_amount"]
    assert deals.get(f"{RULES}/no_negative_amount").json()["active"] is True
    assert deals.post("/data/deal", json={"discount": 90}).status_code == 201
    assert failing_rules(deals.post("/data/deal", json={"amount": "-1"})) == {"no_negative_amount"}


def test_a_dry_run_of_an_invalid_rule_reports_its_problems(deals: Api) -> None:
    response = deals.post(
        RULES, params={"dry_run": "true"}, json={**NEGATIVE, "expression": "amont < 0"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "unknown-field"


def test_the_metadata_export_and_the_object_list_their_rules(deals: Api) -> None:
    first = add_rule(deals, NEGATIVE)
    second = add_rule(deals, {**BIG_DISCOUNT, "active": False})
    exported = deals.get("/admin/metadata").json()
    [deal] = [obj for obj in exported["objects"] if obj["api_name"] == "deal"]
    assert deal["validation_rules"] == [first, second]
    assert deal["validation_rules"][1]["active"] is False
    assert deals.get("/admin/objects/deal").json()["validation_rules"] == [first, second]


def test_rules_declared_with_the_object_are_checked_and_enforced(api: Api) -> None:
    bad = api.post(
        "/admin/objects",
        json={**DEAL, "validation_rules": [NEGATIVE, {**BIG_DISCOUNT, "expression": "discont"}]},
    )
    assert bad.status_code == 422
    assert [(e["pointer"], e["code"]) for e in bad.json()["errors"]] == [
        ("/validation_rules/1/expression", "unknown-field")
    ]
    assert api.get("/admin/objects/deal").status_code == 404

    good = api.post("/admin/objects", json={**DEAL, "validation_rules": [NEGATIVE, BIG_DISCOUNT]})
    assert good.status_code == 201
    assert [r["api_name"] for r in good.json()["validation_rules"]] == [
        "no_negative_amount",
        "discount_limit",
    ]
    assert failing_rules(api.post("/data/deal", json={"discount": 51})) == {"discount_limit"}


def test_a_renamed_field_is_renamed_in_the_rules_that_read_it(deals: Api) -> None:
    add_rule(deals, NEGATIVE)
    renamed = deals.patch("/admin/objects/deal/fields/amount", json={"api_name": "value"})
    assert renamed.status_code == 200, renamed.json()
    rule = deals.get(f"{RULES}/no_negative_amount").json()
    assert (rule["expression"], rule["field"]) == ("value < 0", "value")
    refused = deals.post("/data/deal", json={"value": "-3"})
    assert failing_rules(refused) == {"no_negative_amount"}
    assert refused.json()["errors"][0]["pointer"] == "/value"
    assert deals.post("/data/deal", json={"value": "3"}).status_code == 201


def test_a_field_a_rule_reads_cannot_be_deleted(deals: Api) -> None:
    add_rule(deals, BIG_DISCOUNT)
    response = deals.delete("/admin/objects/deal/fields/discount")
    assert response.status_code == 409
    assert "discount_limit" in response.json()["detail"]
    assert deals.get("/admin/objects/deal/fields/discount").status_code == 200
    assert failing_rules(deals.post("/data/deal", json={"discount": 51})) == {"discount_limit"}


# -- save-time checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "code", "fragments"),
    [
        ("amount +* 2 > 1", "syntax-error", ["syntax error", "(line 1, column 9)"]),
        (
            "amount > 0 and amont < 0",
            "unknown-field",
            ["unknown field 'amont'", "did you mean 'amount'?", "(line 1, column 16)"],
        ),
        (
            "amount > 0 and ISBLANKK(stage)",
            "unknown-function",
            ["unknown function ISBLANKK", "did you mean 'ISBLANK'?", "(line 1, column 16)"],
        ),
        (
            "stage == 'won' and ISBLANK(amount, stage)",
            "wrong-arity",
            ["ISBLANK takes 1 argument(s), not 2", "(line 1, column 20)"],
        ),
        ("amount * 2", "wrong-kind", ["must be true or false", "number"]),
        ("CONCAT(stage, 'x')", "wrong-kind", ["must be true or false", "text"]),
        ("ISCHANGED(amount + 1)", "field-expected", ["ISCHANGED(amount)"]),
    ],
)
def test_a_rule_that_does_not_check_is_refused_with_its_position(
    deals: Api, expression: str, code: str, fragments: list[str]
) -> None:
    add_rule(deals, {**NEGATIVE, "api_name": "kept"})
    added = deals.post(RULES, json={**NEGATIVE, "expression": expression})
    patched = deals.patch(f"{RULES}/kept", json={"expression": expression})
    for response in (added, patched):
        assert response.status_code == 422, response.json()
        errors = response.json()["errors"]
        assert [(e["pointer"], e["code"]) for e in errors] == [("/expression", code)]
        for fragment in fragments:
            assert fragment in errors[0]["message"]
    assert rule_names(deals) == ["kept"]
    assert deals.get(f"{RULES}/kept").json()["expression"] == "amount < 0"


def test_a_refused_rule_is_not_added(deals: Api) -> None:
    response = deals.post(RULES, json={**NEGATIVE, "expression": "amount * 2"})
    assert response.status_code == 422
    assert rule_names(deals) == []
    assert deals.post("/data/deal", json={"amount": "1"}).status_code == 201


def test_record_context_functions_are_accepted_and_behave(deals: Api) -> None:
    add_rule(
        deals,
        {
            "api_name": "won_amount_locked",
            "expression": "ISCHANGED(amount) and PRIORVALUE(stage) == 'won'",
            "message": "the amount of a won deal cannot change",
            "field": "amount",
        },
    )
    add_rule(
        deals,
        {
            "api_name": "no_new_won",
            "expression": "ISNEW() and stage == 'won'",
            "message": "a deal cannot be created as won",
            "field": "stage",
        },
    )
    assert failing_rules(deals.post("/data/deal", json={"stage": "won"})) == {"no_new_won"}

    deal = deals.post("/data/deal", json={"stage": "open", "amount": "10"}).json()
    path = f"/data/deal/{deal['id']}"
    # The prior stage is "open": the amount may change, and the stage may become won.
    assert deals.patch(path, json={"amount": "20", "stage": "won"}).status_code == 200
    assert failing_rules(deals.patch(path, json={"amount": "30"})) == {"won_amount_locked"}
    # Not a creation, and the amount does not change: both rules pass.
    assert deals.patch(path, json={"name": "renamed", "amount": "20"}).status_code == 200
    assert deals.get(path).json()["amount"] == "20.00"


def test_an_inactive_rule_does_not_fire(deals: Api) -> None:
    created = add_rule(deals, {**NEGATIVE, "active": False})
    assert created["active"] is False
    response = deals.post("/data/deal", json={"amount": "-1"})
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "-1.00"


def test_a_rule_shown_at_an_unknown_field_is_refused(deals: Api) -> None:
    response = deals.post(RULES, json={**NEGATIVE, "field": "amont"})
    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/field", "unknown-field")
    ]
    add_rule(deals, NEGATIVE)
    patched = deals.patch(f"{RULES}/no_negative_amount", json={"field": "ghost"})
    assert patched.status_code == 422
    assert [(e["pointer"], e["code"]) for e in patched.json()["errors"]] == [
        ("/field", "unknown-field")
    ]
    assert deals.get(f"{RULES}/no_negative_amount").json()["field"] == "amount"


# -- what a failing record reports ------------------------------------------------------------


def test_every_failing_rule_is_reported_together(deals: Api) -> None:
    add_rule(deals, NEGATIVE)
    add_rule(deals, BIG_DISCOUNT)
    add_rule(
        deals,
        {
            "api_name": "needs_a_name",
            "expression": "ISBLANK(name) and stage == 'won'",
            "message": "a won deal needs a name",
        },
    )
    add_rule(
        deals,
        {
            "api_name": "never_fails",
            "expression": "amount > 1000000",
            "message": "unreachable",
            "field": "amount",
        },
    )
    response = deals.post("/data/deal", json={"amount": "-1", "discount": 60, "stage": "won"})
    assert response.status_code == 422
    errors = sorted(response.json()["errors"], key=lambda e: e["rule"])
    assert [(e["rule"], e["pointer"], e["field"], e["message"]) for e in errors] == [
        ("discount_limit", "/discount", "discount", "a discount above 50 needs approval"),
        ("needs_a_name", "", "", "a won deal needs a name"),
        ("no_negative_amount", "/amount", "amount", "the amount cannot be negative"),
    ]
    assert deals.get("/data/deal", params={"count": "true"}).json()["total"] == 0


def test_a_record_level_rule_has_an_empty_pointer(deals: Api) -> None:
    add_rule(
        deals,
        {
            "api_name": "discount_needs_amount",
            "expression": "discount > 0 and ISBLANK(amount)",
            "message": "a discount needs an amount",
        },
    )
    assert "field" not in deals.get(f"{RULES}/discount_needs_amount").json()
    response = deals.post("/data/deal", json={"discount": 5})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["pointer"], error["rule"]) == ("", "discount_needs_amount")
    moved = deals.patch(f"{RULES}/discount_needs_amount", json={"field": "discount"})
    assert moved.status_code == 200
    [error] = deals.post("/data/deal", json={"discount": 5}).json()["errors"]
    assert error["pointer"] == "/discount"


def test_a_rule_that_cannot_be_evaluated_refuses_the_record_and_names_the_rule(
    deals: Api,
) -> None:
    add_rule(
        deals,
        {
            "api_name": "numeric_stage",
            "expression": "VALUE(stage) > 5",
            "message": "stage numbers stop at 5",
            "field": "stage",
        },
    )
    broken = deals.post("/data/deal", json={"stage": "abc"})
    assert broken.status_code == 422
    [error] = broken.json()["errors"]
    assert (error["rule"], error["code"], error["pointer"]) == (
        "numeric_stage",
        "rule-failed",
        "/stage",
    )
    assert "numeric_stage" in error["message"]
    failing = deals.post("/data/deal", json={"stage": "7"})
    assert [(e["rule"], e["code"]) for e in failing.json()["errors"]] == [
        ("numeric_stage", "validation-rule")
    ]
    assert deals.post("/data/deal", json={"stage": "3"}).status_code == 201
    assert deals.get("/data/deal", params={"count": "true"}).json()["total"] == 1
