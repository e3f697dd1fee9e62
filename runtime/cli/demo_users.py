"""The demo tenant's users: an admin and a small sales team, with passwords kept stable.

Roles `ceo` → `sales_manager` → `sales_rep`, and `support_agent` under `ceo`; each user
holds permission sets that give them different access. Everything is made through the
engine, as an administrator would (the roles and permission sets that are missing as one
metadata change, so a new demo tenant has one revision saying what it is; users through
the users service), and only what is missing: a start changes nothing that is there.

Passwords are not stored anywhere in clear: each is derived from the database's signing
secret (TESSERA_SECRET_KEY, or the one kept in the database) and the user's e-mail, so
every start prints the same ones. A start sets a demo user's password back to it when
it was changed; a new database (or a new secret key) gives new passwords.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from uuid import UUID

from engine.access import create_user, list_user_documents, update_user_fields, verify_password
from engine.access.kinds import PERMISSION_SETS, ROLES
from engine.catalog import tenant_catalog
from engine.context import EngineContext
from engine.metadata_changes.components import NewComponent, add_components
from engine.sessions import derived_key
from metadata.models import (
    ALL_OBJECTS,
    ObjectRights,
    PermissionSetDef,
    RoleDef,
    SystemRight,
)
from metadata.store import find_user
from runtime.cli.context import operator_context

DEMO_ROLES = (
    RoleDef(api_name="ceo", label="CEO"),
    RoleDef(api_name="sales_manager", label="Sales manager", parent="ceo"),
    RoleDef(api_name="sales_rep", label="Sales representative", parent="sales_manager"),
    RoleDef(api_name="support_agent", label="Support agent", parent="ceo"),
)
DEMO_PERMISSION_SETS = (
    PermissionSetDef(
        api_name="executive",
        label="Executive",
        description="Reads everything, personal data and the audit log included.",
        objects={ALL_OBJECTS: ObjectRights(read=True, view_all=True)},
        system=[SystemRight.VIEW_PII, SystemRight.VIEW_AUDIT],
    ),
    PermissionSetDef(
        api_name="sales_management",
        label="Sales management",
        description="Works every record of the team: reads them all, deletes.",
        objects={
            ALL_OBJECTS: ObjectRights(read=True, create=True, edit=True, delete=True, view_all=True)
        },
        system=[SystemRight.VIEW_PII],
    ),
    PermissionSetDef(
        api_name="sales",
        label="Sales",
        description="Creates and edits records; no deletes, personal data masked.",
        objects={ALL_OBJECTS: ObjectRights(read=True, create=True, edit=True)},
    ),
    PermissionSetDef(
        api_name="support",
        label="Support",
        description="Reads records and edits them; creates and deletes nothing.",
        objects={ALL_OBJECTS: ObjectRights(read=True, edit=True)},
    ),
)


@dataclass(frozen=True)
class DemoUser:
    """A demo user as made, and as printed with their password."""

    email: str
    name: str
    role: str | None
    permission_sets: tuple[str, ...]
    manager: str | None = None
    locale: str | None = None


DEMO_USERS = (
    DemoUser("admin@example.com", "Administrator", None, ("administrator",)),
    DemoUser("ceo@example.com", "陈伟", "ceo", ("executive",), locale="zh-CN"),
    DemoUser(
        "manager@example.com",
        "Li Na",
        "sales_manager",
        ("sales_management",),
        manager="ceo@example.com",
        locale="zh-CN",
    ),
    DemoUser(
        "rep@example.com",
        "Sam Rivera",
        "sales_rep",
        ("sales",),
        manager="manager@example.com",
        locale="en",
    ),
    DemoUser(
        "support@example.com",
        "Zhang Min",
        "support_agent",
        ("support",),
        manager="ceo@example.com",
        locale="zh-CN",
    ),
)


@dataclass(frozen=True)
class DemoLogin:
    """A demo user and the password they log in with."""

    user: DemoUser
    password: str


def demo_password(context: EngineContext, email: str) -> str:
    """The demo user's password: the same on every start of the same database."""
    digest = derived_key(context, f"demo password {email}")
    text = base64.b32encode(digest).decode().lower()[:16]
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


#: The summary of the revision that adds the demo's roles and permission sets.
DEMO_CHANGE_SUMMARY = "demo tenant: the sample users' roles and permission sets"


def _ensure_components(context: EngineContext, tenant: str) -> None:
    """Add the demo roles and permission sets that are missing, as one metadata change."""
    operator = operator_context(context, tenant)
    state = tenant_catalog(operator).metadata_state
    missing = [
        NewComponent(spec, definition.model_dump(mode="json", exclude_none=True))
        for spec, definitions in ((ROLES, DEMO_ROLES), (PERMISSION_SETS, DEMO_PERMISSION_SETS))
        for definition in definitions
        if state.find_component(spec.kind, definition.api_name) is None
    ]
    if missing:
        add_components(operator, missing, summary=DEMO_CHANGE_SUMMARY)


def ensure_demo_users(context: EngineContext, tenant: str) -> list[DemoLogin]:
    """Make the demo roles, permission sets and users that are missing; set each demo
    user's password to the derived one if it is not that. Return the users with them."""
    _ensure_components(context, tenant)
    logins = []
    for demo in DEMO_USERS:
        password = demo_password(context, demo.email)
        operator = operator_context(context, tenant)
        existing = {u["email"]: u for u in list_user_documents(operator)}
        if demo.email not in existing:
            manager = existing[demo.manager]["id"] if demo.manager else None
            body = {
                "email": demo.email,
                "name": demo.name,
                "role": demo.role,
                "permission_sets": list(demo.permission_sets),
                "manager": manager,
                "locale": demo.locale,
                "password": password,
            }
            create_user(operator, body)
        else:
            user_id = existing[demo.email]["id"]
            with context.db.connect() as connection:
                stored = find_user(connection, operator.tenant.id, UUID(user_id))
            if stored is None or not verify_password(stored.password_hash, password):
                update_user_fields(operator, user_id, {"password": password, "active": True})
        logins.append(DemoLogin(user=demo, password=password))
    return logins
