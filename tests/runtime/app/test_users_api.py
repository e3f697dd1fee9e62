"""The users admin API: shapes, validations, the manage_users right, and what a change ends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Connection

from engine.access import user_changes
from engine.audit import list_events
from engine.context import EngineContext, TenantRef
from engine.tenancy import tenant_keys
from tests.conftest import Api, add_user
from tests.identity_helpers import add_permission_set, add_role, log_in

NEW_USER = {
    "email": "Li.Na@Example.com",
    "name": "Li Na",
    "role": "sales_rep",
    "permission_sets": ["sales"],
    "locale": "zh-cn",
    "password": "a long enough secret",
}


@pytest.fixture
def sales(api: Api) -> Api:
    """A tenant with a role and a permission set to give users."""
    add_role(api.tenant, "sales_manager")
    add_role(api.tenant, "sales_rep", parent="sales_manager")
    add_permission_set(
        api.tenant, {"api_name": "sales", "objects": {"*": {"read": True, "create": True}}}
    )
    return api


def _created(api: Api, **changes: Any) -> dict[str, Any]:
    response = api.post("/admin/users", json={**NEW_USER, **changes})
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def test_a_created_user_has_the_documented_shape_and_logs_in_with_its_password(
    sales: Api,
) -> None:
    admin = sales.get("/admin/users").json()["data"][0]
    user = _created(sales, manager=admin["email"])
    assert user == {
        "id": user["id"],
        "email": "li.na@example.com",
        "name": "Li Na",
        "role": "sales_rep",
        "manager": admin["id"],
        "active": True,
        "partner_account": None,
        "permission_sets": ["sales"],
        "locale": "zh-CN",
    }
    assert sales.get(f"/admin/users/{user['id']}").json() == user
    assert [u["email"] for u in sales.get("/admin/users").json()["data"]] == [
        "admin@example.com",
        "li.na@example.com",
    ]
    tokens = log_in(sales.client, sales.tenant.name, "li.na@example.com", NEW_USER["password"])
    assert tokens.status_code == 200


def test_a_bad_user_gets_one_answer_naming_every_problem(sales: Api) -> None:
    _created(sales)
    response = sales.post(
        "/admin/users",
        json={
            "email": "LI.NA@example.com",
            "name": "Twin",
            "role": "sales_reps",
            "permission_sets": ["sales", "admin"],
            "manager": "nobody@example.com",
            "locale": "chinese",
            "password": "short",
            "partner_account": "dealer-a",
        },
    )
    assert response.status_code == 422, response.text
    problems = {(p["pointer"], p["code"]) for p in response.json()["errors"]}
    assert problems == {
        ("/email", "email-taken"),
        ("/role", "unknown-role"),
        ("/permission_sets/1", "unknown-permission-set"),
        ("/manager", "unknown-user"),
        ("/locale", "invalid-locale"),
        ("/password", "weak-password"),
        ("/partner_account", "invalid-id"),
    }
    messages = {p["pointer"]: p["message"] for p in response.json()["errors"]}
    assert messages["/role"] == "there is no role 'sales_reps'; did you mean 'sales_rep'?"
    # A key the shape refuses and a value the tenant refuses, in one answer too.
    shape = sales.post("/admin/users", json={"email": "not an address", "name": "N", "x": 1})
    assert shape.status_code == 422
    assert {p["pointer"] for p in shape.json()["errors"]} == {"/email", "/x"}
    assert len(sales.get("/admin/users").json()["data"]) == 2


def test_a_manager_chain_may_not_come_back_to_the_user(sales: Api) -> None:
    boss = _created(sales, email="boss@example.com")
    mid = _created(sales, email="mid@example.com", manager=boss["id"])
    cycle = sales.patch(f"/admin/users/{boss['id']}", json={"manager": mid["email"]})
    assert cycle.status_code == 422
    assert cycle.json()["errors"][0]["code"] == "manager-cycle"
    itself = sales.patch(f"/admin/users/{boss['id']}", json={"manager": boss["id"]})
    assert itself.json()["errors"][0]["code"] == "manager-cycle"


def test_a_partner_account_needs_partner_settings(sales: Api) -> None:
    response = sales.post(
        "/admin/users", json={**NEW_USER, "partner_account": "0190a0a0-0000-7000-8000-000000000001"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "no-partner-settings"


def test_patch_changes_only_what_it_sends_and_unknown_users_are_404(sales: Api) -> None:
    user = _created(sales)
    changed = sales.patch(f"/admin/users/{user['id']}", json={"name": "Na Li", "role": None})
    assert changed.status_code == 200, changed.text
    assert {**user, "name": "Na Li", "role": None} == changed.json()
    for missing in ("0190a0a0-0000-7000-8000-000000000001", "not-an-id"):
        assert sales.get(f"/admin/users/{missing}").status_code == 404
        assert sales.patch(f"/admin/users/{missing}", json={"name": "x"}).status_code == 404
        assert sales.delete(f"/admin/users/{missing}").status_code == 404


def test_users_need_the_manage_users_right(sales: Api) -> None:
    rep = add_user(sales.tenant, "rep@example.com", permission_sets=("sales",))
    as_rep = Api(client=sales.client, tenant=rep)
    for response in (
        as_rep.get("/admin/users"),
        as_rep.get(f"/admin/users/{rep.user_id}"),
        as_rep.post("/admin/users", json=NEW_USER),
        as_rep.patch(f"/admin/users/{rep.user_id}", json={"permission_sets": ["administrator"]}),
        as_rep.delete(f"/admin/users/{sales.tenant.user_id}"),
    ):
        assert response.status_code == 403, response.text
        assert "'manage_users' system right" in response.json()["detail"]
    assert as_rep.get("/me").json()["permission_sets"] == ["sales"]


def test_the_last_user_who_may_manage_users_can_neither_go_nor_lose_the_right(
    sales: Api,
) -> None:
    admin_id = sales.tenant.user_id
    for refused in (
        sales.delete(f"/admin/users/{admin_id}"),
        sales.patch(f"/admin/users/{admin_id}", json={"active": False}),
        sales.patch(f"/admin/users/{admin_id}", json={"permission_sets": ["sales"]}),
    ):
        assert refused.status_code == 409, refused.text
        assert "last active user who may manage users" in refused.json()["detail"]
    second = _created(sales, email="second@example.com", permission_sets=["administrator"])
    assert sales.patch(f"/admin/users/{second['id']}", json={"active": False}).is_success
    assert sales.delete(f"/admin/users/{admin_id}").status_code == 409
    assert sales.patch(f"/admin/users/{second['id']}", json={"active": True}).is_success
    gone = sales.delete(f"/admin/users/{admin_id}")
    assert (gone.status_code, gone.json()["active"]) == (200, False)


def test_deactivating_revokes_the_users_keys_and_is_audited(
    sales: Api, engine_context: EngineContext
) -> None:
    rep = add_user(sales.tenant, "rep@example.com", permission_sets=("sales",))
    assert sales.client.get("/api/v1/me", headers=rep.headers).status_code == 200
    assert sales.delete(f"/admin/users/{rep.user_id}").json()["active"] is False
    assert sales.client.get("/api/v1/me", headers=rep.headers).status_code == 401
    revoked = {k.id: k.revoked_at for k in tenant_keys(engine_context, sales.tenant.name)}
    assert revoked[rep.key_id] is not None
    assert revoked[sales.tenant.key_id] is None
    with engine_context.db.connect() as connection:
        events = list_events(connection, sales.tenant.context().tenant.id)
    deactivated = next(e for e in events if e.action == "user.deactivated")
    assert (deactivated.target, deactivated.actor) == (str(rep.user_id), str(sales.tenant.user_id))
    assert deactivated.details["revoked_keys"] == [rep.key_id]
    assert {"key.issued", "user.created"} <= {e.action for e in events}


def test_every_user_change_brings_sharing_up_to_date_in_its_transaction(
    sales: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def users_changed(connection: Connection, engine: EngineContext, tenant: TenantRef) -> None:
        assert connection.in_transaction()
        calls.append(tenant.name)

    monkeypatch.setattr(user_changes, "users_changed", users_changed)
    user = _created(sales)
    sales.patch(f"/admin/users/{user['id']}", json={"role": "sales_manager"})
    sales.delete(f"/admin/users/{user['id']}")
    assert calls == [sales.tenant.name] * 3


FULL_WIDTH_LI_NA = "\uff2c\uff49.\uff2e\uff41@example.com"  # "Li.Na" in full-width letters


def test_emails_are_stored_nfkc_folded_and_lower_cased_never_casefolded(sales: Api) -> None:
    sharp = _created(sales, email="Maße@Example.com", name="Maße")
    assert sharp["email"] == "maße@example.com"
    masse = _created(sales, email="masse@example.com", name="Masse")
    assert masse["email"] == "masse@example.com"  # another address, another user
    password = NEW_USER["password"]
    assert log_in(sales.client, sales.tenant.name, "MASSE@example.com", password).is_success
    me = sales.client.get(
        "/api/v1/me",
        headers={
            "Authorization": "Bearer "
            + log_in(sales.client, sales.tenant.name, "MAßE@example.com", password).json()[
                "access_token"
            ]
        },
    )
    assert me.json()["id"] == sharp["id"]


def test_a_full_width_variant_of_a_users_email_is_that_user(sales: Api) -> None:
    user = _created(sales)
    taken = sales.post("/admin/users", json={**NEW_USER, "email": FULL_WIDTH_LI_NA})
    assert taken.status_code == 422, taken.text
    assert taken.json()["errors"][0]["code"] == "email-taken"
    assert "li.na@example.com" in taken.json()["errors"][0]["message"]
    password = NEW_USER["password"]
    tokens = log_in(sales.client, sales.tenant.name, FULL_WIDTH_LI_NA, password)
    assert tokens.status_code == 200, tokens.text
    as_user = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    assert sales.client.get("/api/v1/me", headers=as_user).json()["id"] == user["id"]
    # Failed logins of either form count for the one user.
    for typed in ("li.na@example.com", FULL_WIDTH_LI_NA) * 2 + ("LI.NA@EXAMPLE.COM",):
        assert log_in(sales.client, sales.tenant.name, typed, "a wrong guess").status_code == 401
    assert log_in(sales.client, sales.tenant.name, "li.na@example.com", password).status_code == 429
