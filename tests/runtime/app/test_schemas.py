"""JSON Schemas of records and the tenant's OpenAPI document.

Generated requests against the document run in test_generated_requests.py.
"""

from __future__ import annotations

import jsonschema
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from tests.conftest import Api

DEAL = {
    "api_name": "deal",
    "fields": [
        {"api_name": "title", "type": "text", "required": True, "max_length": 30},
        {"api_name": "amount", "type": "currency", "min": 0},
        {"api_name": "probability", "type": "percent"},
        {"api_name": "seats", "type": "integer", "max": 500},
        {"api_name": "closes", "type": "date"},
        {"api_name": "won", "type": "boolean"},
        {
            "api_name": "stage",
            "type": "picklist",
            "values": [{"value": "new"}, {"value": "won"}, {"value": "old", "active": False}],
        },
        {
            "api_name": "labels",
            "type": "multi_picklist",
            "values": [{"value": "a"}, {"value": "b"}],
        },
        {"api_name": "contact_email", "type": "email"},
        {"api_name": "number", "type": "auto_number", "format": "D-{0000}"},
        {"api_name": "notes", "type": "json"},
        {"api_name": "contract", "type": "file", "max_size": 4096},
    ],
}

BODIES = [
    {"title": "Deal"},
    {
        "title": "Deal",
        "amount": 10.5,
        "probability": "25",
        "seats": 3,
        "closes": "2025-01-31",
        "won": False,
    },
    {"title": "Deal", "stage": "new", "labels": ["a", "b"], "notes": {"x": [1]}, "amount": None},
    {"title": "x" * 31},
    {"amount": 1},
    {"title": "Deal", "seats": 501},
    {"title": "Deal", "seats": "3"},
    {"title": "Deal", "amount": -1},
    {"title": "Deal", "amount": "12.345"},
    {"title": "Deal", "stage": "old"},
    {"title": "Deal", "stage": "lost"},
    {"title": "Deal", "labels": ["a", "a"]},
    {"title": "Deal", "closes": "31/01/2025"},
    {"title": "Deal", "won": "yes"},
    {"title": "Deal", "number": "D-0001"},
    {"title": "Deal", "unknown": 1},
    {"title": "Deal", "contract": None},
    {"title": None},
]


@pytest.fixture
def sales(api: Api) -> Api:
    assert (
        api.post(
            "/admin/objects",
            json={"api_name": "company", "fields": [{"api_name": "name", "type": "text"}]},
        ).status_code
        == 201
    )
    assert api.post("/admin/objects", json=DEAL).status_code == 201
    assert (
        api.post(
            "/admin/objects/deal/fields",
            json={"api_name": "company", "type": "lookup", "target": "company"},
        ).status_code
        == 201
    )
    return api


def test_the_record_schema_is_valid_and_accepts_exactly_what_the_api_accepts(sales: Api) -> None:
    response = sales.get("/schema/deal")
    assert response.status_code == 200
    schema = response.json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for body in BODIES:
        accepted_by_schema = validator.is_valid(body)
        accepted_by_api = sales.post("/data/deal", json=body).status_code == 201
        assert accepted_by_schema == accepted_by_api, body


def test_openapi_describes_the_tenants_objects_and_follows_metadata_changes(sales: Api) -> None:
    document = sales.client.get("/openapi.json", headers=sales.tenant.headers).json()
    validate(document)
    assert "/api/v1/data/deal" in document["paths"]
    assert "/api/v1/data/{object_name}" not in document["paths"]
    assert "stage" in document["components"]["schemas"]["DealInput"]["properties"]
    assert (
        sales.post(
            "/admin/objects/deal/fields", json={"api_name": "region", "type": "text"}
        ).status_code
        == 201
    )
    changed = sales.client.get("/openapi.json", headers=sales.tenant.headers).json()
    assert "region" in changed["components"]["schemas"]["DealInput"]["properties"]
    validate(changed)


def test_openapi_without_a_key_shows_no_tenant_and_a_bad_key_is_401(app_client: TestClient) -> None:
    anonymous = app_client.get("/openapi.json")
    assert anonymous.status_code == 200
    assert "/api/v1/admin/objects" in anonymous.json()["paths"]
    assert (
        app_client.get("/openapi.json", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    assert "swagger-ui" in app_client.get("/docs").text


def test_the_anonymous_document_lists_the_admin_api_before_the_data_api(
    app_client: TestClient,
) -> None:
    paths = list(app_client.get("/openapi.json").json()["paths"])
    data = [i for i, path in enumerate(paths) if path.startswith("/api/v1/data/")]
    admin = [i for i, path in enumerate(paths) if path.startswith("/api/v1/admin/")]
    assert admin and data and max(admin) < min(data)


def test_every_operation_takes_a_bearer_or_a_password_login(sales: Api) -> None:
    either = [{"bearer": []}, {"oauth2": []}]
    for headers in ({}, sales.tenant.headers):
        document = sales.client.get("/openapi.json", headers=headers).json()
        schemes = document["components"]["securitySchemes"]
        assert list(schemes) == ["bearer", "oauth2"]
        assert schemes["bearer"]["scheme"] == "bearer"
        assert schemes["oauth2"]["flows"] == {
            "password": {"tokenUrl": "/api/v1/auth/token", "scopes": {}}
        }
        assert document["security"] == either
        for path, item in document["paths"].items():
            for operation in item.values():
                # Logging in takes no credential: it is how one gets one.
                expected = [] if path.startswith("/api/v1/auth/") else either
                assert operation.get("security", either) == expected, path


def test_operation_summaries_take_the_article_their_label_needs(api: Api) -> None:
    for api_name, label in [("account", None), ("deal", None), ("customer", "客户")]:
        body = {"api_name": api_name, "label": label, "fields": []}
        assert api.post("/admin/objects", json=body).status_code == 201
    document = api.client.get("/openapi.json", headers=api.tenant.headers).json()
    paths = document["paths"]
    assert paths["/api/v1/data/account"]["post"]["summary"] == "Create an Account"
    assert paths["/api/v1/data/account/{id}"]["get"]["summary"] == "Get an Account"
    assert paths["/api/v1/data/account/{id}"]["delete"]["summary"] == "Delete an Account"
    assert paths["/api/v1/schema/account"]["get"]["summary"] == "JSON Schema of an Account"
    assert paths["/api/v1/data/deal/{id}"]["patch"]["summary"] == "Update a Deal"
    assert paths["/api/v1/data/customer"]["post"]["summary"] == "Create 客户"
    summaries = [op["summary"] for item in paths.values() for op in item.values()]
    assert not [s for s in summaries if " a A" in s or " a E" in s or " a 客" in s]
