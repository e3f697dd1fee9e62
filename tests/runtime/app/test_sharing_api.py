"""Admin API of record sharing: object sharing settings, sharing rules, partner settings."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Api, TenantHandle
from tests.sharing_world import World, build_world


@pytest.fixture
def world(app_client: TestClient, tenant: TenantHandle) -> World:
    return build_world(app_client, tenant)


def _put(api: Api, path: str, body: Any, **params: Any) -> Any:
    return api.request("PUT", path, json=body, params=params)


def test_an_objects_sharing_is_private_until_set_and_a_dry_run_changes_nothing(
    world: World,
) -> None:
    admin = world.admin
    assert admin.get("/admin/objects/lead/sharing").json() == {"default_access": "private"}
    planned = _put(admin, "/admin/objects/lead/sharing", {"default_access": "read"}, dry_run="true")
    assert planned.status_code == 200, planned.text
    assert planned.json()["operations"] == ["add object sharing of object lead"]
    assert planned.json()["result"] == {"default_access": "read"}
    assert admin.get("/admin/objects/lead/sharing").json() == {"default_access": "private"}
    assert world.visible_leads("rep1") == ["rep1-lead"]
    applied = _put(admin, "/admin/objects/lead/sharing", {"default_access": "read"})
    assert applied.status_code == 200, applied.text
    assert int(applied.headers["tessera-revision"]) == int(planned.headers["tessera-revision"]) + 1
    assert admin.get("/admin/metadata").json()["objects"][1]["sharing"] == {
        "default_access": "read"
    }


def test_a_read_default_shows_every_lead_and_read_write_lets_everyone_change_them(
    world: World,
) -> None:
    admin, lead = world.admin, world.leads["b-lead"]
    _put(admin, "/admin/objects/lead/sharing", {"default_access": "read"})
    assert len(world.visible_leads("a1")) == 7
    assert world["a1"].patch(f"/data/lead/{lead}", json={"amount": 1}).status_code == 403
    patched = admin.patch("/admin/objects/lead/sharing", json={"default_access": "read_write"})
    assert patched.status_code == 200, patched.text
    assert world["a1"].patch(f"/data/lead/{lead}", json={"amount": 1}).status_code == 200
    # Deleting another's record needs no more than changing it under read_write.
    assert world["a1"].delete(f"/data/lead/{lead}").status_code == 204


def test_controlled_by_parent_needs_a_master_detail_field(world: World) -> None:
    refused = _put(
        world.admin, "/admin/objects/lead/sharing", {"default_access": "controlled_by_parent"}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["code"] == "no-master"
    wrong = _put(world.admin, "/admin/objects/lead/sharing", {"default_access": "public"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["pointer"] == "/default_access"


def test_sharing_administration_needs_the_customize_right(world: World) -> None:
    rep = world["rep1"]
    for method, path, body in (
        ("GET", "/admin/objects/lead/sharing", None),
        ("PUT", "/admin/objects/lead/sharing", {"default_access": "read"}),
        ("GET", "/admin/objects/lead/sharing-rules", None),
        (
            "POST",
            "/admin/objects/lead/sharing-rules",
            {"api_name": "x", "share_with": {"role": "rep"}},
        ),
        ("GET", "/admin/partner-settings", None),
        ("DELETE", "/admin/partner-settings", None),
    ):
        response = rep.request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert "customize" in response.json()["detail"]


RULE = {
    "api_name": "big",
    "filter": {"amount": {"gte": 500}},
    "share_with": {"role": "rep"},
    "access": "read",
}


def test_a_sharing_rule_is_checked_like_a_list_filter_when_it_is_saved(world: World) -> None:
    admin = world.admin
    for body, pointer, code in (
        ({**RULE, "filter": {"amont": {"gte": 1}}}, "/filter/amont", "unknown-field"),
        ({**RULE, "filter": {"amount": {"gte": "many"}}}, "/filter/amount/gte", "wrong-type"),
        (
            {**RULE, "filter": {"amount": {"greater": 1}}},
            "/filter/amount/greater",
            "unknown-operator",
        ),
        ({**RULE, "filter": {"dealer.name": {"eq": "x"}}}, "/filter", "path-in-filter"),
        ({**RULE, "share_with": {"role": "reps"}}, "/share_with/role", "unknown-role"),
        ({**RULE, "share_with": {"group": "nobody"}}, "/share_with/group", "unknown-group"),
    ):
        refused = admin.post("/admin/objects/lead/sharing-rules", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert (refused.json()["errors"][0]["pointer"], refused.json()["errors"][0]["code"]) == (
            pointer,
            code,
        ), refused.text
    on_notes = admin.post("/admin/objects/lead_note/sharing-rules", json=RULE)
    assert on_notes.status_code == 422
    assert on_notes.json()["errors"][0]["code"] == "controlled-by-parent"
    assert admin.get("/admin/objects/lead/sharing-rules").json() == {"data": []}


def test_a_sharing_rule_is_listed_replaced_and_exported(world: World) -> None:
    admin = world.admin
    assert admin.post("/admin/objects/lead/sharing-rules", json=RULE).status_code == 201
    replaced = _put(
        admin, "/admin/objects/lead/sharing-rules/big", {**RULE, "access": "read_write"}
    )
    assert replaced.status_code == 200, replaced.text
    assert admin.get("/admin/objects/lead/sharing-rules/big").json()["access"] == "read_write"
    missing = _put(admin, "/admin/objects/lead/sharing-rules/small", RULE)
    assert missing.status_code == 404
    exported = admin.get("/admin/metadata").json()
    lead = next(o for o in exported["objects"] if o["api_name"] == "lead")
    assert [r["api_name"] for r in lead["sharing_rules"]] == ["big"]
    assert exported["partner_settings"] == {
        "object": "dealer",
        "parent_field": "parent",
        "child_accounts": "read",
    }


def test_renaming_a_field_a_rule_reads_rewrites_the_rule_and_deleting_it_is_refused(
    world: World,
) -> None:
    admin = world.admin
    admin.post("/admin/objects/lead/sharing-rules", json=RULE)
    renamed = admin.patch("/admin/objects/lead/fields/amount", json={"api_name": "value"})
    assert renamed.status_code == 200, renamed.text
    rule = admin.get("/admin/objects/lead/sharing-rules/big").json()
    assert rule["filter"] == {"value": {"gte": 500}}
    assert world.visible_leads("rep1") == ["b-lead", "rep1-lead"]
    refused = admin.delete("/admin/objects/lead/fields/value")
    assert refused.status_code == 409, refused.text
    assert "sharing rule lead.big" in refused.json()["detail"]
    renamed_parent = admin.patch("/admin/objects/dealer/fields/parent", json={"api_name": "up"})
    assert renamed_parent.status_code == 200, renamed_parent.text
    assert admin.get("/admin/partner-settings").json()["parent_field"] == "up"
    moved = admin.patch("/admin/objects/dealer", json={"api_name": "partner"})
    assert moved.status_code == 200, moved.text
    assert admin.get("/admin/partner-settings").json()["object"] == "partner"
    assert world.visible_leads("a") == ["a-lead", "a1-lead", "a2-lead"]


def test_partner_settings_name_an_object_and_its_lookup_to_itself(world: World) -> None:
    admin = world.admin
    for body, pointer, code in (
        ({"object": "dealr"}, "/object", "unknown-object"),
        ({"object": "lead", "parent_field": "dealer"}, "/parent_field", "not-a-self-lookup"),
        ({"object": "dealer", "parent_field": "name"}, "/parent_field", "not-a-self-lookup"),
        ({"object": "dealer", "child_accounts": "all"}, "/child_accounts", "invalid-choice"),
    ):
        refused = _put(admin, "/admin/partner-settings", body)
        assert refused.status_code == 422, (body, refused.text)
        first = refused.json()["errors"][0]
        assert (first["pointer"], first["code"]) == (pointer, code), refused.text
    removed = admin.delete("/admin/partner-settings")
    assert removed.status_code == 200, removed.text
    assert admin.get("/admin/partner-settings").status_code == 404
    # Without partner settings a partner user sees what it owns, nothing of its dealer's.
    assert world.visible_leads("a") == ["a-lead"]
    assert admin.delete("/admin/partner-settings").status_code == 404
