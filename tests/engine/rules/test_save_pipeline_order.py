"""The order of the save pipeline (DESIGN decision 7), seen from what each stage can read.

Literal defaults, then expression defaults and auto-numbers, then formulas, then
validation, then the write, then roll-ups: each test shows one stage reading what an
earlier stage produced, or a failure leaving no trace of the later ones.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine import metadata_changes, records
from engine.errors import RecordValidationError
from engine.query import ListQuery
from metadata.models import FieldDef, ObjectDef
from tests.conftest import TenantHandle

PROBE_RULES = {
    "sees_literal_default": "stage == 'open'",
    "sees_expression_default": "code == 'OPEN-3'",
    "sees_formula": "total == 30",
    "sees_auto_number": "tag == 'D-0001:OPEN-3'",
    "sees_lookup_path": "account.name == 'Acme'",
}

DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "qty", "type": "integer"},
        {"api_name": "price", "type": "currency"},
        {"api_name": "stage", "type": "text", "default": "open"},
        {
            "api_name": "code",
            "type": "text",
            "default": {"expression": "CONCAT(UPPER(stage), '-', TEXT(qty))"},
        },
        {"api_name": "number", "type": "auto_number", "format": "D-{0000}"},
        {
            "api_name": "total",
            "type": "formula",
            "return_type": "currency",
            "expression": "price * qty",
        },
        {
            "api_name": "tag",
            "type": "formula",
            "return_type": "text",
            "expression": "CONCAT(number, ':', code)",
        },
        {"api_name": "account", "type": "lookup", "target": "account"},
    ],
    # Each rule fails only for records named "probe", when it sees the value it tests.
    "validation_rules": [
        {"api_name": name, "expression": f"name == 'probe' and {test}", "message": name}
        for name, test in PROBE_RULES.items()
    ],
}


@pytest.fixture
def tenant_with_deals(tenant: TenantHandle) -> TenantHandle:
    metadata_changes.create_object(
        tenant.context(),
        ObjectDef.model_validate(
            {"api_name": "account", "fields": [{"api_name": "name", "type": "text"}]}
        ),
    )
    metadata_changes.create_object(tenant.context(), ObjectDef.model_validate(DEAL))
    for field in (
        {"api_name": "deal_count", "rollup": {"child": "deal", "function": "count"}},
        {
            "api_name": "deal_total",
            "rollup": {"child": "deal", "field": "total", "function": "sum"},
        },
    ):
        metadata_changes.add_field(
            tenant.context(),
            "account",
            FieldDef.model_validate({"type": "rollup_summary", **field}),
        )
    return tenant


def create(tenant: TenantHandle, object_name: str, body: dict[str, Any]) -> dict[str, Any]:
    return records.create_record(tenant.context(), object_name, body)


def refused(tenant: TenantHandle, object_name: str, body: dict[str, Any]) -> RecordValidationError:
    with pytest.raises(RecordValidationError) as caught:
        records.create_record(tenant.context(), object_name, body)
    return caught.value


def deal_count(tenant: TenantHandle) -> int:
    page = records.query_records(tenant.context(), "deal", ListQuery(count=True))
    return int(page["total"])


def test_a_rule_sees_defaults_formulas_auto_numbers_and_lookup_paths(
    tenant_with_deals: TenantHandle,
) -> None:
    tenant = tenant_with_deals
    acme = create(tenant, "account", {"name": "Acme"})
    error = refused(
        tenant, "deal", {"name": "probe", "qty": 3, "price": "10", "account": acme["id"]}
    )
    assert {problem.rule for problem in error.problems} == set(PROBE_RULES)
    assert {problem.code for problem in error.problems} == {"validation-rule"}

    # The caller's stage flows into the expression default: now those two rules pass.
    error = refused(
        tenant,
        "deal",
        {"name": "probe", "qty": 3, "price": "10", "stage": "won", "account": acme["id"]},
    )
    assert {problem.rule for problem in error.problems} == {"sees_formula", "sees_lookup_path"}


def test_a_formula_sees_the_expression_default_and_the_auto_number(
    tenant_with_deals: TenantHandle,
) -> None:
    tenant = tenant_with_deals
    first = create(tenant, "deal", {"name": "a", "qty": 2, "price": "1.5"})
    assert (first["stage"], first["code"], first["number"]) == ("open", "OPEN-2", "D-0001")
    assert (first["total"], first["tag"]) == ("3.00", "D-0001:OPEN-2")
    second = create(tenant, "deal", {"name": "b", "qty": 1, "code": "MINE"})
    assert second["tag"] == "D-0002:MINE"
    assert second["total"] is None


def test_a_roll_up_sees_the_committed_child_and_its_formulas(
    tenant_with_deals: TenantHandle,
) -> None:
    tenant = tenant_with_deals
    acme = create(tenant, "account", {"name": "Acme"})
    child = create(tenant, "deal", {"name": "a", "qty": 2, "price": "10", "account": acme["id"]})
    parent = records.get_record(tenant.context(), "account", acme["id"])
    assert (parent["deal_count"], parent["deal_total"]) == (1, "20.00")

    records.update_record(tenant.context(), "deal", child["id"], {"qty": 5})
    parent = records.get_record(tenant.context(), "account", acme["id"])
    assert (parent["deal_count"], parent["deal_total"]) == (1, "50.00")


def test_a_failing_rule_writes_nothing(tenant_with_deals: TenantHandle) -> None:
    tenant = tenant_with_deals
    acme = create(tenant, "account", {"name": "Acme"})
    create(tenant, "deal", {"name": "kept", "qty": 1, "price": "7", "account": acme["id"]})
    before = records.get_record(tenant.context(), "account", acme["id"])

    refused(tenant, "deal", {"name": "probe", "qty": 3, "price": "10", "account": acme["id"]})

    assert deal_count(tenant) == 1
    after = records.get_record(tenant.context(), "account", acme["id"])
    assert (after["deal_count"], after["deal_total"], after["version"]) == (
        before["deal_count"],
        before["deal_total"],
        before["version"],
    )
    # The refused record's number was given back: the next record takes it.
    assert create(tenant, "deal", {"name": "next"})["number"] == "D-0002"


def test_a_failing_update_changes_neither_the_record_nor_its_parent(
    tenant_with_deals: TenantHandle,
) -> None:
    tenant = tenant_with_deals
    acme = create(tenant, "account", {"name": "Acme"})
    child = create(tenant, "deal", {"name": "a", "qty": 1, "price": "10", "account": acme["id"]})
    before = records.get_record(tenant.context(), "account", acme["id"])
    with pytest.raises(RecordValidationError) as caught:
        records.update_record(tenant.context(), "deal", child["id"], {"name": "probe", "qty": 3})
    assert {p.rule for p in caught.value.problems} == {
        "sees_literal_default",
        "sees_formula",
        "sees_lookup_path",
    }
    stored = records.get_record(tenant.context(), "deal", child["id"])
    assert (stored["name"], stored["qty"], stored["total"], stored["version"]) == (
        "a",
        1,
        "10.00",
        1,
    )
    after = records.get_record(tenant.context(), "account", acme["id"])
    assert (after["deal_total"], after["version"]) == (before["deal_total"], before["version"])


def test_a_failure_in_the_cascade_rolls_back_the_child_and_its_number(
    tenant_with_deals: TenantHandle,
) -> None:
    tenant = tenant_with_deals
    metadata_changes.add_field(
        tenant.context(),
        "account",
        FieldDef.model_validate(
            {
                "api_name": "total_check",
                "type": "formula",
                "return_type": "integer",
                "expression": "VALUE(IF(deal_total > 100, 'too much', '0'))",
            }
        ),
    )
    acme = create(tenant, "account", {"name": "Acme"})
    create(tenant, "deal", {"name": "small", "qty": 1, "price": "50", "account": acme["id"]})
    error = refused(tenant, "deal", {"name": "big", "qty": 1, "price": "80", "account": acme["id"]})
    assert any("total_check" in problem.detail for problem in error.problems)
    assert deal_count(tenant) == 1
    parent = records.get_record(tenant.context(), "account", acme["id"])
    assert (parent["deal_count"], parent["deal_total"]) == (1, "50.00")
    assert create(tenant, "deal", {"name": "next"})["number"] == "D-0002"


def test_an_all_or_nothing_batch_with_one_invalid_record_writes_nothing(
    tenant_with_deals: TenantHandle,
) -> None:
    tenant = tenant_with_deals
    acme = create(tenant, "account", {"name": "Acme"})
    with pytest.raises(RecordValidationError) as caught:
        records.bulk_write(
            tenant.context(),
            "deal",
            [
                {"name": "a", "qty": 1, "price": "1", "account": acme["id"]},
                {"name": "probe", "qty": 3, "price": "10", "account": acme["id"]},
                {"name": "c", "qty": 2, "price": "2", "account": acme["id"]},
            ],
        )
    problems = caught.value.problems
    assert {problem.rule for problem in problems} == set(PROBE_RULES) - {"sees_auto_number"}
    assert {problem.pointer for problem in problems} == {"/1"}
    assert deal_count(tenant) == 0
    parent = records.get_record(tenant.context(), "account", acme["id"])
    assert parent["version"] == acme["version"]
    assert (parent["deal_count"], parent["deal_total"]) == (0, "0.00")
    assert create(tenant, "deal", {"name": "next"})["number"] == "D-0001"


def test_a_partial_batch_writes_the_valid_records_and_reports_each_failing_rule(
    tenant_with_deals: TenantHandle,
) -> None:
    tenant = tenant_with_deals
    acme = create(tenant, "account", {"name": "Acme"})
    result = records.bulk_write(
        tenant.context(),
        "deal",
        [
            {"name": "a", "qty": 1, "price": "1", "account": acme["id"]},
            {"name": "probe", "qty": 3, "price": "10", "account": acme["id"]},
            {"name": "c", "qty": 2, "price": "2", "account": acme["id"]},
            {"name": "probe", "qty": 3, "price": "10", "stage": "won"},
        ],
        is_partial=True,
    ).as_dict()
    assert (result["created"], result["errors"]) == (2, 2)
    outcomes = result["results"]
    assert [o["status"] for o in outcomes] == ["created", "error", "created", "error"]
    assert {e["rule"] for e in outcomes[1]["errors"]} == set(PROBE_RULES) - {"sees_auto_number"}
    assert {e["rule"] for e in outcomes[3]["errors"]} == {"sees_formula"}
    assert {e["pointer"] for e in outcomes[1]["errors"]} == {"/1"}

    assert deal_count(tenant) == 2
    written = [records.get_record(tenant.context(), "deal", o["id"]) for o in outcomes[::2]]
    assert [(d["name"], d["total"]) for d in written] == [("a", "1.00"), ("c", "4.00")]
    assert all(d["tag"] == f"{d['number']}:OPEN-{d['qty']}" for d in written)
    parent = records.get_record(tenant.context(), "account", acme["id"])
    assert (parent["deal_count"], parent["deal_total"]) == (2, "5.00")
