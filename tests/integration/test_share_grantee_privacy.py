"""Manual shares tell a sharer nothing of users or partner accounts it may not see."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TenantHandle
from tests.sharing_world import World, build_world, change_user


@pytest.fixture
def world(app_client: TestClient, tenant: TenantHandle) -> World:
    return build_world(app_client, tenant)


def test_unknown_and_inactive_users_get_one_and_the_same_refusal(
    world: World, tenant: TenantHandle
) -> None:
    change_user(tenant, "rep2", active=False)
    path = f"/data/lead/{world.leads['b-lead']}/shares"
    answers = [
        world["b"].post(path, json={"user": user})
        for user in (str(world["rep2"].tenant.user_id), str(uuid.uuid4()))
    ]
    answers += [
        world.admin.post(path, json={"user": user})
        for user in ("nobody@example.com", "rep2@example.com")
    ]
    assert [a.status_code for a in answers] == [422, 422, 422, 422]
    bodies = [{k: v for k, v in a.json().items() if k != "instance"} for a in answers]
    assert {body["errors"][0]["code"] for body in bodies} == {"unknown-principal"}
    # One refusal per caller, whichever user it named; a caller who may not name users by
    # e-mail is asked for an id.
    assert bodies[0] == bodies[1] and bodies[2] == bodies[3]
    assert bodies[0]["detail"].endswith("give an active user's id")
    assert bodies[2]["detail"].endswith("give an active user's id or e-mail")
    assert "example.com" not in answers[0].text


def test_only_user_managers_name_users_by_e_mail(world: World) -> None:
    path = f"/data/lead/{world.leads['b-lead']}/shares"
    # Without manage_users an e-mail is refused before anyone is looked up: the answer
    # is the same for an e-mail that has an account and one that has none.
    answers = [
        world["b"].post(path, json={"user": user})
        for user in ("ceo@example.com", "nobody@example.com", "CEO@EXAMPLE.COM")
    ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    bodies = [{k: v for k, v in a.json().items() if k != "instance"} for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["errors"][0]["code"] == "user-by-email"
    assert bodies[0]["errors"][0]["pointer"] == "/user"
    removed = world["b"].delete(path, params={"user": "ceo@example.com"})
    assert removed.status_code == 403
    assert removed.json()["errors"] == bodies[0]["errors"]
    # By id, the same user may be named; a user manager may name them by e-mail.
    ceo = str(world["ceo"].tenant.user_id)
    assert world["b"].post(path, json={"user": ceo}).status_code == 201
    by_email = world.admin.post(path, json={"user": "ceo@example.com", "access": "read_write"})
    assert by_email.status_code == 201, by_email.text
    assert by_email.json()["user"] == ceo
    assert by_email.json()["email"] == "ceo@example.com"


def test_a_user_named_by_id_is_shown_by_id_to_callers_without_manage_users(
    world: World,
) -> None:
    path = f"/data/lead/{world.leads['b-lead']}/shares"
    ceo = str(world["ceo"].tenant.user_id)
    shared = world["b"].post(path, json={"user": ceo})
    assert shared.status_code == 201, shared.text
    assert shared.json() == {"user": ceo, "access": "read", "cause": "manual"}
    assert "ceo@example.com" not in world["b"].get(path).text
    # The admin holds manage_users and sees who it is.
    listed = world.admin.get(path).json()["data"]
    assert [s.get("email") for s in listed] == ["ceo@example.com"]


def test_a_partner_account_the_caller_cannot_read_reads_as_unknown(world: World) -> None:
    path = f"/data/lead/{world.leads['b-lead']}/shares"
    assert world["b"].get(f"/data/dealer/{world.dealers['A']}").status_code == 404
    hidden = world["b"].post(path, json={"partner_account": world.dealers["A"]})
    missing = world["b"].post(path, json={"partner_account": str(uuid.uuid4())})
    assert (hidden.status_code, missing.status_code) == (422, 422)
    assert hidden.json()["detail"] == missing.json()["detail"]
    assert hidden.json()["errors"] == missing.json()["errors"]
    # The admin reads every dealer and may name the account.
    assert world.admin.post(path, json={"partner_account": world.dealers["A"]}).status_code == 201
