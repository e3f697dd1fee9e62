"""Log in with a password, act with the token, refresh, log out, and the limits on failures."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from engine.audit import list_events
from engine.context import EngineContext
from engine.sessions import (
    LOGIN_WINDOW,
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_USER,
    refresh_session,
)
from engine.sessions import log_in as engine_log_in
from runtime.app import create_app
from tests.conftest import Api, TenantHandle, add_user
from tests.identity_helpers import (
    PASSWORD,
    MovableClock,
    add_permission_set,
    add_role,
    bearer,
    give_password,
    log_in,
    with_clock,
)

ADMIN = "admin@example.com"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def client(engine_context: EngineContext, clock: MovableClock) -> Iterator[TestClient]:
    """An HTTP client on an app whose engine runs on the test's clock."""
    with TestClient(create_app(with_clock(engine_context, clock))) as client:
        yield client


@pytest.fixture
def admin(tenant: TenantHandle) -> TenantHandle:
    """The tenant, its admin user with a password."""
    give_password(tenant.engine, tenant.user_id)
    return tenant


def _actions(tenant: TenantHandle) -> list[str]:
    with tenant.engine.db.connect() as connection:
        events = list_events(connection, tenant.context().tenant.id)
    return [event.action for event in reversed(events)]


def test_a_password_login_gives_tokens_and_the_access_token_acts_as_the_user(
    client: TestClient, admin: TenantHandle
) -> None:
    response = log_in(client, admin.name, "Admin@Example.com", grant_type="password")
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert (tokens["token_type"], tokens["expires_in"]) == ("bearer", 900)
    assert tokens["refresh_token"].startswith("tsr_")
    assert response.headers["cache-control"] == "no-store"
    headers = bearer(tokens["access_token"])
    me = client.get("/api/v1/me", headers=headers).json()
    assert (me["id"], me["email"], me["tenant"]) == (str(admin.user_id), ADMIN, admin.name)
    assert me["authenticated_with"] == "token"
    created = client.post("/api/v1/admin/objects", headers=headers, json={"api_name": "note"})
    assert created.status_code == 201, created.text
    record = client.post("/api/v1/data/note", headers=headers, json={}).json()
    assert record["created_by"] == record["owner_id"] == str(admin.user_id)
    assert _actions(admin)[-1] == "login.succeeded"


def test_a_wrong_password_an_unknown_email_and_an_unknown_tenant_get_one_answer(
    client: TestClient, admin: TenantHandle
) -> None:
    answers = [
        log_in(client, admin.name, ADMIN, "not the password"),
        log_in(client, admin.name, "nobody@example.com"),
        log_in(client, "no-such-tenant", ADMIN),
        log_in(client, admin.name, "not an e-mail"),
    ]
    assert {response.status_code for response in answers} == {401}
    bodies = [{k: v for k, v in r.json().items() if k != "instance"} for r in answers]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["detail"] == "the tenant, e-mail or password is wrong"
    assert bodies[0]["error"] == "invalid_grant"
    assert _actions(admin)[-3:] == ["login.failed", "login.failed", "login.failed"]


def test_the_tenant_may_come_as_client_id_as_swagger_ui_sends_it(
    client: TestClient, admin: TenantHandle
) -> None:
    form = {"username": ADMIN, "password": PASSWORD, "grant_type": "password", "scope": ""}
    in_body = client.post("/api/v1/auth/token", data={**form, "client_id": admin.name})
    assert in_body.status_code == 200, in_body.text
    basic = base64.b64encode(f"{admin.name}:".encode()).decode()
    in_header = client.post(
        "/api/v1/auth/token", data=form, headers={"Authorization": f"Basic {basic}"}
    )
    assert in_header.status_code == 200, in_header.text
    without = client.post("/api/v1/auth/token", data=form)
    assert without.status_code == 422
    assert without.json()["errors"][0]["pointer"] == "/tenant"


