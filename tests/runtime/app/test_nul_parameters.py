"""A NUL character in a query parameter or a login field: a clear answer, never a 500."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Api, TenantHandle
from tests.identity_helpers import give_password, log_in


def _operations_with_query_parameters(client: TestClient) -> list[tuple[str, str, str]]:
    """Every documented (method, path, query parameter), path parameters filled with `x`."""
    document = client.app.openapi()  # type: ignore[attr-defined]
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    filled = re.sub(r"\{[^}]+\}", "x", path)
                    found.append((method.upper(), filled, parameter["name"]))
    return found


def test_a_nul_character_in_any_query_parameter_is_refused_naming_the_parameter(
    api: Api,
) -> None:
    client = TestClient(api.client.app, raise_server_exceptions=False)
    operations = _operations_with_query_parameters(client)
    assert any(path == "/api/v1/admin/audit" for _, path, _ in operations)
    for method, path, name in operations:
        response = client.request(method, path, params={name: "a\x00b"}, headers=api.tenant.headers)
        assert response.status_code == 422, (method, path, name, response.text)
        problem = response.json()["errors"][0]
        assert problem["pointer"] == f"/{name}", (method, path, name)
        assert "NUL" in problem["message"]


def test_the_audit_log_filters_refuse_a_nul_character(api: Api) -> None:
    for name in ("action", "actor", "target"):
        response = api.get("/admin/audit", params={name: "a\x00"})
        assert response.status_code == 422, response.text
        assert f"query parameter {name!r}" in response.json()["detail"]


def test_a_login_with_a_nul_character_gets_the_usual_401(
    app_client: TestClient, tenant: TenantHandle
) -> None:
    give_password(tenant.engine, tenant.user_id)
    right = log_in(app_client, tenant.name, "admin@example.com")
    assert right.status_code == 200
    answers = [
        log_in(app_client, tenant.name, "admin\x00@example.com"),
        log_in(app_client, tenant.name + "\x00", "admin@example.com"),
        log_in(app_client, tenant.name, "admin@example.com", "pass\x00word"),
    ]
    assert [response.status_code for response in answers] == [401, 401, 401]
    assert {response.json()["detail"] for response in answers} == {
        "the tenant, e-mail or password is wrong"
    }
