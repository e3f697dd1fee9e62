"""Moving partner accounts in the partner hierarchy needs `manage_users` (docs/sharing.md)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.errors import PermissionDenied
from engine.records.transfer import import_batches
from tests.conftest import TenantHandle
from tests.sharing_world import World, build_world


@pytest.fixture
def world(app_client: TestClient, tenant: TenantHandle) -> World:
    built = build_world(app_client, tenant)
    # Partner users may edit every dealer record: only the right keeps the hierarchy.
    response = built.admin.request(
        "PUT", "/admin/objects/dealer/sharing", json={"default_access": "read_write"}
    )
    assert response.status_code == 200, response.text
    return built


def _refused(response: Any, *, field: str = "parent") -> None:
    status = response.status_code
    body = response.json()
    assert status == 403, body
    assert field in body["detail"] and "manage_users" in body["detail"]


def test_a_dealer_cannot_move_another_dealer_under_its_own(world: World) -> None:
    b = world["b"]
    _refused(b.patch(f"/data/dealer/{world.dealers['A']}", json={"parent": world.dealers["B"]}))
    assert world.visible_leads("b") == ["b-lead"]
    assert b.get(f"/data/lead/{world.leads['a-lead']}").status_code == 404
    dealer = world.admin.get(f"/data/dealer/{world.dealers['A']}").json()
    assert dealer["parent"] is None


def test_no_save_path_moves_a_dealer_without_the_right(world: World) -> None:
    b = world["b"]
    a, bee = world.dealers["A"], world.dealers["B"]
    _refused(b.post("/data/dealer/bulk", json=[{"name": "Dealer C", "parent": bee}]))
    _refused(b.post("/data/dealer/bulk?mode=partial", json=[{"name": "Dealer C", "parent": a}]))
    with pytest.raises(PermissionDenied, match="manage_users"):
        import_batches(
            b.tenant.context(),
            "dealer",
            [(2, {"name": "Dealer C", "parent": bee})],
            from_text=False,
        )
    # A new dealer under B would bring its future users' records to B too.
    _refused(b.post("/data/dealer", json={"name": "Dealer C", "parent": bee}))
    assert world.visible_leads("b") == ["b-lead"]


def test_a_dealer_cannot_delete_a_partner_account(world: World) -> None:
    response = world["b"].delete(f"/data/dealer/{world.dealers['A1']}")
    assert response.status_code == 403, response.text
    assert "manage_users" in response.json()["detail"]
    assert world.admin.get(f"/data/dealer/{world.dealers['A1']}").status_code == 200


def test_partners_still_edit_other_fields_and_create_top_level_dealers(world: World) -> None:
    b = world["b"]
    response = b.patch(f"/data/dealer/{world.dealers['B']}", json={"name": "Dealer Bee"})
    assert response.status_code == 200, response.text
    response = b.post("/data/dealer", json={"name": "Dealer C"})
    assert response.status_code == 201, response.text


def test_an_admin_with_manage_users_re_parents_a_dealer(world: World) -> None:
    response = world.admin.patch(
        f"/data/dealer/{world.dealers['A']}", json={"parent": world.dealers["B"]}
    )
    assert response.status_code == 200, response.text
    assert "a-lead" in world.visible_leads("b")
