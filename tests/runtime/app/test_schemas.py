"""JSON Schemas of records, the tenant's OpenAPI document, and a property-based run against it."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
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


def test_generated_requests_against_every_operation_never_get_a_server_error(sales: Api) -> None:
    company = sales.post("/data/company", json={"name": "Acme"}).json()
    sales.post("/data/deal", json={"title": "Seed", "company": company["id"]})
    headers = sales.tenant.headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", sales.client.app, headers=headers)
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    tenant_operations = [op for op in operations if "/admin/" not in op.path]
    assert len(tenant_operations) >= 14

    for operation in tenant_operations:

        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        call()
    assert failures == []
    # The run exercised the API: many calls, successes as well as refusals.
    assert len(statuses) >= 10 * len(tenant_operations)
    assert {200, 201, 422} <= set(statuses)
