"""Renaming an object or a field renames the keys of the permission sets that name it."""

from __future__ import annotations

from tests.conftest import Api, add_user

LEAD = {
    "api_name": "lead",
    "fields": [{"api_name": "name", "type": "text"}, {"api_name": "phone", "type": "text"}],
}
DESK = {
    "api_name": "desk",
    "objects": {"lead": {"read": True, "create": True, "edit": True}},
    "fields": {"lead.phone": {"read": False}},
}


def test_a_set_follows_its_object_and_field_through_renames(api: Api) -> None:
    assert api.post("/admin/objects", json=LEAD).status_code == 201
    assert api.post("/admin/permission-sets", json=DESK).status_code == 201
    clerk = Api(
        client=api.client,
        tenant=add_user(api.tenant, "clerk@example.com", permission_sets=("desk",)),
    )
    renamed = api.patch("/admin/objects/lead/fields/phone", json={"api_name": "mobile"})
    assert renamed.status_code == 200, renamed.text
    moved = api.patch("/admin/objects/lead", json={"api_name": "prospect"})
    assert moved.status_code == 200, moved.text
    stored = api.get("/admin/permission-sets/desk").json()
    assert set(stored["objects"]) == {"prospect"}
    assert set(stored["fields"]) == {"prospect.mobile"}
    # The rights still apply under the new names: the clerk creates prospects and
    # never sees their mobile number.
    created = clerk.post("/data/prospect", json={"name": "Wang"})
    assert created.status_code == 201, created.text
    api.patch(f"/data/prospect/{created.json()['id']}", json={"mobile": "13800001234"})
    shown = clerk.get(f"/data/prospect/{created.json()['id']}").json()
    assert "mobile" not in shown and shown["name"] == "Wang"
