"""The admin API of roles, groups (and queues) and permission sets."""

from __future__ import annotations

from typing import Any

import pytest

from metadata.store import find_user
from tests.conftest import Api, add_user


def _user(api: Api, user_id: Any) -> Any:
    with api.tenant.engine.db.connect() as connection:
        return find_user(connection, api.tenant.context().tenant.id, user_id)


def test_roles_are_added_read_listed_changed_and_removed(api: Api) -> None:
    created = api.post("/admin/roles", json={"api_name": "ceo", "label": "CEO"})
    assert created.status_code == 201, created.text
    assert created.json() == {"api_name": "ceo", "label": "CEO"}
    assert created.headers["Tessera-Revision"] == "1"
    assert api.post("/admin/roles", json={"api_name": "sales", "parent": "ceo"}).status_code == 201
    assert api.get("/admin/roles/sales").json() == {"api_name": "sales", "parent": "ceo"}
    assert [r["api_name"] for r in api.get("/admin/roles").json()["data"]] == ["ceo", "sales"]
    changed = api.patch("/admin/roles/sales", json={"label": "Sales"})
    assert changed.json() == {"api_name": "sales", "label": "Sales", "parent": "ceo"}
    assert api.delete("/admin/roles/sales").status_code == 200
    assert api.get("/admin/roles/sales").status_code == 404
    summaries = [r["summary"] for r in api.get("/admin/revisions").json()["data"]]
    assert summaries[:2] == ["delete role sales", "change role sales"]


def test_a_dry_run_shows_the_plan_and_adds_nothing(api: Api) -> None:
    planned = api.post("/admin/roles?dry_run=true", json={"api_name": "ceo"})
    assert planned.status_code == 200
    assert planned.json()["operations"] == ["add role ceo"]
    assert api.get("/admin/roles").json()["data"] == []


