"""The declared matrix of users, objects, operations and expected outcomes, sent to the API.

Each user's object rights are declared below (from the permission sets of
`permission_world.py`); every operation of the data API is sent as each user on each
object, and its status must be what those rights say: an object the user may not read
is not there (404), an operation they lack the right for is refused (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api, add_user
from tests.runtime.app.permission_world import World, build_world

#: What each user may do on each object: r(ead), c(reate), e(dit), d(elete).
RIGHTS: dict[str, dict[str, str]] = {
    "admin": {"account": "rced", "opportunity": "rced", "payroll": "rced"},
    "rep": {"account": "r", "opportunity": "rce", "payroll": ""},
    "viewer": {"account": "r", "opportunity": "r", "payroll": ""},
    "clerk": {"account": "rced", "opportunity": "rced", "payroll": "rced"},
    "auditor": {"account": "rced", "opportunity": "rced", "payroll": "rced"},
    "nobody": {"account": "", "opportunity": "", "payroll": ""},
}

NEW = {"account": {"name": "New"}, "opportunity": {"name": "New"}, "payroll": {"employee": "New"}}
CHANGE = {"account": {"revenue": "5"}, "opportunity": {"amount": "5"}, "payroll": {"salary": "5"}}

Operation = Callable[[Api, World, str], Any]


def _fresh(world: World, object_name: str) -> str:
    return world.admin.create(object_name, **NEW[object_name])


#: Each operation: how it is sent, the right it needs, and the status it answers with.
OPERATIONS: dict[str, tuple[Operation, str, int]] = {
    "list": (lambda api, world, o: api.get(f"/data/{o}?count=true"), "r", 200),
    "get": (lambda api, world, o: api.get(f"/data/{o}/{world.ids[o]}"), "r", 200),
    "aggregate": (lambda api, world, o: api.get(f"/data/{o}/aggregate"), "r", 200),
    "schema": (lambda api, world, o: api.get(f"/schema/{o}"), "r", 200),
    "create": (lambda api, world, o: api.post(f"/data/{o}", json=NEW[o]), "c", 201),
    "bulk": (lambda api, world, o: api.post(f"/data/{o}/bulk", json=[NEW[o]]), "c", 200),
    "update": (
        lambda api, world, o: api.patch(f"/data/{o}/{world.ids[o]}", json=CHANGE[o]),
        "e",
        200,
    ),
    "delete": (lambda api, world, o: api.delete(f"/data/{o}/{_fresh(world, o)}"), "d", 204),
}


def expected_status(rights: str, needed: str, granted: int) -> int:
    """What a user with `rights` on an object gets for an operation needing `needed`."""
    if "r" not in rights:
        return 404
    return granted if needed in rights else 403


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.mark.parametrize("user", sorted(RIGHTS))
def test_each_user_gets_what_their_rights_say_on_every_object_and_operation(
    world: World, user: str
) -> None:
    api = world.as_user(user)
    wrong = []
    checked = 0
    for object_name, rights in RIGHTS[user].items():
        for operation, (send, needed, granted) in OPERATIONS.items():
            response = send(api, world, object_name)
            expected = expected_status(rights, needed, granted)
            checked += 1
            if response.status_code != expected:
                wrong.append(
                    (object_name, operation, expected, response.status_code, response.text)
                )
            elif expected == 200 and operation == "list":
                # A read that is granted shows the record; one refused shows nothing.
                assert response.json()["total"] >= 1
    assert wrong == []
    assert checked == len(RIGHTS[user]) * len(OPERATIONS)


def test_a_refusal_says_which_right_is_missing(world: World) -> None:
    refused = world.as_user("rep").post("/data/account", json={"name": "X"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "you may not create records of 'account': none of your permission sets grants it; "
        "ask an administrator"
    )
    hidden = world.as_user("rep").get("/data/payroll")
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == "there is no object 'payroll'"


def test_an_upsert_needs_both_create_and_edit(world: World) -> None:
    world.admin.post(
        "/admin/permission-sets",
        json={"api_name": "creator", "objects": {"account": {"read": True, "create": True}}},
    )
    creator = Api(
        client=world.admin.client,
        tenant=add_user(world.admin.tenant, "cy@example.com", permission_sets=("creator",)),
    )
    body = [{"code": "A-1", "name": "Acme again"}]
    refused = creator.post("/data/account/bulk?upsert_on=code", json=body)
    assert refused.status_code == 403
    assert "edit" in refused.json()["detail"]
    assert creator.post("/data/account/bulk", json=[{"name": "Fresh"}]).status_code == 200


def test_an_object_a_set_names_replaces_its_star_entry_and_other_sets_still_add(
    world: World,
) -> None:
    everything_but_payroll = {
        "api_name": "all_but_payroll",
        "objects": {
            "*": {"read": True, "create": True, "edit": True},
            "payroll": {"read": False},
        },
    }
    created = world.admin.post("/admin/permission-sets", json=everything_but_payroll)
    assert created.status_code == 201, created.text
    narrowed = Api(
        client=world.admin.client,
        tenant=add_user(world.admin.tenant, "np@example.com", permission_sets=("all_but_payroll",)),
    )
    assert narrowed.get(f"/data/account/{world.ids['account']}").status_code == 200
    assert (
        narrowed.patch(f"/data/account/{world.ids['account']}", json={"revenue": "7"}).status_code
        == 200
    )
    assert narrowed.get(f"/data/payroll/{world.ids['payroll']}").status_code == 404
    assert narrowed.post("/data/payroll", json={"employee": "Mallory"}).status_code == 404

    # A user's rights are the union of their sets: a second set granting payroll gives it back.
    payroll_reader = {"api_name": "payroll_reader", "objects": {"payroll": {"read": True}}}
    assert world.admin.post("/admin/permission-sets", json=payroll_reader).status_code == 201
    both = Api(
        client=world.admin.client,
        tenant=add_user(
            world.admin.tenant,
            "both@example.com",
            permission_sets=("all_but_payroll", "payroll_reader"),
        ),
    )
    read = both.get(f"/data/payroll/{world.ids['payroll']}")
    assert read.status_code == 200, read.text
    assert read.json()["employee"] == "Eve"
    assert both.post("/data/payroll", json={"employee": "Mallory"}).status_code == 403