def test_a_refresh_replaces_the_token_and_a_second_use_revokes_the_whole_login(
    client: TestClient, admin: TenantHandle
) -> None:
    first = log_in(client, admin.name, ADMIN).json()
    second = client.post("/api/v1/auth/refresh", data={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(renewed["access_token"])).status_code == 200
    reused = client.post("/api/v1/auth/refresh", data={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["reason"] == "token-reused"
    # The thief's copy and the user's newer token are both dead now.
    after = client.post("/api/v1/auth/refresh", data={"refresh_token": renewed["refresh_token"]})
    assert (after.status_code, after.json()["reason"]) == (401, "token-revoked")
    assert "token.reused" in _actions(admin)


def test_logout_ends_the_login_and_leaves_other_logins_alone(
    client: TestClient, admin: TenantHandle
) -> None:
    laptop = log_in(client, admin.name, ADMIN).json()
    phone = log_in(client, admin.name, ADMIN).json()
    out = client.post("/api/v1/auth/logout", data={"refresh_token": laptop["refresh_token"]})
    assert out.status_code == 204
    refused = client.post("/api/v1/auth/refresh", data={"refresh_token": laptop["refresh_token"]})
    assert refused.status_code == 401
    kept = client.post("/api/v1/auth/refresh", data={"refresh_token": phone["refresh_token"]})
    assert kept.status_code == 200
    bogus = client.post("/api/v1/auth/logout", data={"refresh_token": "tsr_nope"})
    assert (bogus.status_code, bogus.json()["reason"]) == (401, "malformed-token")
    assert "logout" in _actions(admin)


def test_an_access_token_expires_with_the_engine_clock_and_a_refresh_renews_it(
    client: TestClient, admin: TenantHandle, clock: MovableClock
) -> None:
    tokens = log_in(client, admin.name, ADMIN).json()
    clock.advance(seconds=899)
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 200
    clock.advance(seconds=1)
    expired = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert expired.status_code == 401
    assert expired.json()["reason"] == "token-expired"
    assert expired.headers["www-authenticate"] == "Bearer"
    renewed = client.post("/api/v1/auth/refresh", data={"refresh_token": tokens["refresh_token"]})
    assert client.get("/api/v1/me", headers=bearer(renewed.json()["access_token"])).is_success


def test_failed_logins_lock_the_user_out_until_the_window_has_passed(
    client: TestClient, admin: TenantHandle, clock: MovableClock
) -> None:
    for _ in range(MAX_FAILURES_PER_USER):
        assert log_in(client, admin.name, ADMIN, "a wrong guess").status_code == 401
        clock.advance(seconds=10)
    locked = log_in(client, admin.name, ADMIN)  # the right password is refused too
    assert locked.status_code == 429
    assert locked.json()["type"] == "/problems/too-many-attempts"
    # The first failure leaves the window 15 minutes after it happened: 50 s have passed.
    wait = int(LOGIN_WINDOW.total_seconds()) - 50
    assert locked.headers["retry-after"] == str(wait)
    clock.advance(seconds=wait - 1)
    assert log_in(client, admin.name, ADMIN).status_code == 429
    clock.advance(seconds=1)
    assert log_in(client, admin.name, ADMIN).status_code == 200
    # A success forgets the failures: five more guesses are allowed again.
    assert log_in(client, admin.name, ADMIN, "again wrong").status_code == 401
    assert _actions(admin)[-9:] == [
        *["login.failed"] * MAX_FAILURES_PER_USER,
        "login.locked_out",
        "login.locked_out",
        "login.succeeded",
        "login.failed",
    ]


def test_failed_logins_from_one_address_lock_that_address_out_for_every_user(
    engine_context: EngineContext, clock: MovableClock, admin: TenantHandle
) -> None:
    engine = with_clock(engine_context, clock)
    with (
        TestClient(create_app(engine), client=("203.0.113.7", 4000)) as guesser,
        TestClient(create_app(engine), client=("198.51.100.2", 4000)) as other,
    ):
        for number in range(MAX_FAILURES_PER_ADDRESS):
            guess = log_in(guesser, admin.name, f"user{number}@example.com")
            assert guess.status_code == 401
        assert log_in(guesser, admin.name, ADMIN).status_code == 429
        assert log_in(other, admin.name, ADMIN).status_code == 200


def test_me_shows_the_role_sets_and_effective_rights_of_a_limited_user(
    api: Api, client: TestClient
) -> None:
    assert api.post("/admin/objects", json=_LEAD).status_code == 201
    assert api.post("/admin/objects", json=_PAYROLL).status_code == 201
    add_role(api.tenant, "sales_rep")
    add_permission_set(
        api.tenant,
        {
            "api_name": "lead_reader",
            "objects": {"lead": {"read": True, "create": True}},
            "fields": {"lead.phone": {"read": True, "edit": False}},
        },
    )
    rep = add_user(
        api.tenant, "rep@example.com", permission_sets=("lead_reader",), role="sales_rep"
    )
    me = client.get("/api/v1/me", headers=rep.headers).json()
    assert (me["role"], me["permission_sets"]) == ("sales_rep", ["lead_reader"])
    assert me["authenticated_with"] == "api_key"
    rights = me["rights"]
    assert rights["system"] == []
    assert rights["objects"]["lead"] == {
        "read": True,
        "create": True,
        "edit": False,
        "delete": False,
        "view_all": False,
        "modify_all": False,
    }
    assert "payroll" not in rights["objects"]  # an object the rep may not read goes unnamed
    assert rights["fields"] == {"lead.phone": {"read": True, "edit": False}}
    assert client.get("/api/v1/me").status_code == 401


_PAYROLL = {"api_name": "payroll", "fields": [{"api_name": "salary", "type": "integer"}]}
_LEAD = {
    "api_name": "lead",
    "fields": [{"api_name": "name", "type": "text"}, {"api_name": "phone", "type": "phone"}],
}


def test_logins_and_refreshes_at_the_same_moment_all_succeed(admin: TenantHandle) -> None:
    engine = admin.engine

    def login_then_refresh(_: int) -> str:
        pair = engine_log_in(
            engine, tenant_name=admin.name, username=ADMIN, password=PASSWORD, address="t"
        )
        return refresh_session(engine, refresh_token=pair.refresh_token, address="t").access_token

    # Fewer than the limit: an attempt counts as a failure until it has succeeded.
    parallel = MAX_FAILURES_PER_USER - 1
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        tokens = list(pool.map(login_then_refresh, range(parallel)))
    assert len(set(tokens)) == parallel


def test_guesses_sent_in_parallel_count_before_any_has_been_answered(
    client: TestClient, admin: TenantHandle
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(
                lambda n: log_in(client, admin.name, ADMIN, f"guess {n}").status_code, range(8)
            )
        )
    assert sorted(statuses) == [401] * MAX_FAILURES_PER_USER + [429] * (8 - MAX_FAILURES_PER_USER)


def test_a_grant_type_an_endpoint_does_not_take_is_a_400_naming_the_one_it_does(
    client: TestClient, admin: TenantHandle
) -> None:
    wrong_login = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": "tsr_x", "tenant": admin.name},
    )
    assert wrong_login.status_code == 400, wrong_login.text
    body = wrong_login.json()
    assert body["type"] == "/problems/unsupported-grant-type"
    assert (body["error"], body["expected_grant_type"]) == ("unsupported_grant_type", "password")
    assert "takes grant_type=password" in body["detail"]
    assert "/api/v1/auth/refresh" in body["detail"]
    assert body["errors"][0]["pointer"] == "/grant_type"
    wrong_refresh = client.post(
        "/api/v1/auth/refresh",
        data={"grant_type": "password", "username": ADMIN, "password": PASSWORD},
    )
    assert wrong_refresh.status_code == 400, wrong_refresh.text
    assert wrong_refresh.json()["expected_grant_type"] == "refresh_token"
    assert "takes grant_type=refresh_token" in wrong_refresh.json()["detail"]
    assert "grant_type=password to POST /api/v1/auth/token" in wrong_refresh.json()["detail"]
    # The right grant, or none, still works.
    tokens = log_in(client, admin.name, ADMIN, grant_type="password").json()
    renewed = client.post(
        "/api/v1/auth/refresh",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert renewed.status_code == 200, renewed.text
    assert _actions(admin)[-1] == "login.succeeded"