def test_a_role_parent_must_exist_and_the_hierarchy_may_not_loop(api: Api) -> None:
    missing = api.post("/admin/roles", json={"api_name": "rep", "parent": "manger"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["pointer"] == "/parent"
    api.post("/admin/roles", json={"api_name": "ceo"})
    api.post("/admin/roles", json={"api_name": "vp", "parent": "ceo"})
    api.post("/admin/roles", json={"api_name": "rep", "parent": "vp"})
    looped = api.patch("/admin/roles/ceo", json={"parent": "rep"})
    assert looped.status_code == 422
    assert looped.json()["errors"][0]["code"] == "role-cycle"
    assert "ceo → rep → vp → ceo" in looped.json()["errors"][0]["message"]


def test_a_role_with_child_roles_or_users_is_not_removed(api: Api) -> None:
    api.post("/admin/roles", json={"api_name": "ceo"})
    api.post("/admin/roles", json={"api_name": "vp", "parent": "ceo"})
    add_user(api.tenant, "vera@example.com", role="vp")
    refused = api.delete("/admin/roles/ceo")
    assert refused.status_code == 409
    assert "role 'vp' (its parent)" in refused.json()["detail"]
    refused = api.delete("/admin/roles/vp")
    assert refused.status_code == 409
    assert "user vera@example.com" in refused.json()["detail"]


def test_renaming_a_role_carries_along_to_children_groups_and_users(api: Api) -> None:
    api.post("/admin/roles", json={"api_name": "ceo"})
    api.post("/admin/roles", json={"api_name": "vp", "parent": "ceo"})
    vera = add_user(api.tenant, "vera@example.com", role="ceo")
    api.post("/admin/groups", json={"api_name": "bosses", "members": ["role:ceo"]})
    renamed = api.patch("/admin/roles/ceo", json={"api_name": "chief"})
    assert renamed.status_code == 200, renamed.text
    assert api.get("/admin/roles/vp").json()["parent"] == "chief"
    assert api.get("/admin/groups/bosses").json()["members"] == ["role:chief"]
    assert _user(api, vera.user_id).role == "chief"


def test_groups_take_users_roles_and_groups_as_members(api: Api) -> None:
    api.post("/admin/roles", json={"api_name": "sales"})
    add_user(api.tenant, "ann@example.com")
    api.post("/admin/groups", json={"api_name": "north", "members": ["Ann@Example.com"]})
    created = api.post(
        "/admin/groups",
        json={
            "api_name": "everyone",
            "members": ["role_and_subordinates:sales", "group:north", "role:sales"],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["id"]
    assert created.json()["kind"] == "group"


def test_group_members_must_resolve(api: Api) -> None:
    refused = api.post(
        "/admin/groups",
        json={
            "api_name": "bad",
            "members": ["role:nobody", "group:nothing", "not an e-mail", "role:nobody"],
        },
    )
    assert refused.status_code == 422
    codes = {e["pointer"]: e["code"] for e in refused.json()["errors"]}
    assert codes == {
        "/members/0": "unknown-role",
        "/members/1": "unknown-group",
        "/members/2": "invalid-member",
        "/members/3": "repeated-member",
    }
    stranger = api.post("/admin/groups", json={"api_name": "g", "members": ["x@example.com"]})
    assert stranger.status_code == 422
    assert stranger.json()["errors"][0] == {
        "pointer": "/members/0",
        "field": "",
        "code": "unknown-user",
        "message": "no user of this tenant has the e-mail 'x@example.com'",
    }


def test_groups_may_not_contain_themselves(api: Api) -> None:
    api.post("/admin/groups", json={"api_name": "a"})
    api.post("/admin/groups", json={"api_name": "b", "members": ["group:a"]})
    looped = api.patch("/admin/groups/a", json={"members": ["group:b"]})
    assert looped.status_code == 422
    assert looped.json()["errors"][0]["code"] == "group-cycle"


def test_a_group_named_elsewhere_is_not_removed_and_a_rename_follows(api: Api) -> None:
    api.post("/admin/groups", json={"api_name": "a"})
    api.post("/admin/groups", json={"api_name": "b", "members": ["group:a"]})
    refused = api.delete("/admin/groups/a")
    assert refused.status_code == 409
    assert "group 'b' (member 'group:a')" in refused.json()["detail"]
    assert api.patch("/admin/groups/a", json={"api_name": "alpha"}).status_code == 200
    assert api.get("/admin/groups/b").json()["members"] == ["group:alpha"]


def test_a_group_read_back_with_its_id_can_be_sent_back(api: Api) -> None:
    group = api.post("/admin/groups", json={"api_name": "support", "kind": "queue"}).json()
    group["label"] = "Support"
    changed = api.patch("/admin/groups/support", json=group)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**group, "label": "Support"}


def test_permission_sets_name_existing_objects_and_fields(api: Api) -> None:
    api.post(
        "/admin/objects",
        json={"api_name": "lead", "fields": [{"api_name": "phone", "type": "phone"}]},
    )
    good = api.post(
        "/admin/permission-sets",
        json={
            "api_name": "sales_rep",
            "objects": {"lead": {"read": True, "create": True}, "*": {"read": True}},
            "fields": {"lead.phone": {"read": True}},
            "system": ["view_pii"],
        },
    )
    assert good.status_code == 201, good.text
    refused = api.post(
        "/admin/permission-sets",
        json={
            "api_name": "bad",
            "objects": {"leed": {"read": True}},
            "fields": {"lead.fone": {"read": True}, "phone": {"read": True}},
            "system": ["fly"],
        },
    )
    assert refused.status_code == 422
    pointers = {e["pointer"]: e["code"] for e in refused.json()["errors"]}
    assert pointers["/objects/leed"] == "unknown-object"
    assert pointers["/fields/lead.fone"] == "unknown-field"
    assert pointers["/fields/phone"] == "unknown-field"
    assert "/system/0" in pointers
    assert "did you mean 'lead'" in str(refused.json())


def test_a_permission_set_users_hold_is_not_removed_and_a_rename_follows(api: Api) -> None:
    api.post(
        "/admin/permission-sets", json={"api_name": "reader", "objects": {"*": {"read": True}}}
    )
    reader = add_user(api.tenant, "rita@example.com", permission_sets=("reader",))
    refused = api.delete("/admin/permission-sets/reader")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        "permission set 'reader' is still held by user rita@example.com"
    )
    assert (
        api.patch("/admin/permission-sets/reader", json={"api_name": "viewer"}).status_code == 200
    )
    assert _user(api, reader.user_id).permission_sets == ["viewer"]
    # Its holders hold it by its new name, and it still grants what it did.
    api.post("/admin/objects", json={"api_name": "lead", "fields": []})
    assert api.client.get("/api/v1/data/lead", headers=reader.headers).status_code == 200


def test_no_change_leaves_the_tenant_without_a_user_manager(api: Api) -> None:
    refused = api.patch("/admin/permission-sets/administrator", json={"system": ["customize"]})
    assert refused.status_code == 409
    assert "manage_users" in refused.json()["detail"]
    managers = {"api_name": "managers", "system": ["manage_users"]}
    assert api.post("/admin/permission-sets", json=managers).status_code == 201
    add_user(api.tenant, "mo@example.com", permission_sets=("managers",))
    allowed = api.patch("/admin/permission-sets/administrator", json={"system": ["customize"]})
    assert allowed.status_code == 200, allowed.text


def test_the_access_routes_need_manage_users(api: Api) -> None:
    api.post("/admin/permission-sets", json={"api_name": "builder", "system": ["customize"]})
    builder = add_user(api.tenant, "bo@example.com", permission_sets=("builder",))
    for path in ("/admin/roles", "/admin/groups", "/admin/permission-sets"):
        response = api.client.get(f"/api/v1{path}", headers=builder.headers)
        assert response.status_code == 403
        assert "manage_users" in response.json()["detail"]
    refused = api.client.post(
        "/api/v1/admin/permission-sets",
        headers=builder.headers,
        json={"api_name": "mine", "system": ["manage_users"]},
    )
    assert refused.status_code == 403
    assert api.get("/admin/permission-sets/mine").status_code == 404


def test_the_metadata_export_shows_group_users_only_to_user_managers(api: Api) -> None:
    api.post("/admin/roles", json={"api_name": "sales"})
    add_user(api.tenant, "ann@example.com")
    group = {"api_name": "north", "members": ["ann@example.com", "role:sales"]}
    assert api.post("/admin/groups", json=group).status_code == 201
    api.post("/admin/permission-sets", json={"api_name": "builder", "system": ["customize"]})
    builder = add_user(api.tenant, "bo@example.com", permission_sets=("builder",))

    exported = api.client.get("/api/v1/admin/metadata", headers=builder.headers)
    assert exported.status_code == 200, exported.text
    assert "ann@example.com" not in exported.text
    assert "@" not in str(exported.json()["roles"]) + str(exported.json()["permission_sets"])
    [north] = exported.json()["groups"]
    assert north["members"] == ["role:sales"]
    assert north["members_hidden"] is True
    assert api.client.get("/api/v1/admin/groups", headers=builder.headers).status_code == 403

    # A caller holding manage_users sees every member, as /admin/groups shows them.
    [full] = api.get("/admin/metadata").json()["groups"]
    assert full["members"] == ["ann@example.com", "role:sales"]
    assert "members_hidden" not in full
    assert api.get("/admin/groups/north").json()["members"] == full["members"]


@pytest.mark.parametrize("kind", ["roles", "groups", "permission-sets"])
def test_an_unknown_component_is_a_404_with_a_hint(api: Api, kind: str) -> None:
    api.post(f"/admin/{kind}", json={"api_name": "alpha"})
    response = api.get(f"/admin/{kind}/alpah")
    assert response.status_code == 404
    assert "did you mean 'alpha'" in response.json()["detail"]


@pytest.mark.parametrize("value", ["yes", 1, 0, "true", None])
def test_rights_and_include_subordinates_take_only_json_true_or_false(api: Api, value: Any) -> None:
    assert api.post("/admin/objects", json={"api_name": "lead"}).status_code == 201
    assert api.post("/admin/roles", json={"api_name": "reps"}).status_code == 201
    for path, body, pointer in (
        (
            "/admin/permission-sets",
            {"api_name": "loose", "objects": {"lead": {"read": value}}},
            "/objects/lead/read",
        ),
        (
            "/admin/permission-sets",
            {"api_name": "loose", "fields": {"lead.name": {"edit": value}}},
            "/fields/lead.name/edit",
        ),
        (
            "/admin/objects/lead/sharing-rules",
            {"api_name": "loose", "share_with": {"role": "reps", "include_subordinates": value}},
            "/share_with/include_subordinates",
        ),
    ):
        refused = api.post(path, json=body)
        assert refused.status_code == 422, refused.text
        problem = refused.json()["errors"][0]
        assert problem["pointer"] == pointer, refused.text
        assert "true or false" in problem["message"], refused.text
    assert api.get("/admin/permission-sets/loose").status_code == 404
    assert api.get("/admin/objects/lead/sharing-rules").json() == {"data": []}
    kept = api.post(
        "/admin/objects/lead/sharing-rules",
        json={"api_name": "strict", "share_with": {"role": "reps", "include_subordinates": True}},
    )
    assert kept.status_code == 201, kept.text


def test_a_group_member_and_a_manager_named_in_full_width_letters_are_the_user(
    api: Api,
) -> None:
    ann = add_user(api.tenant, "ann@example.com")
    full_width = "\uff41\uff4e\uff4e@example.com"  # "ann" in full-width letters
    created = api.post("/admin/groups", json={"api_name": "north", "members": [full_width]})
    assert created.status_code == 201, created.text
    bob = api.post(
        "/admin/users", json={"email": "bob@example.com", "name": "Bob", "manager": full_width}
    )
    assert bob.status_code == 201, bob.text
    assert bob.json()["manager"] == str(ann.user_id)
    add_user(api.tenant, "masse@example.com")  # not the address maße@example.com
    unknown = api.post("/admin/groups", json={"api_name": "south", "members": ["maße@example.com"]})
    assert unknown.status_code == 422, unknown.text
