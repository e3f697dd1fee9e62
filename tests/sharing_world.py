"""The dealer network the record-sharing tests run in, built through the APIs.

A manufacturer's staff in a role hierarchy (ceo > sales_director > rep), partner accounts
(dealer A, its sub-dealer A1, dealer B) with their users, and leads owned by each:

    ceo           (role ceo)            owns nothing
    director      (role sales_director) owns director-lead
    rep1, rep2    (role rep)            own rep1-lead, rep2-lead
    a, a2         (dealer A)            own a-lead, a2-lead
    a1            (dealer A1, below A)  owns a1-lead
    b             (dealer B)            owns b-lead

Leads and dealers are private; a lead's notes (master-detail) follow their lead. Users of
a dealer see what their dealer's users own and read what the dealers below own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from engine.access.kinds import PERMISSION_SETS, ROLES
from engine.access.upkeep import users_changed
from engine.database import tenant_connection
from engine.metadata_changes.components import save_component
from engine.tenancy import get_tenant
from metadata.store import find_user_by_email, update_user
from tests.conftest import Api, TenantHandle, add_user

EVERY_RIGHT_BUT_ALL = {"read": True, "create": True, "edit": True, "delete": True}

OBJECTS = [
    {
        "api_name": "dealer",
        "fields": [
            {"api_name": "name", "type": "text", "required": True},
            {"api_name": "parent", "type": "lookup", "target": "dealer"},
        ],
    },
    {
        "api_name": "lead",
        "fields": [
            {"api_name": "name", "type": "text", "searchable": True},
            {"api_name": "code", "type": "text", "unique": True},
            {"api_name": "amount", "type": "integer"},
            {"api_name": "region", "type": "text"},
            {"api_name": "dealer", "type": "lookup", "target": "dealer"},
            {"api_name": "brochure", "type": "file"},
        ],
    },
    {
        "api_name": "lead_note",
        "fields": [
            {"api_name": "lead", "type": "master_detail", "target": "lead"},
            {"api_name": "body", "type": "text"},
        ],
    },
]


@dataclass
class World:
    """The dealer network: the admin's API, every user's API, the dealers and leads."""

    admin: Api
    users: dict[str, Api] = field(default_factory=dict)
    dealers: dict[str, str] = field(default_factory=dict)
    leads: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Api:
        return self.users[name]

    def visible_leads(self, name: str, **params: Any) -> list[str]:
        """The names of the leads user `name` lists."""
        response = self[name].get("/data/lead", params={"limit": 200, "sort": "name", **params})
        assert response.status_code == 200, response.text
        return [record["name"] for record in response.json()["data"]]


def build_world(client: TestClient, tenant: TenantHandle) -> World:
    """Create the dealer network in `tenant`."""
    admin = Api(client=client, tenant=tenant)
    for document in OBJECTS:
        response = admin.post("/admin/objects", json=document)
        assert response.status_code == 201, response.text
    put = admin.request(
        "PUT", "/admin/objects/lead_note/sharing", json={"default_access": "controlled_by_parent"}
    )
    assert put.status_code == 200, put.text
    for role, parent in (("ceo", None), ("sales_director", "ceo"), ("rep", "sales_director")):
        save_component(tenant.context(), ROLES, {"api_name": role, "parent": parent})
    save_component(
        tenant.context(),
        PERMISSION_SETS,
        {"api_name": "staff", "objects": {"*": EVERY_RIGHT_BUT_ALL}},
    )
    save_component(
        tenant.context(),
        PERMISSION_SETS,
        {"api_name": "partner", "objects": {"*": EVERY_RIGHT_BUT_ALL}},
    )
    world = World(admin=admin)
    dealer_a = admin.create("dealer", name="Dealer A")
    world.dealers = {
        "A": dealer_a,
        "A1": admin.create("dealer", name="Dealer A1", parent=dealer_a),
        "B": admin.create("dealer", name="Dealer B"),
    }
    response = admin.request(
        "PUT",
        "/admin/partner-settings",
        json={"object": "dealer", "parent_field": "parent", "child_accounts": "read"},
    )
    assert response.status_code == 200, response.text
    staff = {"ceo": "ceo", "director": "sales_director", "rep1": "rep", "rep2": "rep"}
    for name, role in staff.items():
        world.users[name] = _user(client, tenant, name, permission_set="staff", role=role)
    partners = {"a": "A", "a2": "A", "a1": "A1", "b": "B"}
    for name, dealer in partners.items():
        world.users[name] = _user(
            client, tenant, name, permission_set="partner", account=UUID(world.dealers[dealer])
        )
    owners = {
        "director-lead": ("director", None, 10),
        "rep1-lead": ("rep1", None, 20),
        "rep2-lead": ("rep2", None, 40),
        "a-lead": ("a", "A", 100),
        "a2-lead": ("a2", "A", 200),
        "a1-lead": ("a1", "A1", 400),
        "b-lead": ("b", "B", 800),
    }
    for lead, (owner, dealer, amount) in owners.items():
        values: dict[str, Any] = {"name": lead, "code": lead, "amount": amount, "region": "east"}
        if dealer is not None:
            # Dealers are private: the admin makes the partners' leads point at them.
            values["owner_id"] = str(world.users[owner].tenant.user_id)
            values["dealer"] = world.dealers[dealer]
            world.leads[lead] = admin.create("lead", **values)
        else:
            world.leads[lead] = world[owner].create("lead", **values)
    return world


def _user(
    client: TestClient,
    tenant: TenantHandle,
    name: str,
    *,
    permission_set: str,
    role: str | None = None,
    account: UUID | None = None,
) -> Api:
    handle = add_user(
        tenant,
        f"{name}@example.com",
        permission_sets=(permission_set,),
        role=role,
        partner_account=account,
    )
    return Api(client=client, tenant=handle)


def change_user(tenant: TenantHandle, name: str, **values: Any) -> None:
    """Change a user as the users API does: the row, then record sharing's upkeep."""
    engine = tenant.engine
    tenant_ref = get_tenant(engine, tenant.name)
    with (
        tenant_connection(engine.db, tenant_ref.schema_name, is_write=True) as connection,
        connection.begin(),
    ):
        user = find_user_by_email(connection, tenant_ref.id, f"{name}@example.com")
        assert user is not None
        update_user(connection, user.id, **values)
        users_changed(connection, engine, tenant_ref)
