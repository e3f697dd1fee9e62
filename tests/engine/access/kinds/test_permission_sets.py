"""A permission set is stored and answered with the rights it implies written out, so
what it says is what it grants (and what `/me` shows)."""

from __future__ import annotations

from itertools import product

import pytest

from engine.access.kinds import PERMISSION_SETS
from engine.access.kinds.permission_sets import normalized_permission_set
from engine.access.rights import Rights
from engine.metadata_changes.components import save_component
from metadata.models import ObjectRight, PermissionSetDef
from tests.conftest import Api, add_user

RIGHTS = [right.value for right in ObjectRight]


@pytest.mark.parametrize("granted", list(product([False, True], repeat=len(RIGHTS))))
def test_a_normalized_set_says_exactly_the_object_rights_it_grants(
    granted: tuple[bool, ...],
) -> None:
    given = PermissionSetDef.model_validate(
        {"api_name": "s", "objects": {"lead": dict(zip(RIGHTS, granted, strict=True))}}
    )
    said = normalized_permission_set(given).objects["lead"].model_dump()
    effective = Rights.of(["s"], {"s": given}).on_object("lead")
    assert {name for name, value in said.items() if value} == {r.value for r in effective}


def test_field_edit_implies_read_and_a_hidden_field_stays_hidden() -> None:
    given = PermissionSetDef.model_validate(
        {
            "api_name": "s",
            "fields": {
                "lead.rating": {"edit": True},
                "lead.phone": {"read": False},
                "lead.note": {"read": True},
            },
        }
    )
    fields = normalized_permission_set(given).fields
    assert {key: rights.model_dump() for key, rights in fields.items()} == {
        "lead.rating": {"read": True, "edit": True},
        "lead.phone": {"read": False, "edit": False},
        "lead.note": {"read": True, "edit": False},
    }


def test_a_set_saved_with_create_and_edit_reads_back_with_read_as_me_shows_it(
    api: Api,
) -> None:
    api.post(
        "/admin/objects",
        json={"api_name": "lead", "fields": [{"api_name": "name", "type": "text"}]},
    )
    body = {"api_name": "sales", "objects": {"lead": {"create": True, "edit": True}}}
    planned = api.post("/admin/permission-sets?dry_run=true", json=body)
    assert planned.json()["result"]["objects"]["lead"]["read"] is True
    created = api.post("/admin/permission-sets", json=body)
    assert created.status_code == 201, created.text
    expected = {
        "read": True,
        "create": True,
        "edit": True,
        "delete": False,
        "view_all": False,
        "modify_all": False,
    }
    assert created.json()["objects"]["lead"] == expected
    assert api.get("/admin/permission-sets/sales").json()["objects"]["lead"] == expected
    exported = api.get("/admin/metadata").json()["permission_sets"]
    [stored] = [s for s in exported if s["api_name"] == "sales"]
    assert stored["objects"]["lead"] == expected
    rep = add_user(api.tenant, "rep@example.com", permission_sets=("sales",))
    me = Api(client=api.client, tenant=rep).get("/me").json()
    assert me["rights"]["objects"]["lead"] == expected


def test_modify_all_and_delete_read_back_with_every_right_they_imply(api: Api) -> None:
    api.post(
        "/admin/objects",
        json={"api_name": "lead", "fields": [{"api_name": "name", "type": "text"}]},
    )
    save_component(
        api.tenant.context(),
        PERMISSION_SETS,
        {"api_name": "boss", "objects": {"*": {"modify_all": True}, "lead": {"delete": True}}},
    )
    changed = api.patch(
        "/admin/permission-sets/boss", json={"fields": {"lead.name": {"edit": True}}}
    )
    assert changed.status_code == 200, changed.text
    document = api.get("/admin/permission-sets/boss").json()
    assert set(document["objects"]["*"].values()) == {True}
    assert document["objects"]["lead"] == {
        "read": True,
        "create": False,
        "edit": True,
        "delete": True,
        "view_all": False,
        "modify_all": False,
    }
    assert document["fields"] == {"lead.name": {"read": True, "edit": True}}
