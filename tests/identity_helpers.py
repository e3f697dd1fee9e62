"""Helpers of the identity tests: a clock that moves when told, passwords, logins, sets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from engine.access import hash_password
from engine.context import EngineContext
from engine.errors import Problem
from engine.metadata_changes.components import ComponentKindSpec, save_component
from metadata.models import ComponentKind, PermissionSetDef, RoleDef, TenantMetadata
from metadata.store import update_user
from tests.conftest import TenantHandle

PASSWORD = "correct horse battery staple"


class MovableClock:
    """The engine's clock in a test: it stands still until the test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        # A minute ahead: what fixtures make on the real clock is in this clock's past.
        self.now = start or datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def with_clock(engine: EngineContext, clock: MovableClock) -> EngineContext:
    """The same engine (database, signing secret) on `clock`."""
    return replace(engine, clock=clock)


def give_password(engine: EngineContext, user_id: UUID, password: str = PASSWORD) -> None:
    """Store a password for a user directly (keeping their keys, unlike the users API)."""
    with engine.db.begin() as connection:
        update_user(connection, user_id, password_hash=hash_password(password))


def log_in(
    client: TestClient, tenant: str, email: str, password: str = PASSWORD, **form: str
) -> Any:
    """POST the OAuth2 password form; return the response."""
    data = {"username": email, "password": password, "tenant": tenant, **form}
    return client.post("/api/v1/auth/token", data=data)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _no_checks(state: TenantMetadata, definition: Any, own: Any) -> list[Problem]:
    return []


PERMISSION_SETS = ComponentKindSpec(
    kind=ComponentKind.PERMISSION_SET,
    model=PermissionSetDef,
    noun="permission set",
    check=_no_checks,
)
ROLES = ComponentKindSpec(kind=ComponentKind.ROLE, model=RoleDef, noun="role", check=_no_checks)


def add_permission_set(tenant: TenantHandle, definition: dict[str, Any]) -> None:
    """Store a permission set component in the tenant."""
    save_component(tenant.context(), PERMISSION_SETS, definition)


def add_role(tenant: TenantHandle, api_name: str, parent: str | None = None) -> None:
    """Store a role component in the tenant."""
    save_component(tenant.context(), ROLES, {"api_name": api_name, "parent": parent})
