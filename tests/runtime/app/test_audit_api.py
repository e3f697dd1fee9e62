"""`GET /admin/audit`: the audit log for view_audit holders, paged and filtered; access
changes are audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from engine.audit import record_event
from engine.metadata_changes.components import save_component
from engine.tenancy import get_tenant
from tests.access_helpers import PERMISSION_SETS, add_permission_set, user_with
from tests.conftest import Api, TenantHandle, drop_tenant_schema, make_tenant

START = datetime(2030, 1, 1, tzinfo=UTC)


def add_events(tenant: TenantHandle, events: list[dict[str, Any]]) -> None:
    tenant_id = get_tenant(tenant.engine, tenant.name).id
    with tenant.engine.db.begin() as connection:
        for event in events:
            record_event(connection, tenant_id, **event)


def audit(api: Api, **params: Any) -> dict[str, Any]:
    response = api.get("/admin/audit", params=params)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def actions(document: dict[str, Any]) -> list[str]:
    return [event["action"] for event in document["data"]]


def test_a_permission_set_change_is_audited_with_its_operations(api: Api) -> None:
    save_component(api.tenant.context(), PERMISSION_SETS, {"api_name": "sales"}, dry_run=True)
    assert actions(audit(api, action="metadata.")) == []
    add_permission_set(api.tenant, {"api_name": "sales", "objects": {"*": {"read": True}}})
    assert api.post("/admin/objects", json={"api_name": "thing"}).status_code == 201
    [event] = audit(api, action="metadata.")["data"]
    assert event["action"] == "metadata.access_changed"
    assert event["actor"] == str(api.tenant.user_id)
    assert event["target"] == "permission_set:sales"
    assert event["details"]["operations"] == ["add permission set sales"]
    assert event["details"]["components"] == ["permission_set:sales"]


def test_pages_run_newest_first_to_the_oldest_event(api: Api) -> None:
    add_events(api.tenant, [{"at": START, "action": f"test.e{n}"} for n in range(5)])
    seen: list[str] = []
    cursor = None
    while True:
        page = audit(api, limit=2, action="test.", **({"cursor": cursor} if cursor else {}))
        seen += actions(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["test.e4", "test.e3", "test.e2", "test.e1", "test.e0"]


def test_events_are_filtered_by_action_actor_target_and_time(api: Api) -> None:
    hour = timedelta(hours=1)
    add_events(
        api.tenant,
        [
            {"at": START, "action": "login.failed", "target": "a@example.com"},
            {"at": START + hour, "action": "login.succeeded", "actor": "u1"},
            {"at": START + 2 * hour, "action": "key.issued", "actor": "u1", "target": "k1"},
            {"at": START + 3 * hour, "action": "key.revoked", "actor": "u2", "target": "k1"},
        ],
    )
    assert actions(audit(api, action="login.")) == ["login.succeeded", "login.failed"]
    assert actions(audit(api, actor="u1")) == ["key.issued", "login.succeeded"]
    assert actions(audit(api, target="k1")) == ["key.revoked", "key.issued"]
    window = {"since": (START + hour).isoformat(), "until": (START + 3 * hour).isoformat()}
    assert actions(audit(api, **window)) == ["key.issued", "login.succeeded"]
    # A moment without a time zone is UTC.
    assert actions(audit(api, since="2030-01-01T03:00:00")) == ["key.revoked"]


def test_bad_cursors_and_empty_ranges_are_refused(api: Api) -> None:
    for cursor in ("-1", "abc", str(2**63)):
        bad = api.get("/admin/audit", params={"cursor": cursor})
        assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/cursor"
    empty = api.get("/admin/audit", params={"since": START.isoformat(), "until": START.isoformat()})
    assert empty.status_code == 422 and empty.json()["errors"][0]["pointer"] == "/since"


def test_the_audit_log_needs_the_view_audit_right(api: Api, app_client: TestClient) -> None:
    reader = user_with(api.tenant, "reader@example.com", {"api_name": "reader", "system": []})
    refused = Api(app_client, reader).get("/admin/audit")
    assert refused.status_code == 403
    assert "view_audit" in refused.json()["detail"]
    auditor = user_with(
        api.tenant, "auditor@example.com", {"api_name": "auditor", "system": ["view_audit"]}
    )
    assert Api(app_client, auditor).get("/admin/audit").status_code == 200


def test_another_tenant_s_events_are_not_shown(api: Api, app_client: TestClient) -> None:
    other = make_tenant(api.tenant.engine)
    try:
        add_events(other, [{"at": START, "action": "test.elsewhere"}])
        assert actions(audit(api, action="test.")) == []
        assert actions(audit(Api(app_client, other), action="test.")) == ["test.elsewhere"]
    finally:
        drop_tenant_schema(api.tenant.engine, other.name)
