"""The per-request budget over HTTP: what stops a request, what it answers, what it writes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.budget import RequestLimits
from engine.context import EngineContext
from runtime.app import create_app
from tests.conftest import Api, TenantHandle

ACCOUNT = {
    "api_name": "account",
    "fields": [{"api_name": "name", "type": "text", "unique": True}],
}
CONTACT = {
    "api_name": "contact",
    "fields": [
        {"api_name": "name", "type": "text"},
        {"api_name": "company", "type": "text"},
        {"api_name": "code", "type": "text", "max_length": 200},
        {"api_name": "pattern", "type": "text", "max_length": 2000},
        {
            "api_name": "label",
            "type": "formula",
            "return_type": "text",
            "expression": "CONCAT(UPPER(name), ' at ', company)",
        },
    ],
    "validation_rules": [
        {
            "api_name": "known_company",
            "expression": "company and not EXISTS_RECORD('account', {'name': company})",
            "message": "the company is not an account",
        },
        {
            "api_name": "code_shape",
            "expression": "code and pattern and not REGEX(code, pattern)",
            "message": "the code does not have the shape of the pattern",
        },
    ],
}

LimitedApi = Callable[[RequestLimits], Api]


@pytest.fixture
def limited_api(engine_context: EngineContext, tenant: TenantHandle) -> Iterator[LimitedApi]:
    """The API of one tenant (with accounts and contacts) on a server with the given limits."""
    clients: list[TestClient] = []
    setup = TestClient(create_app(engine_context))
    with setup:
        admin = Api(client=setup, tenant=tenant)
        for obj in (ACCOUNT, CONTACT):
            response = admin.post("/admin/objects", json=obj)
            assert response.status_code == 201, response.text

    def build(limits: RequestLimits) -> Api:
        client = TestClient(create_app(dataclasses.replace(engine_context, limits=limits)))
        client.__enter__()
        clients.append(client)
        return Api(client=client, tenant=tenant)

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def contact_count(api: Api) -> int:
    return int(api.get("/data/contact", params={"count": "true", "limit": 1}).json()["total"])


def assert_budget_problem(response: Any, *, limit: str, value: float, setting: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/request-budget-exceeded"
    assert (body["limit"], body["value"], body["setting"]) == (limit, value, setting)
    assert "nothing was written" in body["detail"] and setting in body["detail"]


def test_a_bulk_whose_rules_query_too_often_is_refused_and_writes_nothing(
    limited_api: LimitedApi,
) -> None:
    api = limited_api(RequestLimits(statements=50))
    assert api.post("/data/account", json={"name": "Acme"}).status_code == 201
    records = [{"name": f"c{n}", "company": "Acme"} for n in range(100)]
    response = api.post("/data/contact/bulk", json=records)
    assert_budget_problem(
        response, limit="statements", value=50, setting="TESSERA_REQUEST_STATEMENTS"
    )
    assert contact_count(api) == 0
    # Within the limit, the same rules pass: each record's query is one statement.
    assert api.post("/data/contact/bulk", json=records[:30]).status_code == 200
    assert contact_count(api) == 30


@pytest.mark.parametrize("size", [20, 100], ids=["insert", "copy"])
def test_a_bulk_writing_more_rows_than_allowed_is_refused_and_writes_nothing(
    limited_api: LimitedApi, size: int
) -> None:
    api = limited_api(RequestLimits(rows=size - 1))
    response = api.post("/data/contact/bulk", json=[{"name": f"c{n}"} for n in range(size)])
    assert_budget_problem(response, limit="rows", value=size - 1, setting="TESSERA_REQUEST_ROWS")
    assert contact_count(api) == 0


def test_a_single_save_past_its_expression_time_is_refused(limited_api: LimitedApi) -> None:
    api = limited_api(RequestLimits(expression_seconds=1e-9))
    response = api.post("/data/contact", json={"name": "Ada"})
    assert_budget_problem(
        response,
        limit="expression_seconds",
        value=1e-9,
        setting="TESSERA_REQUEST_EXPRESSION_SECONDS",
    )
    assert contact_count(api) == 0


SLOW = {"code": "a" * 40 + "!", "pattern": "(a|aa)+$"}


def test_one_slow_rule_fails_its_record_but_many_exhaust_the_request(
    limited_api: LimitedApi,
) -> None:
    api = limited_api(RequestLimits(evaluation_seconds=0.05, expression_seconds=0.4))
    # One evaluation past its own cap is that record's problem, as before.
    partial = api.post(
        "/data/contact/bulk",
        params={"mode": "partial"},
        json=[{**SLOW, "name": "slow"}, {"name": "quick"}],
    )
    assert partial.status_code == 200, partial.text
    results = partial.json()["results"]
    assert results[0]["status"] == "error"
    assert "time limit" in results[0]["errors"][0]["message"]
    assert results[1]["status"] == "created"
    # Twenty of them would take a second: the request's budget stops the whole bulk.
    many = api.post(
        "/data/contact/bulk",
        params={"mode": "partial"},
        json=[{**SLOW, "name": f"slow {n}"} for n in range(20)] + [{"name": "quick"}],
    )
    assert_budget_problem(
        many,
        limit="expression_seconds",
        value=0.4,
        setting="TESSERA_REQUEST_EXPRESSION_SECONDS",
    )
    assert contact_count(api) == 1


def test_each_request_starts_with_a_full_budget(limited_api: LimitedApi) -> None:
    api = limited_api(RequestLimits(rows=5))
    for n in range(4):
        response = api.post("/data/contact/bulk", json=[{"name": f"{n}-{i}"} for i in range(5)])
        assert response.status_code == 200, response.text
    assert contact_count(api) == 20


def test_a_normal_bulk_of_ten_thousand_records_passes_the_default_budget(
    limited_api: LimitedApi,
) -> None:
    api = limited_api(RequestLimits())
    assert api.post("/data/account", json={"name": "Acme"}).status_code == 201
    records = [
        {"name": f"Contact {n}", "code": f"C-{n:05d}", "pattern": "C-[0-9]{5}"}
        for n in range(10_000)
    ]
    response = api.post("/data/contact/bulk", json=records)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 10_000


def test_a_pattern_from_record_data_past_a_limit_fails_that_record_naming_the_limit(
    limited_api: LimitedApi,
) -> None:
    api = limited_api(RequestLimits())
    nested = "(" * 30 + "a" + ")" * 30
    response = api.post("/data/contact", json={"name": "x", "code": "a", "pattern": nested})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors[0]["code"] == "rule-failed"
    assert "nests groups 30 deep; at most 20" in errors[0]["message"]
    expanding = api.post(
        "/data/contact", json={"name": "x", "code": "c", "pattern": "(?:c{1000}){3000}"}
    )
    assert expanding.status_code == 422
    assert "at most 5000" in expanding.json()["errors"][0]["message"]
    assert contact_count(api) == 0


def test_a_literal_pattern_past_a_limit_is_refused_when_the_rule_is_saved(api: Api) -> None:
    assert api.post("/admin/objects", json=ACCOUNT).status_code == 201
    response = api.post(
        "/admin/objects/account/validation-rules",
        json={
            "api_name": "huge",
            "expression": "REGEX(name, '(?:c{1000}){3000}')",
            "message": "never saved",
        },
    )
    assert response.status_code == 422, response.text
    assert "expands to 3003000 items, at most 5000" in response.text
    invalid = api.post(
        "/admin/objects/account/validation-rules",
        json={"api_name": "broken", "expression": "REGEX(name, '[a-')", "message": "never"},
    )
    assert invalid.status_code == 422
    assert "invalid pattern" in invalid.text


def test_a_bulk_update_recounting_many_parents_writes_them_in_few_statements(
    limited_api: LimitedApi,
) -> None:
    """Roll-up recounts of many parents are batched, not one statement per parent."""
    api = limited_api(RequestLimits())
    team = {"api_name": "team", "fields": [{"api_name": "name", "type": "text", "unique": True}]}
    member = {
        "api_name": "member",
        "fields": [
            {"api_name": "name", "type": "text", "unique": True},
            {"api_name": "points", "type": "integer"},
            {"api_name": "team", "type": "lookup", "target": "team"},
        ],
    }
    for body in (team, member):
        assert api.post("/admin/objects", json=body).status_code == 201
    total = {
        "api_name": "points",
        "type": "rollup_summary",
        "rollup": {"child": "member", "field": "points", "function": "sum"},
    }
    assert api.post("/admin/objects/team/fields", json=total).status_code == 201
    created = api.post("/data/team/bulk", json=[{"name": f"t{n}"} for n in range(150)])
    assert created.status_code == 200, created.text
    ids = [team["id"] for team in api.get("/data/team", params={"limit": 200}).json()["data"]]
    members = [{"name": f"m{n}", "points": 1, "team": ids[n]} for n in range(150)]
    assert api.post("/data/member/bulk", json=members).status_code == 200

    # One statement per parent would be 150; the recount writes them in a handful.
    tight = limited_api(RequestLimits(statements=60))
    changed = [{**record, "points": 5} for record in members]
    response = tight.post("/data/member/bulk", params={"upsert_on": "name"}, json=changed)
    assert response.status_code == 200, response.text
    listed = api.get("/data/team", params={"limit": 200, "fields": "points"}).json()["data"]
    assert {record["points"] for record in listed} == {5}
