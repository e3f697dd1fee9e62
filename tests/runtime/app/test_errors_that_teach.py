"""Errors that teach: what an implementer got wrong, where, and what Tessera calls it.

Unknown query parameters and objects name the one probably meant; a request's shape and
metadata problems come in one answer; nothing of the validator's own wording reaches
the caller. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from runtime.app.access_routes import router as access_router
from runtime.app.admin_routes import router as admin_router
from runtime.app.api_route import ApiRoute
from runtime.app.auth_routes import router as auth_router
from runtime.app.computed_routes import router as computed_router
from runtime.app.data_routes import router as data_router
from runtime.app.file_routes import router as file_router
from runtime.app.query_parameters import declared_query_parameters
from runtime.app.rule_routes import router as rule_router
from runtime.app.schema_routes import router as schema_router
from runtime.app.search_routes import router as search_router
from runtime.app.user_routes import router as user_router
from tests.conftest import Api
from tests.validator_wording import raw_phrases_in

REGION = {"api_name": "region", "fields": [{"api_name": "name", "type": "text"}]}
DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "name", "type": "text", "required": True},
        {"api_name": "amount", "type": "currency"},
        {"api_name": "seats", "type": "integer"},
        {"api_name": "stage", "type": "picklist", "values": ["new", "won", "lost"]},
        {"api_name": "region", "type": "lookup", "target": "region"},
    ],
    "validation_rules": [
        {
            "api_name": "not_too_big",
            "expression": "amount > 1000",
            "message": "deals above 1000 need approval",
            "field": "amount",
        }
    ],
}


@pytest.fixture
def sales(api: Api) -> tuple[Api, dict[str, Any]]:
    for document in (REGION, DEAL):
        created = api.post("/admin/objects", json=document)
        assert created.status_code == 201, created.text
    region = api.post("/data/region", json={"name": "East"}).json()
    deal = api.post(
        "/data/deal", json={"name": "Big one", "amount": "500", "region": region["id"]}
    ).json()
    return api, deal


def messages(response: Any) -> list[tuple[str, str, str]]:
    return [(e["pointer"], e["code"], e["message"]) for e in response.json().get("errors", [])]


# -- unknown query parameters ------------------------------------------------------------


def test_an_unknown_query_parameter_on_a_list_names_the_parameter_meant(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, _ = sales
    response = api.get("/data/deal", params={"orderby": "name"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/invalid-query"
    assert messages(response) == [
        (
            "/orderby",
            "unknown-parameter",
            "unknown query parameter 'orderby'; did you mean 'sort'?",
        )
    ]


def test_every_unknown_query_parameter_is_named_with_its_likely_meaning(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, _ = sales
    response = api.get(
        "/data/deal", params={"page_size": "5", "sort": "name", "Fields": "name", "zzz": "1"}
    )
    assert [(pointer, message) for pointer, _, message in messages(response)] == [
        ("/page_size", "unknown query parameter 'page_size'; did you mean 'limit'?"),
        ("/Fields", "unknown query parameter 'Fields'; did you mean 'fields'?"),
        (
            "/zzz",
            "unknown query parameter 'zzz'; this request takes: "
            "filter, sort, limit, cursor, fields, expand, count, labels",
        ),
    ]


@pytest.mark.parametrize(
    ("method", "path", "parameter", "meant"),
    [
        ("GET", "/data/deal/{id}", "select", "fields"),
        ("GET", "/data/deal/aggregate", "groupby", "group_by"),
        ("POST", "/data/deal/bulk", "upsert", "upsert_on"),
        ("POST", "/data/deal", "dry_run", None),
        ("PATCH", "/data/deal/{id}", "force", None),
        ("GET", "/admin/objects", "include_deleted_fields", "include_deleted"),
        ("POST", "/admin/objects/deal/fields", "dryrun", "dry_run"),
        ("PATCH", "/admin/objects/deal/fields/name", "forced", "force"),
        ("GET", "/admin/objects/deal/validation-rules", "limit", None),
        ("POST", "/admin/objects/deal/fields/name/recalculate", "preview", "dry_run"),
        ("GET", "/admin/revisions", "page_size", "limit"),
        ("GET", "/admin/metadata", "format", None),
        ("GET", "/schema/deal", "version", None),
    ],
)
def test_every_route_refuses_query_parameters_it_does_not_take(
    sales: tuple[Api, dict[str, Any]], method: str, path: str, parameter: str, meant: str | None
) -> None:
    api, deal = sales
    before = api.get("/admin/revisions", params={"limit": 1}).json()["data"][0]["number"]
    response = api.request(
        method, path.format(id=deal["id"]), params={parameter: "1"}, json={"name": "x"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/invalid-query"
    ((pointer, code, message),) = messages(response)
    assert (pointer, code) == (f"/{parameter}", "unknown-parameter")
    if meant is not None:
        assert message.endswith(f"did you mean {meant!r}?")
    else:
        assert "did you mean" not in message
    # Nothing was done: the metadata and the record are as they were.
    after = api.get("/admin/revisions", params={"limit": 1}).json()["data"][0]["number"]
    assert after == before
    assert api.get(f"/data/deal/{deal['id']}").json()["name"] == "Big one"


def test_the_declared_parameters_of_each_route_are_the_ones_its_openapi_operation_lists(
    app_client: TestClient,
) -> None:
    document = app_client.get("/openapi.json").json()
    checked = 0
    routes = [
        route
        for router in (
            access_router,
            admin_router,
            auth_router,
            computed_router,
            data_router,
            file_router,
            rule_router,
            schema_router,
            search_router,
            user_router,
        )
        for route in router.routes
    ]
    for route in routes:
        assert isinstance(route, ApiRoute), route
        if not route.include_in_schema:
            continue
        for method in route.methods:
            operation = document["paths"][route.path][method.lower()]
            listed = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            assert list(declared_query_parameters(route.dependant)) == listed, route.path
            assert operation["responses"]["422"]["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
            checked += 1
    assert checked >= 25
    assert "HTTPValidationError" not in document["components"]["schemas"]


# -- fields and expand on one record ------------------------------------------------------


def test_a_record_get_honours_fields_and_expand_as_a_list_does(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, deal = sales
    params = {"fields": "name,region", "expand": "region"}
    one = api.get(f"/data/deal/{deal['id']}", params=params)
    assert one.status_code == 200, one.text
    (listed,) = api.get("/data/deal", params=params).json()["data"]
    assert one.json() == listed
    assert "amount" not in one.json()
    assert one.json()["region"]["name"] == "East"
    assert one.headers["etag"] == f'"{deal["version"]}"'
    labelled = {"fields": "stage", "expand": "region", "labels": "true"}
    api.patch(f"/data/deal/{deal['id']}", json={"stage": "won"})
    one = api.get(f"/data/deal/{deal['id']}", params=labelled).json()
    (listed,) = api.get("/data/deal", params=labelled).json()["data"]
    assert one == listed
    assert one["_labels"] == {"stage": "won"}


def test_a_record_get_refuses_bad_fields_and_expand_as_a_list_does(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, deal = sales
    for params in ({"fields": "nme"}, {"expand": "name"}, {"fields": "name,name"}):
        one = api.get(f"/data/deal/{deal['id']}", params=params)
        many = api.get("/data/deal", params=params)
        assert one.status_code == many.status_code == 422
        assert one.json()["type"] == many.json()["type"] == "/problems/invalid-query"
        assert one.json()["errors"] == many.json()["errors"]
    misspelt = api.get(f"/data/deal/{deal['id']}", params={"fields": "nme"})
    assert messages(misspelt)[0][2] == "'deal' has no field(s) nme; did you mean 'name'?"


def test_the_openapi_document_shows_fields_and_expand_on_an_objects_record_get(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, _ = sales
    document = api.client.get("/openapi.json", headers=api.tenant.headers).json()
    operation = document["paths"]["/api/v1/data/deal/{id}"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["id", "fields", "expand", "labels"]
    assert "422" in operation["responses"]


# -- query problems are query problems ----------------------------------------------------


@pytest.mark.parametrize(
    ("filter_text", "pointer", "code"),
    [
        ('{"name": "a",}', "/filter", "invalid-json"),
        ('{"name": {"equals": "a"}}', "/filter/name/equals", "unknown-operator"),
        ('{"nme": "a"}', "/filter/nme", "unknown-field"),
        ('{"amount": {"gt": "lots"}}', "/filter/amount/gt", "wrong-type"),
        ("[1]", "/filter", "invalid-filter"),
    ],
)
def test_a_malformed_filter_is_an_invalid_query(
    sales: tuple[Api, dict[str, Any]], filter_text: str, pointer: str, code: str
) -> None:
    api, _ = sales
    for path in ("/data/deal", "/data/deal/aggregate"):
        response = api.get(path, params={"filter": filter_text})
        assert response.status_code == 422
        assert response.json()["type"] == "/problems/invalid-query", response.text
        assert messages(response)[0][:2] == (pointer, code)


def test_filter_problems_name_what_was_meant(sales: tuple[Api, dict[str, Any]]) -> None:
    api, _ = sales
    bad_json = api.get("/data/deal", params={"filter": '{"name": "a",}'})
    assert messages(bad_json)[0][2] == (
        "the filter is not valid JSON: "
        "expected a key in double quotes; JSON allows no comma before '}' (column 14)"
    )
    operator = api.get("/data/deal", params={"filter": '{"name": {"equals": "a"}}'})
    assert messages(operator)[0][2].startswith("unknown operator 'equals'; did you mean 'eq'?")
    field = api.get("/data/deal", params={"filter": '{"nme": "a"}'})
    assert "has no field 'nme'; did you mean 'name'?" in messages(field)[0][2]


def test_a_query_parameter_of_the_wrong_type_is_an_invalid_query(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, _ = sales
    response = api.get("/data/deal", params={"limit": "ten", "count": "maybe"})
    assert response.json()["type"] == "/problems/invalid-query"
    assert messages(response) == [
        ("/limit", "wrong-type", "limit: expected a whole number, got 'ten'"),
        ("/count", "wrong-type", "count: expected true or false, got 'maybe'"),
    ]
    mode = api.post("/data/deal/bulk", params={"mode": "partal"}, json=[])
    assert messages(mode)[0][2].startswith("mode: 'partal' is not a choice here; did you mean")


# -- bodies -------------------------------------------------------------------------------


def test_a_malformed_json_body_says_line_column_and_what_was_expected(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, _ = sales
    for path in ("/data/deal", "/admin/objects", "/data/deal/bulk"):
        response = api.post(
            path,
            content=b'{"name": "a",\n "amount": 1\n "stage": "won"}',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert messages(response) == [
            (
                "",
                "invalid-json",
                "the body is not valid JSON: "
                "expected ',' or '}' after an object member (line 3, column 2)",
            )
        ]


def test_picklist_values_may_be_given_as_plain_strings(api: Api) -> None:
    created = api.post(
        "/admin/objects",
        json={
            "api_name": "lead",
            "fields": [{"api_name": "rating", "type": "picklist", "values": ["hot", "warm"]}],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["fields"][0]["values"] == [
        {"value": "hot", "active": True},
        {"value": "warm", "active": True},
    ]
    added = api.post(
        "/admin/objects/lead/fields",
        json={"api_name": "tags", "type": "multi_picklist", "values": ["a", {"value": "b"}]},
    )
    assert added.status_code == 201, added.text
    changed = api.patch("/admin/objects/lead/fields/rating", json={"values": ["hot", "cold"]})
    assert changed.status_code == 200, changed.text
    record = api.post("/data/lead", json={"rating": "cold", "tags": ["a", "b"]})
    assert record.status_code == 201, record.text
    assert api.post("/data/lead", json={"rating": "warm"}).status_code == 422


def test_a_field_with_a_mistyped_option_and_an_unknown_target_gets_both_problems(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, _ = sales
    response = api.post(
        "/admin/objects/deal/fields",
        json={"api_name": "account", "type": "lookup", "target": "regin", "indexed": "sure"},
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/invalid-request"
    assert messages(response) == [
        ("/indexed", "wrong-type", "indexed: expected true or false, got 'sure'"),
        (
            "/target",
            "unknown-object",
            "there is no object 'regin'; did you mean 'region'? (objects: deal, region)",
        ),
    ]
    # A dry run answers the same, and nothing is added either way.
    dry = api.post(
        "/admin/objects/deal/fields",
        params={"dry_run": "true"},
        json={"api_name": "account", "type": "lookup", "target": "regin", "indexed": "sure"},
    )
    assert messages(dry) == messages(response)
    assert "account" not in [f["api_name"] for f in api.get("/admin/objects/deal").json()["fields"]]


def test_an_object_with_shape_and_metadata_problems_in_several_fields_gets_them_all(
    api: Api,
) -> None:
    response = api.post(
        "/admin/objects",
        json={
            "api_name": "invoice",
            "labels": "Invoices",
            "fields": [
                {"api_name": "total", "type": "currency", "precision": "wide"},
                {"api_name": "customer", "type": "lookup", "target": "customer"},
                {"api_name": "select", "type": "text"},
            ],
        },
    )
    assert response.status_code == 422
    assert [(pointer, code) for pointer, code, _ in messages(response)] == [
        ("/fields/0/precision", "wrong-type"),
        ("/labels", "unknown-key"),
        ("/fields/1/target", "unknown-object"),
        ("/fields/2/api_name", "reserved-name"),
    ]
    assert messages(response)[1][2] == "unknown key 'labels'; did you mean 'label'?"
    assert api.get("/data/invoice").status_code == 404


def test_a_field_change_with_a_mistyped_option_and_a_bad_value_gets_both_problems(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, _ = sales
    response = api.patch(
        "/admin/objects/deal/fields/seats", json={"min": 10, "max": 5, "required": "nope"}
    )
    assert response.status_code == 422
    assert [(pointer, code) for pointer, code, _ in messages(response)] == [
        ("/required", "wrong-type"),
        ("/min", "out-of-range"),
    ]


def test_a_rule_with_a_shape_problem_and_a_foreign_operator_gets_both(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, _ = sales
    response = api.post(
        "/admin/objects/deal/validation-rules",
        json={
            "api_name": "won_needs_amount",
            "expression": 'stage = "won"',
            "message": "a won deal needs an amount",
            "active": "perhaps",
        },
    )
    assert response.status_code == 422
    assert messages(response) == [
        ("/active", "wrong-type", "active: expected true or false, got 'perhaps'"),
        (
            "/expression",
            "syntax-error",
            "syntax error: '=' is not an operator of Tessera expressions; "
            "write '==', as in stage == 'won' (line 1, column 7)",
        ),
    ]


@pytest.mark.parametrize(
    ("expression", "hint"),
    [
        ("stage = 'won'", "write '==', as in stage == 'won'"),
        ("amount > 100 && seats > 2", "write 'and'"),
        ("amount > 100 || seats > 2", "write 'or'"),
        ("stage <> 'lost'", "write '!='"),
        ("ISPICKVAL(stage, 'won')", "write stage == 'won'"),
    ],
)
def test_formulas_written_as_in_other_crms_are_answered_with_tesseras_spelling(
    sales: tuple[Api, dict[str, Any]], expression: str, hint: str
) -> None:
    api, _ = sales
    response = api.post(
        "/admin/objects/deal/fields",
        json={
            "api_name": "flag",
            "type": "formula",
            "return_type": "boolean",
            "expression": expression,
        },
    )
    assert response.status_code == 422
    ((pointer, _, message),) = messages(response)
    assert pointer == "/expression"
    assert hint in message


def test_a_record_with_a_bad_value_and_a_failed_rule_gets_both_problems(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, deal = sales
    body = {"name": "Huge", "amount": "5000", "seats": "many", "region": deal["id"]}
    response = api.post("/data/deal", json=body)
    assert response.status_code == 422
    assert [(pointer, code) for pointer, code, _ in messages(response)] == [
        ("/seats", "wrong-type"),
        ("/amount", "validation-rule"),
        ("/region", "unknown-record"),
    ]
    updated = api.patch(f"/data/deal/{deal['id']}", json={"amount": "2000", "seats": "x"})
    assert [(pointer, code) for pointer, code, _ in messages(updated)] == [
        ("/seats", "wrong-type"),
        ("/amount", "validation-rule"),
    ]
    # A rule reading a refused value is not run on it.
    refused = api.post("/data/deal", json={"name": "x", "amount": "lots"})
    assert [code for _, code, _ in messages(refused)] == ["wrong-type"]
    bulk = api.post(
        "/data/deal/bulk",
        params={"mode": "partial"},
        json=[{"name": "a", "amount": 5000, "seats": "q"}],
    )
    assert [e["code"] for e in bulk.json()["results"][0]["errors"]] == [
        "wrong-type",
        "validation-rule",
    ]
    assert api.get("/data/deal", params={"count": "true"}).json()["total"] == 1


# -- unknown objects ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/data/deals"),
        ("POST", "/data/deals"),
        ("GET", "/data/deals/aggregate"),
        ("POST", "/data/deals/bulk"),
        ("GET", "/data/deals/{id}"),
        ("PATCH", "/data/deals/{id}"),
        ("DELETE", "/data/deals/{id}"),
        ("GET", "/schema/deals"),
        ("GET", "/admin/objects/deals"),
        ("PATCH", "/admin/objects/deals"),
        ("GET", "/admin/objects/deals/fields"),
        ("POST", "/admin/objects/deals/fields"),
        ("GET", "/admin/objects/deals/validation-rules"),
        ("POST", "/admin/objects/deals/fields/name/recalculate"),
    ],
)
def test_an_unknown_object_names_the_object_meant(
    sales: tuple[Api, dict[str, Any]], method: str, path: str
) -> None:
    api, deal = sales
    body: Any = {"name": "x"}
    if path.endswith("bulk"):
        body = [body]
    elif path.startswith("/admin/objects/deals/fields"):
        body = {"api_name": "x", "type": "text"}
    elif path.startswith("/admin"):
        body = {"label": "x"}
    response = api.request(method, path.format(id=deal["id"]), json=body)
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == "there is no object 'deals'; did you mean 'deal'?"
    assert response.json()["object"] == "deals"


def test_an_unknown_field_or_rule_in_an_admin_path_names_the_one_meant(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, _ = sales
    field = api.get("/admin/objects/deal/fields/ammount")
    assert field.json()["detail"] == "object 'deal' has no field 'ammount'; did you mean 'amount'?"
    rule = api.get("/admin/objects/deal/validation-rules/not_to_big")
    assert rule.json()["detail"].endswith("did you mean 'not_too_big'?")


# -- no validator wording -----------------------------------------------------------------


def _bad_requests(deal_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Malformed admin and data requests of every kind the validator sees first."""
    field_bodies: list[Any] = [
        [],
        "text",
        None,
        {},
        {"type": "text"},
        {"api_name": "a"},
        {"api_name": 5, "type": 7},
        {"api_name": "a", "type": "string"},
        {"api_name": "a", "type": "text", "max_length": "long"},
        {"api_name": "a", "type": "text", "max_length": 0},
        {"api_name": "a", "type": "text", "max_length": 1.5},
        {"api_name": "a", "type": "text", "label": ["x"]},
        {"api_name": "a", "type": "text", "required": "maybe"},
        {"api_name": "a", "type": "integer", "min": {"x": 1}},
        {"api_name": "a", "type": "picklist", "values": "hot"},
        {"api_name": "a", "type": "picklist", "values": [1, None, [], ""]},
        {"api_name": "a", "type": "picklist", "values": [{"label": "x"}, {"value": "a", "x": 1}]},
        {"api_name": "a", "type": "lookup", "target": "region", "on_delete": "nullify"},
        {"api_name": "a", "type": "rollup_summary", "rollup": {"child": "deal", "function": "avg"}},
        {"api_name": "a", "type": "rollup_summary", "rollup": "deal"},
        {"api_name": "a" * 80, "type": "text"},
        {"api_name": "a", "type": "text", "bogus": 1, "labl": "x"},
    ]
    object_bodies: list[Any] = [
        [],
        {"label": "x"},
        {"api_name": "o", "fields": {}},
        {"api_name": "o", "fields": [3, {"api_name": "x"}]},
        {"api_name": "o", "validation_rules": [{"api_name": "r"}]},
        {"api_name": "o", "plural": "Os"},
    ]
    requests: list[tuple[str, str, dict[str, Any]]] = []
    requests += [("POST", "/admin/objects/deal/fields", {"json": b}) for b in field_bodies]
    requests += [("POST", "/admin/objects", {"json": b}) for b in object_bodies]
    requests += [
        ("PATCH", "/admin/objects/deal/fields/name", {"json": b})
        for b in ([], {"type": "strng"}, {"max_length": "x"}, {"values": 3}, {"nme": "x"})
    ]
    requests += [
        ("PATCH", "/admin/objects/deal", {"json": b})
        for b in ([], {"label": 3}, {"api_name": ""}, {"lable": "x"})
    ]
    requests += [
        ("POST", "/admin/objects/deal/validation-rules", {"json": b})
        for b in ([], {}, {"api_name": "r", "expression": 1, "message": None}, {"x": 1})
    ]
    requests += [
        ("POST", "/admin/objects/deal/fields/name/restore", {"json": {"required": "x"}}),
        ("PATCH", "/admin/objects/deal/validation-rules/not_too_big", {"json": {"active": 3}}),
    ]
    requests += [("POST", "/data/deal", {"json": b}) for b in ([], "x", 3, None, [{"name": 1}])]
    requests += [
        ("PATCH", f"/data/deal/{deal_id}", {"json": b}) for b in ([], {"amount": []}, {"x": 1})
    ]
    requests += [
        ("POST", "/data/deal/bulk", {"json": b}) for b in ({}, 3, [3], {"records": "x"}, [[]])
    ]
    requests += [
        ("POST", "/data/deal", {"content": text, "headers": {"Content-Type": "application/json"}})
        for text in (b"{", b"[1,]", b"{'a': 1}", b'{"a": tru}', b"", b"\xff")
    ]
    requests += [
        (method, path, {"content": b'{"name": "x"}', "headers": {"Content-Type": "text/plain"}})
        for method, path in (("POST", "/data/deal"), ("POST", "/admin/objects"))
    ]
    requests += [
        ("GET", "/data/deal", {"params": p})
        for p in (
            {"limit": "x"},
            {"limit": "0"},
            {"limit": "1e3"},
            {"count": "2"},
            {"cursor": "%%%"},
            {"filter": "{"},
            {"filter": '{"name": {"bad": 1}}'},
            {"sort": "-"},
        )
    ]
    requests += [
        ("GET", "/admin/revisions", {"params": {"before": "x", "limit": "-1"}}),
        ("GET", "/admin/objects", {"params": {"include_deleted": "perhaps"}}),
        ("POST", "/data/deal/bulk", {"params": {"mode": "some"}, "json": []}),
        ("GET", "/data/deal/aggregate", {"params": {"limit": "x", "metrics": "avg"}}),
    ]
    return requests


def test_no_response_to_a_malformed_request_repeats_the_validators_wording(
    sales: tuple[Api, dict[str, Any]],
) -> None:
    api, deal = sales
    leaks: list[str] = []
    for method, path, kwargs in _bad_requests(deal["id"]):
        response = api.request(method, path, **kwargs)
        if response.status_code != 422:
            leaks.append(f"{method} {path} {kwargs}: {response.status_code} {response.text[:200]}")
            continue
        problem = response.json()
        assert problem["errors"], problem
        text = json.dumps(problem)
        found = raw_phrases_in(text)
        if found:
            leaks.append(f"{method} {path} {kwargs}: {found}: {text[:300]}")
    assert leaks == [], "\n".join(leaks)
