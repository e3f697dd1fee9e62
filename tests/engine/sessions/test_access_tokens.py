"""Access tokens that must not work: forged, tampered, expired, misplaced, or outlived."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from uuid import UUID

import jwt
import pytest
import sqlalchemy as sa

from engine.context import EngineContext
from engine.database import StoredSecret, create_database_engine
from engine.errors import AuthenticationFailed
from engine.sessions import (
    access_token_key,
    authenticate_bearer,
    log_in,
    moment_claim,
    refresh_session,
)
from metadata.store import find_user, refresh_tokens
from tests.conftest import Api, TenantHandle, add_user, drop_tenant_schema, make_tenant
from tests.identity_helpers import PASSWORD, bearer, give_password

ADMIN = "admin@example.com"


def _token(tenant: TenantHandle, email: str = ADMIN) -> str:
    return log_in(
        tenant.engine, tenant_name=tenant.name, username=email, password=PASSWORD, address="t"
    ).access_token


def _claims_of(tenant: TenantHandle, user_id: UUID, **changes: Any) -> dict[str, Any]:
    """Claims as Tessera would issue them for the user now, with `changes`."""
    with tenant.engine.db.connect() as connection:
        user = find_user(connection, tenant.context().tenant.id, user_id)
    assert user is not None
    now = int(time.time())
    claims = {
        "sub": str(user.id),
        "tid": str(user.tenant_id),
        "iat": now,
        "exp": now + 900,
        "jti": "0" * 32,
        "cca": moment_claim(user.credentials_changed_at),
    }
    return {k: v for k, v in {**claims, **changes}.items() if v is not None}


def _refusal(api: Api, token: str) -> dict[str, Any]:
    response = api.client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.json()["type"] == "/problems/unauthenticated"
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture
def admin(api: Api) -> Api:
    give_password(api.tenant.engine, api.tenant.user_id)
    return api


def test_a_token_tessera_signed_itself_with_the_claims_it_issues_is_accepted(admin: Api) -> None:
    claims = _claims_of(admin.tenant, admin.tenant.user_id)
    token = jwt.encode(claims, access_token_key(admin.tenant.engine), algorithm="HS256")
    assert admin.client.get("/api/v1/me", headers=bearer(token)).json()["email"] == ADMIN


def test_an_unsigned_token_alg_none_is_refused(admin: Api) -> None:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = base64.urlsafe_b64encode(
        json.dumps(_claims_of(admin.tenant, admin.tenant.user_id)).encode()
    )
    forged = f"{header.decode().rstrip('=')}.{body.decode().rstrip('=')}."
    refused = _refusal(admin, forged)
    assert refused["reason"] == "algorithm-refused"
    assert "'none' is refused" in refused["detail"]


def test_a_token_signed_with_another_algorithm_or_key_is_refused(admin: Api) -> None:
    claims = _claims_of(admin.tenant, admin.tenant.user_id)
    key = access_token_key(admin.tenant.engine)
    other_algorithm = jwt.encode(claims, key * 2, algorithm="HS512")
    assert _refusal(admin, other_algorithm)["reason"] == "algorithm-refused"
    wrong_key = jwt.encode(claims, b"k" * 32, algorithm="HS256")
    assert _refusal(admin, wrong_key)["reason"] == "bad-signature"
    genuine = _token(admin.tenant)
    head, _, signature = genuine.rpartition(".")
    payload = json.loads(base64.urlsafe_b64decode(head.split(".")[1] + "=="))
    payload["sub"] = str(add_user(admin.tenant, "other@example.com").user_id)
    tampered_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    tampered = f"{head.split('.')[0]}.{tampered_body}.{signature}"
    assert _refusal(admin, tampered)["reason"] == "bad-signature"
    assert _refusal(admin, "not-a-token")["reason"] == "malformed-token"


def test_an_expired_token_and_one_without_a_claim_are_refused(admin: Api) -> None:
    key = access_token_key(admin.tenant.engine)
    past = int(time.time()) - 60
    expired = jwt.encode(
        _claims_of(admin.tenant, admin.tenant.user_id, iat=past - 900, exp=past), key
    )
    assert _refusal(admin, expired)["reason"] == "token-expired"
    without_pin = jwt.encode(_claims_of(admin.tenant, admin.tenant.user_id, cca=None), key)
    refused = _refusal(admin, without_pin)
    assert (refused["reason"], refused["detail"]) == (
        "malformed-token",
        "the access token has no 'cca' claim",
    )


def test_a_token_naming_another_tenant_than_its_users_is_refused(
    admin: Api, engine_context: EngineContext
) -> None:
    other = make_tenant(engine_context)
    try:
        key = access_token_key(admin.tenant.engine)
        other_tenant_id = str(other.context().tenant.id)
        mixed = jwt.encode(_claims_of(admin.tenant, admin.tenant.user_id, tid=other_tenant_id), key)
        assert _refusal(admin, mixed)["reason"] == "unknown-user"
        # The other tenant's own token acts in that tenant only, never in this one.
        give_password(other.engine, other.user_id)
        theirs = admin.client.get("/api/v1/me", headers=bearer(_token(other))).json()
        assert (theirs["tenant"], theirs["id"]) == (other.name, str(other.user_id))
        listed = admin.client.get("/api/v1/admin/users", headers=bearer(_token(other))).json()
        assert [user["id"] for user in listed["data"]] == [str(other.user_id)]
    finally:
        drop_tenant_schema(engine_context, other.name)


def test_a_deactivated_users_token_and_key_stop_working_at_once(admin: Api) -> None:
    second = add_user(admin.tenant, "second@example.com")
    give_password(admin.tenant.engine, second.user_id)
    token = _token(admin.tenant, "second@example.com")
    assert admin.client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert admin.delete(f"/admin/users/{second.user_id}").status_code == 200
    assert _refusal(admin, token)["reason"] == "user-deactivated"
    assert _refusal(admin, second.api_key)["detail"] == "the API key has been revoked"


def test_a_password_change_kills_every_earlier_token_and_key_but_not_later_ones(
    admin: Api,
) -> None:
    second = add_user(admin.tenant, "second@example.com")
    give_password(admin.tenant.engine, second.user_id)
    before = _token(admin.tenant, "second@example.com")
    changed = admin.patch(
        f"/admin/users/{second.user_id}", json={"password": "a new passphrase here"}
    )
    assert changed.status_code == 200, changed.text
    assert "password" not in changed.json()
    assert _refusal(admin, before)["reason"] == "credentials-changed"
    assert _refusal(admin, second.api_key)["detail"] == "the API key has been revoked"
    after = log_in(
        admin.tenant.engine,
        tenant_name=admin.tenant.name,
        username="second@example.com",
        password="a new passphrase here",
        address="t",
    ).access_token
    assert admin.client.get("/api/v1/me", headers=bearer(after)).status_code == 200


def test_every_process_on_one_database_signs_with_the_same_stored_secret(
    tenant: TenantHandle, database_url: str
) -> None:
    give_password(tenant.engine, tenant.user_id)
    token = _token(tenant)
    # Another process: its own engine and its own, still empty, secret holder.
    other = EngineContext(db=create_database_engine(database_url))
    try:
        assert authenticate_bearer(other, token).caller.user_id == tenant.user_id
        configured = EngineContext(
            db=other.db, signing_secret=StoredSecret("signing", configured="s" * 40)
        )
        with pytest.raises(AuthenticationFailed) as refused:
            authenticate_bearer(configured, token)
        assert refused.value.extra["reason"] == "bad-signature"
    finally:
        other.db.dispose()


def test_a_refresh_token_older_than_the_users_password_never_refreshes(admin: Api) -> None:
    pair = log_in(
        admin.tenant.engine,
        tenant_name=admin.tenant.name,
        username=ADMIN,
        password=PASSWORD,
        address="t",
    )
    second = add_user(admin.tenant, "second@example.com")
    as_second = Api(client=admin.client, tenant=second)
    changed = as_second.patch(
        f"/admin/users/{admin.tenant.user_id}", json={"password": "a new passphrase here"}
    )
    assert changed.status_code == 200, changed.text
    # As if the token had been written by a refresh racing the change: not revoked.
    with admin.tenant.engine.db.begin() as connection:
        connection.execute(
            sa.update(refresh_tokens)
            .where(refresh_tokens.c.user_id == admin.tenant.user_id)
            .values(revoked_at=None)
        )
    with pytest.raises(AuthenticationFailed) as refused:
        refresh_session(admin.tenant.engine, refresh_token=pair.refresh_token, address="t")
    assert refused.value.extra["reason"] == "credentials-changed"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", float("inf")),
        ("exp", float("nan")),
        ("exp", 10**30),
        ("exp", "1893456000"),
        ("exp", 1893456000.5),
        ("exp", True),
        ("exp", -1),
        ("iat", float("-inf")),
        ("iat", "yesterday"),
        ("nbf", float("inf")),
        ("nbf", [1]),
        ("cca", 1.5),
        ("cca", "1796047364290999"),
        ("cca", False),
        ("cca", 10**40),
        ("sub", 12),
        ("tid", "not-an-id"),
        ("jti", 7),
    ],
)
def test_a_signed_token_with_a_malformed_claim_is_a_401_naming_the_claim(
    admin: Api, claim: str, value: Any
) -> None:
    # Signed with the tenant's real key: only the claim itself is wrong.
    claims = _claims_of(admin.tenant, admin.tenant.user_id, **{claim: value})
    token = jwt.encode(claims, access_token_key(admin.tenant.engine), algorithm="HS256")
    refused = _refusal(admin, token)
    assert refused["reason"] == "malformed-token"
    assert (refused["claim"], repr(claim) in refused["detail"]) == (claim, True)


def test_a_token_whose_nbf_is_still_ahead_is_refused_until_then(admin: Api) -> None:
    key = access_token_key(admin.tenant.engine)
    later = int(time.time()) + 600
    early = jwt.encode(_claims_of(admin.tenant, admin.tenant.user_id, nbf=later), key)
    assert _refusal(admin, early)["reason"] == "token-not-yet-valid"
    started = jwt.encode(_claims_of(admin.tenant, admin.tenant.user_id, nbf=later - 1200), key)
    assert admin.client.get("/api/v1/me", headers=bearer(started)).status_code == 200
