"""Who stands for a record: transferring it needs what sharing it needs; a share is capped."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from engine.access.kinds import PERMISSION_SETS
from engine.metadata_changes.components import save_component
from tests.conftest import Api, TenantHandle, add_user
from tests.sharing_world import World, build_world

WHO_MAY_TRANSFER = (
    "changing owner_id transfers the lead record to another owner, which only the record's "
    "owner (or a member of the queue that owns it), someone above the owner in the role "
    "hierarchy, or a user with modify_all on 'lead' may do (as for sharing it); you may "
    "change the record's other fields"
)


@pytest.fixture
def world(app_client: TestClient, tenant: TenantHandle) -> World:
    return build_world(app_client, tenant)


def _owner(world: World, lead: str) -> str:
    return str(world.admin.get(f"/data/lead/{world.leads[lead]}").json()["owner_id"])


def _to(world: World, user: str) -> dict[str, str]:
    return {"owner_id": str(world[user].tenant.user_id)}


def test_a_read_write_share_lets_a_user_change_a_record_but_not_take_it(world: World) -> None:
    lead = world.leads["rep1-lead"]
    shared = world["rep1"].post(
        f"/data/lead/{lead}/shares",
        json={"user": str(world["rep2"].tenant.user_id), "access": "read_write"},
    )
    assert shared.status_code == 201, shared.text
    taken = world["rep2"].patch(f"/data/lead/{lead}", json=_to(world, "rep2"))
    assert taken.status_code == 403
    assert taken.json()["detail"] == WHO_MAY_TRANSFER
    assert taken.json()["errors"] == [
        {
            "pointer": "/owner_id",
            "field": "owner_id",
            "code": "owner-transfer",
            "message": WHO_MAY_TRANSFER,
        }
    ]
    upserted = world["rep2"].post(
        "/data/lead/bulk?upsert_on=code&mode=partial",
        json=[{"code": "rep1-lead", **_to(world, "rep2")}],
    )
    assert upserted.status_code == 403
    assert upserted.json()["errors"][0]["pointer"] == "/0/owner_id"
    assert _owner(world, "rep1-lead") == str(world["rep1"].tenant.user_id)
    # The share still lets rep2 change the record, sending its owner back unchanged too.
    changed = world["rep2"].patch(f"/data/lead/{lead}", json={"amount": 21, **_to(world, "rep1")})
    assert changed.status_code == 200, changed.text


def test_the_owner_a_role_above_and_modify_all_may_transfer(world: World) -> None:
    lead = world.leads["rep1-lead"]
    by_owner = world["rep1"].patch(f"/data/lead/{lead}", json=_to(world, "rep2"))
    assert by_owner.status_code == 200, by_owner.text
    assert by_owner.json()["owner_id"] == str(world["rep2"].tenant.user_id)
    # The director's role is above rep2's; the ceo's is above the director's.
    by_manager = world["director"].patch(f"/data/lead/{lead}", json=_to(world, "rep1"))
    assert by_manager.status_code == 200, by_manager.text
    assert world["rep2"].patch(f"/data/lead/{lead}", json=_to(world, "rep2")).status_code == 404
    by_admin = world.admin.patch(f"/data/lead/{lead}", json=_to(world, "director"))
    assert by_admin.status_code == 200, by_admin.text
    # rep1 no longer owns it, and is below the director: it may not take it back.
    assert world["rep1"].patch(f"/data/lead/{lead}", json=_to(world, "rep1")).status_code == 404
    assert _owner(world, "rep1-lead") == str(world["director"].tenant.user_id)


def test_a_partner_user_changes_its_accounts_records_but_may_not_take_them(world: World) -> None:
    lead = world.leads["a-lead"]
    assert world["a2"].patch(f"/data/lead/{lead}", json={"amount": 101}).status_code == 200
    taken = world["a2"].patch(f"/data/lead/{lead}", json=_to(world, "a2"))
    assert taken.status_code == 403
    assert taken.json()["errors"][0]["code"] == "owner-transfer"
    assert _owner(world, "a-lead") == str(world["a"].tenant.user_id)


def test_a_new_record_may_name_any_active_user_as_its_owner(world: World) -> None:
    created = world["rep2"].post("/data/lead", json={"name": "for rep1", **_to(world, "rep1")})
    assert created.status_code == 201, created.text
    assert created.json()["owner_id"] == str(world["rep1"].tenant.user_id)


def test_a_sharer_without_edit_may_grant_read_only(world: World, tenant: TenantHandle) -> None:
    save_component(
        tenant.context(),
        PERMISSION_SETS,
        {"api_name": "lead_reader", "objects": {"lead": {"read": True, "create": True}}},
    )
    reader = Api(
        client=world.admin.client,
        tenant=add_user(tenant, "reader@example.com", permission_sets=("lead_reader",)),
    )
    lead = reader.create("lead", name="reader-lead")
    path = f"/data/lead/{lead}/shares"
    refused = reader.post(
        path, json={"user": str(world["rep2"].tenant.user_id), "access": "read_write"}
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "you may not share a lead record with read_write access: none of your permission "
        "sets grants edit on 'lead', and a share grants no more than its sharer may do; "
        'share it with "access": "read"'
    )
    assert world["rep2"].get(f"/data/lead/{lead}").status_code == 404
    granted = reader.post(path, json={"user": str(world["rep2"].tenant.user_id), "access": "read"})
    assert granted.status_code == 201, granted.text
    assert world["rep2"].get(f"/data/lead/{lead}").status_code == 200
    assert world["rep2"].patch(f"/data/lead/{lead}", json={"amount": 1}).status_code == 403
    # A sharer with edit may grant read_write.
    rep1_lead = world.leads["rep1-lead"]
    assert (
        world["rep1"]
        .post(
            f"/data/lead/{rep1_lead}/shares",
            json={"user": str(world["rep2"].tenant.user_id), "access": "read_write"},
        )
        .status_code
        == 201
    )
