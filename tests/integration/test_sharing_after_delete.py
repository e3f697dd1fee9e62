"""A delete keeps sharing-rule shares true for every record it writes (docs/sharing.md)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TenantHandle
from tests.sharing_world import World, build_world

DEALER_SET = {
    "api_name": "dealer_set",
    "filter": {"dealer": {"is_null": False}},
    "share_with": {"role": "rep"},
    "access": "read",
}


@pytest.fixture
def world(app_client: TestClient, tenant: TenantHandle) -> World:
    return build_world(app_client, tenant)


def test_deleting_a_dealer_empties_a_leads_lookup_and_the_rule_lets_go(world: World) -> None:
    dealer = world.admin.create("dealer", name="Dealer Z")
    lead = world.admin.create("lead", name="z-lead", code="z-lead", dealer=dealer)
    added = world.admin.post("/admin/objects/lead/sharing-rules", json=DEALER_SET)
    assert added.status_code == 201, added.text
    assert world["rep1"].get(f"/data/lead/{lead}").status_code == 200

    deleted = world.admin.delete(f"/data/dealer/{dealer}")
    assert deleted.status_code == 204, deleted.text

    assert world.admin.get(f"/data/lead/{lead}").json()["dealer"] is None
    assert world["rep1"].get(f"/data/lead/{lead}").status_code == 404
    assert "z-lead" not in world.visible_leads("rep1")
