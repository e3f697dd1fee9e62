"""What moves who sees what: sharing rules, manual shares, queues, roles, partner parents."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient

from engine.access.kinds import GROUPS, ROLES
from engine.catalog import tenant_catalog
from engine.metadata_changes.components import save_component
from metadata.models import ComponentKind
from tests.conftest import TenantHandle
from tests.sharing_world import World, build_world, change_user

DEALER_RULE = {
    "api_name": "dealer_leads",
    "filter": {"dealer": {"is_null": False}, "amount": {"gte": 200}},
    "share_with": {"role": "sales_director", "include_subordinates": True},
    "access": "read",
}


@pytest.fixture
def world(app_client: TestClient, tenant: TenantHandle) -> World:
    return build_world(app_client, tenant)


def test_a_sharing_rule_shares_matching_leads_while_it_exists(world: World) -> None:
    assert world.visible_leads("rep1") == ["rep1-lead"]
    added = world.admin.post("/admin/objects/lead/sharing-rules", json=DEALER_RULE)
    assert added.status_code == 201, added.text
    # The director and the roles below see the dealers' larger leads; the ceo is above.
    assert world.visible_leads("rep1") == ["a1-lead", "a2-lead", "b-lead", "rep1-lead"]
    assert world.visible_leads("director") == [
        "a1-lead",
        "a2-lead",
        "b-lead",
        "director-lead",
        "rep1-lead",
        "rep2-lead",
    ]
    assert world.visible_leads("ceo") == ["director-lead", "rep1-lead", "rep2-lead"]
    # Read access: seen, not changed.
    refused = world["rep1"].patch(f"/data/lead/{world.leads['b-lead']}", json={"amount": 1})
    assert refused.status_code == 403
    removed = world.admin.delete("/admin/objects/lead/sharing-rules/dealer_leads")
    assert removed.status_code == 200, removed.text
    assert world.visible_leads("rep1") == ["rep1-lead"]


def test_a_rule_follows_each_write_of_the_records_it_reads(world: World) -> None:
    world.admin.post(
        "/admin/objects/lead/sharing-rules", json={**DEALER_RULE, "access": "read_write"}
    )
    a_lead = world.leads["a-lead"]
    assert "a-lead" not in world.visible_leads("rep2")
    assert world["a"].patch(f"/data/lead/{a_lead}", json={"amount": 250}).status_code == 200
    assert "a-lead" in world.visible_leads("rep2")
    # read_write: the rule's principals change the lead too, and can move it out of it.
    assert world["rep2"].patch(f"/data/lead/{a_lead}", json={"amount": 150}).status_code == 200
    assert "a-lead" not in world.visible_leads("rep2")
    created = world.admin.post(
        "/data/lead/bulk",
        json=[{"name": f"bulk-{i}", "amount": 300, "dealer": world.dealers["B"]} for i in range(3)],
    )
    assert created.status_code == 200, created.text
    assert world.visible_leads("rep2", filter=json.dumps({"name": {"starts_with": "bulk"}})) == [
        "bulk-0",
        "bulk-1",
        "bulk-2",
    ]


def test_changing_a_rule_recomputes_its_shares(world: World) -> None:
    world.admin.post("/admin/objects/lead/sharing-rules", json=DEALER_RULE)
    assert "a2-lead" in world.visible_leads("rep1")
    changed = world.admin.patch(
        "/admin/objects/lead/sharing-rules/dealer_leads",
        json={"filter": {"amount": {"gte": 800}}},
    )
    assert changed.status_code == 200, changed.text
    assert world.visible_leads("rep1") == ["b-lead", "rep1-lead"]
    regrouped = world.admin.patch(
        "/admin/objects/lead/sharing-rules/dealer_leads",
        json={"share_with": {"role": "ceo"}},
    )
    assert regrouped.status_code == 200, regrouped.text
    assert world.visible_leads("rep1") == ["rep1-lead"]
    assert world.visible_leads("ceo") == ["b-lead", "director-lead", "rep1-lead", "rep2-lead"]


def test_a_manual_share_lets_one_user_in_and_only_those_above_the_owner_may_make_it(
    world: World,
) -> None:
    lead = world.leads["rep1-lead"]
    path = f"/data/lead/{lead}/shares"
    assert world["rep2"].get(f"/data/lead/{lead}").status_code == 404
    # A peer cannot share what it cannot see; b sees nothing of it either.
    assert world["rep2"].post(path, json={"user": "rep2@example.com"}).status_code == 404
    rep2 = str(world["rep2"].tenant.user_id)
    shared = world["rep1"].post(path, json={"user": rep2, "access": "read"})
    assert shared.status_code == 201, shared.text
    # rep1 may not see the user directory: the user is shown by id, without the e-mail.
    assert shared.json() == {
        "user": str(world["rep2"].tenant.user_id),
        "access": "read",
        "cause": "manual",
    }
    assert world["rep2"].get(f"/data/lead/{lead}").status_code == 200
    assert world["rep2"].patch(f"/data/lead/{lead}", json={"amount": 1}).status_code == 403
    # Reading a record is not owning it: rep2 may not share it on.
    resold = world["rep2"].post(path, json={"user": str(world["b"].tenant.user_id)})
    assert resold.status_code == 403, resold.text
    # The owner's manager may: a read_write share with dealer A's users, an account the
    # director can read.
    dealer_a = f"/data/dealer/{world.dealers['A']}/shares"
    assert world.admin.post(dealer_a, json={"role": "sales_director"}).status_code == 201
    upgraded = world["director"].post(
        path, json={"partner_account": world.dealers["A"], "access": "read_write"}
    )
    assert upgraded.status_code == 201, upgraded.text
    assert world["a2"].patch(f"/data/lead/{lead}", json={"amount": 22}).status_code == 200
    assert "rep1-lead" not in world.visible_leads("a1")
    listed = world["rep2"].get(path).json()["data"]
    assert [(s.get("partner_account"), s.get("user"), s["access"]) for s in listed] == [
        (world.dealers["A"], None, "read_write"),
        (None, str(world["rep2"].tenant.user_id), "read"),
    ]
    assert all("email" not in s for s in listed)
    taken_back = world["rep1"].delete(path, params={"user": rep2})
    assert taken_back.status_code == 204, taken_back.text
    assert world["rep2"].get(f"/data/lead/{lead}").status_code == 404
    assert world["rep1"].delete(path, params={"user": rep2}).status_code == 404


def test_a_share_body_names_one_known_principal(world: World) -> None:
    path = f"/data/lead/{world.leads['rep1-lead']}/shares"
    for body, code in (
        ({"user": str(uuid.uuid4())}, "unknown-principal"),
        ({"role": "reps"}, "unknown-role"),
        ({"group": "x", "role": "rep"}, "one-principal"),
        ({}, "one-principal"),
        ({"user": "rep2@example.com", "access": "all"}, "invalid-choice"),
    ):
        refused = world["rep1"].post(path, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["errors"][0]["code"] == code, body


def test_queue_members_see_and_change_the_records_a_queue_owns(
    world: World, tenant: TenantHandle
) -> None:
    save_component(
        tenant.context(),
        GROUPS,
        {"api_name": "dealer_a", "members": ["a@example.com"]},
    )
    save_component(
        tenant.context(),
        GROUPS,
        {"api_name": "triage", "kind": "queue", "members": ["rep2@example.com", "group:dealer_a"]},
    )
    state = tenant_catalog(tenant.context()).metadata_state
    queue = state.find_component(ComponentKind.GROUP, "triage")
    assert queue is not None
    lead = world.admin.create("lead", name="queued", owner_id=str(queue.id))
    assert world.visible_leads("rep2") == ["queued", "rep2-lead"]
    # A nested group's member is the queue's member too.
    assert world.visible_leads("a") == ["a-lead", "a1-lead", "a2-lead", "queued"]
    assert world["rep2"].patch(f"/data/lead/{lead}", json={"amount": 5}).status_code == 200
    assert world["rep1"].get(f"/data/lead/{lead}").status_code == 404
    taken = world["rep2"].patch(
        f"/data/lead/{lead}", json={"owner_id": str(world["rep2"].tenant.user_id)}
    )
    assert taken.status_code == 200, taken.text
    assert world.visible_leads("a") == ["a-lead", "a1-lead", "a2-lead"]


def test_a_role_change_moves_visibility_at_once(world: World, tenant: TenantHandle) -> None:
    save_component(tenant.context(), ROLES, {"api_name": "support", "parent": "ceo"})
    assert "rep1-lead" in world.visible_leads("director")
    change_user(tenant, "rep1", role="support")
    assert world.visible_leads("director") == ["director-lead", "rep2-lead"]
    assert world.visible_leads("ceo") == ["director-lead", "rep1-lead", "rep2-lead"]
    change_user(tenant, "director", role="support")
    # Now rep1's peer: it no longer sees what rep1 owns, nor rep2's (no longer below it).
    assert world.visible_leads("director") == ["director-lead"]
    # A deactivated user's records stay with the roles above it.
    change_user(tenant, "rep2", active=False)
    assert world.visible_leads("ceo") == ["director-lead", "rep1-lead", "rep2-lead"]


def test_moving_a_dealer_under_another_moves_what_its_parents_users_see(
    world: World, tenant: TenantHandle
) -> None:
    assert world.visible_leads("b") == ["b-lead"]
    moved = world.admin.patch(
        f"/data/dealer/{world.dealers['A1']}", json={"parent": world.dealers["B"]}
    )
    assert moved.status_code == 200, moved.text
    assert world.visible_leads("b") == ["a1-lead", "b-lead"]
    assert world.visible_leads("a") == ["a-lead", "a2-lead"]
    cut = world.admin.request("PATCH", "/admin/partner-settings", json={"child_accounts": "none"})
    assert cut.status_code == 200, cut.text
    assert world.visible_leads("b") == ["b-lead"]
    change_user(tenant, "a1", partner_account=None)
    assert world.visible_leads("a1") == ["a1-lead"]
    assert world.visible_leads("a") == ["a-lead", "a2-lead"]
