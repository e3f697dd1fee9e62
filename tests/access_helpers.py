"""Permission sets for tests that need users with less than every right."""

from __future__ import annotations

from typing import Any

from engine.metadata_changes.components import ComponentKindSpec, save_component
from metadata.models import ComponentKind, PermissionSetDef
from tests.conftest import TenantHandle, add_user

PERMISSION_SETS = ComponentKindSpec(
    kind=ComponentKind.PERMISSION_SET,
    model=PermissionSetDef,
    noun="permission set",
    check=lambda state, definition, own: [],
)


def add_permission_set(tenant: TenantHandle, definition: dict[str, Any]) -> None:
    """Store a permission set through a metadata change."""
    save_component(tenant.context(), PERMISSION_SETS, definition)


def user_with(tenant: TenantHandle, email: str, definition: dict[str, Any]) -> TenantHandle:
    """A user holding only the permission set `definition` (stored first)."""
    add_permission_set(tenant, definition)
    return add_user(tenant, email, permission_sets=(definition["api_name"],))
