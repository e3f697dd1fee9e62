"""The demo tenant's sample users: a small role hierarchy, different access, stable passwords."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.access import list_user_documents, rights_of, update_user_fields
from engine.catalog import tenant_catalog
from engine.context import EngineContext
from engine.errors import AuthenticationFailed
from engine.sessions import authenticate_bearer, log_in
from engine.tenancy import get_tenant
from metadata.models import ComponentKind, ObjectRight, SystemRight
from runtime.app import create_app
from runtime.cli.context import operator_context
from runtime.cli.demo import DEMO_TENANT, ensure_demo_key, ensure_demo_tenant
from runtime.cli.demo_users import DEMO_USERS, ensure_demo_users


@pytest.fixture
def demo(engine_context: EngineContext) -> Iterator[EngineContext]:
    # The demo tenant (its row, users and keys) outlives the test in the session's
    # PostgreSQL database, so its schema stays too: a later test's users reach into it
    # (record sharing's tables).
    yield engine_context


def _log_in(engine: EngineContext, email: str, password: str) -> str:
    return log_in(
        engine, tenant_name=DEMO_TENANT, username=email, password=password, address="test"
    ).access_token


def test_the_demo_users_sit_in_a_role_hierarchy_with_different_access(
    demo: EngineContext,
) -> None:
    logins = ensure_demo_users(demo, ensure_demo_tenant(demo))
    assert [login.user.email for login in logins] == [u.email for u in DEMO_USERS]
    context = operator_context(demo, DEMO_TENANT)
    state = tenant_catalog(context).metadata_state
    parents = {
        c.api_name: c.definition.get("parent") for c in state.components_of(ComponentKind.ROLE)
    }
    assert parents == {
        "ceo": None,
        "sales_manager": "ceo",
        "sales_rep": "sales_manager",
        "support_agent": "ceo",
    }
    callers = {
        login.user.email: authenticate_bearer(demo, _log_in(demo, login.user.email, login.password))
        for login in logins
    }
    catalog = tenant_catalog(context)
    rights = {email: rights_of(catalog, c.caller) for email, c in callers.items()}
    assert rights["admin@example.com"].has_system(SystemRight.MANAGE_USERS)
    assert not rights["ceo@example.com"].can("account", ObjectRight.EDIT)
    assert rights["ceo@example.com"].has_system(SystemRight.VIEW_AUDIT)
    assert rights["manager@example.com"].can("account", ObjectRight.DELETE)
    assert rights["rep@example.com"].can("account", ObjectRight.CREATE)
    assert not rights["rep@example.com"].can("account", ObjectRight.DELETE)
    assert not rights["support@example.com"].can("account", ObjectRight.CREATE)
    rep = callers["rep@example.com"].caller
    manager = callers["manager@example.com"].caller
    assert (rep.role, rep.manager_id, rep.locale) == ("sales_rep", manager.user_id, "en")


def test_a_second_start_keeps_passwords_key_and_metadata_and_resets_a_changed_password(
    demo: EngineContext, tmp_path: Path
) -> None:
    first = ensure_demo_users(demo, ensure_demo_tenant(demo))
    key = ensure_demo_key(demo, key_file=tmp_path / "key")
    revision = get_tenant(demo, DEMO_TENANT).revision
    again = ensure_demo_users(demo, ensure_demo_tenant(demo))
    assert [login.password for login in again] == [login.password for login in first]
    assert get_tenant(demo, DEMO_TENANT).revision == revision
    assert not ensure_demo_key(demo, key_file=tmp_path / "key").is_new
    rep = next(login for login in first if login.user.email == "rep@example.com")
    context = operator_context(demo, DEMO_TENANT)
    users = {u["email"]: u["id"] for u in list_user_documents(context)}
    update_user_fields(context, users["rep@example.com"], {"password": "changed by someone"})
    with pytest.raises(AuthenticationFailed):
        _log_in(demo, rep.user.email, rep.password)
    ensure_demo_users(demo, DEMO_TENANT)
    assert _log_in(demo, rep.user.email, rep.password)
    assert authenticate_bearer(demo, key.api_key).caller.email == "admin@example.com"


def test_the_demo_roles_and_permission_sets_are_one_revision_saying_what_it_is(
    demo: EngineContext, tmp_path: Path
) -> None:
    ensure_demo_users(demo, ensure_demo_tenant(demo))
    key = ensure_demo_key(demo, key_file=tmp_path / "key")
    with TestClient(create_app(demo)) as client:
        response = client.get(
            "/api/v1/admin/revisions", headers={"Authorization": f"Bearer {key.api_key}"}
        )
    assert response.status_code == 200, response.text
    revisions = response.json()["data"]
    assert [r["summary"] for r in revisions] == [
        "demo tenant: the sample users' roles and permission sets"
    ]
    assert revisions[0]["changes"][0]["operations"] == [
        "add role ceo",
        "add role sales_manager",
        "add role sales_rep",
        "add role support_agent",
        "add permission set executive",
        "add permission set sales_management",
        "add permission set sales",
        "add permission set support",
    ]
