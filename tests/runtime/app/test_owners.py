"""Record owners: an active user of the tenant or a queue; a transfer is the owner's."""

from __future__ import annotations

import uuid

import pytest

from metadata.store import update_user
from tests.conftest import Api, add_user
from tests.runtime.app.permission_world import World, build_world


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def test_a_record_may_be_owned_by_an_active_user_or_a_queue(world: World) -> None:
    rep = world.as_user("rep")
    given = world.admin.create("payroll", employee="Ann", owner_id=str(rep.tenant.user_id))
    assert world.admin.get(f"/data/payroll/{given}").json()["owner_id"] == str(rep.tenant.user_id)
    queue = world.admin.post("/admin/groups", json={"api_name": "support", "kind": "queue"})
    queued = world.admin.create("payroll", employee="Bo", owner_id=queue.json()["id"])
    assert world.admin.get(f"/data/payroll/{queued}").json()["owner_id"] == queue.json()["id"]


def test_an_owner_that_is_no_active_user_nor_a_queue_is_refused(world: World) -> None:
    group = world.admin.post("/admin/groups", json={"api_name": "club"}).json()
    gone = add_user(world.admin.tenant, "gone@example.com")
    with world.admin.tenant.engine.db.begin() as connection:
        update_user(connection, gone.user_id, active=False)
    for owner in (str(uuid.uuid4()), group["id"], str(gone.user_id)):
        refused = world.admin.post("/data/payroll", json={"employee": "X", "owner_id": owner})
        assert refused.status_code == 422, owner
        assert refused.json()["errors"] == [
            {
                "pointer": "/owner_id",
                "field": "owner_id",
                "code": "unknown-owner",
                "message": f"owner_id {owner!r} is no active user of this tenant and no queue; "
                "give the id of an active user (GET /api/v1/admin/users) or of a queue",
            }
        ]
    bulk = world.admin.post(
        "/data/payroll/bulk?mode=partial",
        json=[{"employee": "Y"}, {"employee": "Z", "owner_id": str(uuid.uuid4())}],
    )
    assert [result["status"] for result in bulk.json()["results"]] == ["created", "error"]
    assert bulk.json()["results"][1]["errors"][0]["pointer"] == "/1/owner_id"


def test_a_transfer_needs_more_than_edit_access(world: World) -> None:
    opportunity = world.ids["opportunity"]
    viewer = world.as_user("viewer")
    rep = world.as_user("rep")
    moved = {"owner_id": str(viewer.tenant.user_id)}
    assert viewer.patch(f"/data/opportunity/{opportunity}", json=moved).status_code == 403
    # Every opportunity is open to change (read_write), yet only its owner gives it away.
    refused = rep.patch(f"/data/opportunity/{opportunity}", json=moved)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["pointer"] == "/owner_id"
    assert rep.patch(f"/data/opportunity/{opportunity}", json={"amount": "7"}).status_code == 200
    given = world.admin.patch(
        f"/data/opportunity/{opportunity}", json={"owner_id": str(rep.tenant.user_id)}
    )
    assert given.status_code == 200, given.text
    transferred = rep.patch(f"/data/opportunity/{opportunity}", json=moved)
    assert transferred.status_code == 200
    assert transferred.json()["owner_id"] == str(viewer.tenant.user_id)
    emptied = world.admin.patch(f"/data/opportunity/{opportunity}", json={"owner_id": None})
    assert emptied.status_code == 422
    assert emptied.json()["errors"][0]["code"] == "invalid-owner"


def test_a_queue_that_owns_records_is_not_removed_nor_made_a_plain_group(world: World) -> None:
    queue = world.admin.post("/admin/groups", json={"api_name": "support", "kind": "queue"})
    world.admin.create("payroll", employee="Q", owner_id=queue.json()["id"])
    for refused in (
        world.admin.delete("/admin/groups/support"),
        world.admin.patch("/admin/groups/support", json={"kind": "group"}),
    ):
        assert refused.status_code == 409
        assert "1 payroll record(s) it owns" in refused.json()["detail"]
