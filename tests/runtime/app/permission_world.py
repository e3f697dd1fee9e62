"""A tenant with objects, permission sets, users and records, for the access-control tests.

Objects: `account` (a hidden `secret_note`, a personal `phone`), `opportunity` (a lookup
to account, a read-only `margin`, a file field `scan`) and `payroll` (only admins and
clerks read it). Users, by the permission sets they hold:

- admin: `administrator` (everything)
- rep: reads accounts (not `secret_note`); reads, creates and edits opportunities
  (`margin` read-only); nothing on payroll
- viewer: reads accounts and opportunities
- clerk: every object right on every object, no system right (personal data masked)
- auditor: the clerk's sets and `privacy` (view_pii)
- nobody: no permission set at all

Every object's records are open to every user (`read_write` sharing): which rows a user
sees is record sharing's, tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.conftest import Api, TenantHandle, add_user

#: A value only a reader of `account.secret_note` may ever see.
SECRET = "Acme-Secret-42"
PHONE = "13812345678"
MASKED_PHONE = "138****5678"

OBJECTS = [
    {
        "api_name": "account",
        "fields": [
            {"api_name": "name", "type": "text", "required": True, "searchable": True},
            {"api_name": "code", "type": "text", "unique": True},
            {"api_name": "revenue", "type": "currency"},
            {"api_name": "secret_note", "type": "text", "searchable": True},
            {"api_name": "phone", "type": "phone", "pii": True, "searchable": True},
            {"api_name": "tier", "type": "picklist", "values": ["gold", "silver"]},
        ],
    },
    {
        "api_name": "opportunity",
        "fields": [
            {"api_name": "name", "type": "text", "required": True},
            {"api_name": "account", "type": "lookup", "target": "account"},
            {"api_name": "amount", "type": "currency"},
            {"api_name": "margin", "type": "decimal"},
            {"api_name": "scan", "type": "file"},
        ],
    },
    {
        "api_name": "payroll",
        "fields": [
            {"api_name": "employee", "type": "text", "searchable": True},
            {"api_name": "salary", "type": "currency"},
        ],
    },
]

PERMISSION_SETS = [
    {
        "api_name": "rep",
        "objects": {
            "account": {"read": True},
            "opportunity": {"read": True, "create": True, "edit": True},
        },
        "fields": {
            "account.secret_note": {"read": False, "edit": False},
            "opportunity.margin": {"read": True, "edit": False},
        },
    },
    {
        "api_name": "viewer",
        "objects": {"account": {"read": True}, "opportunity": {"read": True}},
    },
    {
        "api_name": "clerk",
        "objects": {"*": {"read": True, "create": True, "edit": True, "delete": True}},
    },
    {"api_name": "privacy", "system": ["view_pii"]},
]

USERS: dict[str, tuple[str, ...]] = {
    "rep": ("rep",),
    "viewer": ("viewer",),
    "clerk": ("clerk",),
    "auditor": ("clerk", "privacy"),
    "nobody": (),
}


@dataclass
class World:
    """The tenant's admin API, a client per user and the ids of the sample records."""

    admin: Api
    users: dict[str, Api] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def as_user(self, name: str) -> Api:
        """The API as user `name` (`admin` is the tenant's first admin)."""
        return self.admin if name == "admin" else self.users[name]


def build_world(api: Api) -> World:
    """Create the objects, sets, users and records described above."""
    for obj in OBJECTS:
        response = api.post("/admin/objects", json=obj)
        assert response.status_code == 201, response.text
        # Every record is open to every user here, so these tests see object and field
        # rights alone; record sharing has tests of its own (test_dealer_sharing.py).
        path = f"/admin/objects/{obj['api_name']}/sharing"
        opened = api.request("PUT", path, json={"default_access": "read_write"})
        assert opened.status_code == 200, opened.text
    for permission_set in PERMISSION_SETS:
        response = api.post("/admin/permission-sets", json=permission_set)
        assert response.status_code == 201, response.text
    world = World(admin=api)
    for name, sets in USERS.items():
        handle: TenantHandle = add_user(api.tenant, f"{name}@example.com", permission_sets=sets)
        world.users[name] = Api(client=api.client, tenant=handle)
    world.ids["account"] = api.create(
        "account", name="Acme", code="A-1", revenue="1000", secret_note=SECRET, phone=PHONE
    )
    world.ids["opportunity"] = api.create(
        "opportunity", name="Big deal", account=world.ids["account"], amount="100", margin="0.4"
    )
    world.ids["payroll"] = api.create("payroll", employee="Eve", salary="99999")
    return world
