"""Admin API for roles, groups (and queues) and permission sets; they need `manage_users`.

`/api/v1/admin/roles[/{name}]`, `/api/v1/admin/groups[/{name}]` and
`/api/v1/admin/permission-sets[/{name}]`: list, create, read, change (PATCH sends only
the keys that change) and delete, each change a revision with `?dry_run=true`. Thin:
each route calls one of the component commands with its kind's spec.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from engine.access.kinds import GROUPS, PERMISSION_SETS, ROLES
from engine.metadata_changes.components import (
    ComponentKindSpec,
    delete_component,
    get_component,
    list_components,
    patch_component,
    save_component,
)
from metadata.models import GroupDef, PermissionSetDef, RoleDef
from runtime.app.admin_routes import DryRun, respond
from runtime.app.api_route import ApiRoute
from runtime.app.auth import NeedsManageUsers
from runtime.app.json_body import checked_by_engine

router = APIRouter(prefix="/api/v1/admin", tags=["access"], route_class=ApiRoute)

# Checked by the engine, shape and references together: one 422 lists every problem.
RoleBody = Annotated[Any, Body(), checked_by_engine(RoleDef)]
GroupBody = Annotated[Any, Body(), checked_by_engine(GroupDef)]
PermissionSetBody = Annotated[Any, Body(), checked_by_engine(PermissionSetDef)]


async def _list(run: NeedsManageUsers, spec: ComponentKindSpec) -> dict[str, Any]:
    return {"data": await run(lambda context: list_components(context, spec))}


async def _create(
    run: NeedsManageUsers, spec: ComponentKindSpec, body: Any, response: Response, dry_run: bool
) -> dict[str, Any]:
    outcome = await run(lambda context: save_component(context, spec, body, dry_run=dry_run))
    return respond(outcome, response, created=not dry_run)


async def _change(
    run: NeedsManageUsers,
    spec: ComponentKindSpec,
    name: str,
    body: Any,
    response: Response,
    dry_run: bool,
) -> dict[str, Any]:
    outcome = await run(lambda context: patch_component(context, spec, name, body, dry_run=dry_run))
    return respond(outcome, response)


async def _delete(
    run: NeedsManageUsers, spec: ComponentKindSpec, name: str, response: Response, dry_run: bool
) -> dict[str, Any]:
    outcome = await run(lambda context: delete_component(context, spec, name, dry_run=dry_run))
    return respond(outcome, response)


@router.get("/roles")
async def list_roles(run: NeedsManageUsers) -> dict[str, Any]:
    """List the roles of the role hierarchy."""
    return await _list(run, ROLES)


@router.post("/roles", status_code=status.HTTP_201_CREATED)
async def create_role(
    run: NeedsManageUsers, body: RoleBody, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Add a role under its parent (none: a top role)."""
    return await _create(run, ROLES, body, response, dry_run)


@router.get("/roles/{name}")
async def get_role(run: NeedsManageUsers, name: str) -> dict[str, Any]:
    """Return one role."""
    return await run(lambda context: get_component(context, ROLES, name))


@router.patch("/roles/{name}")
async def update_role(
    run: NeedsManageUsers, name: str, body: RoleBody, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Relabel, move or rename a role (a rename follows to its users, groups and rules)."""
    return await _change(run, ROLES, name, body, response, dry_run)


@router.delete("/roles/{name}")
async def delete_role(
    run: NeedsManageUsers, name: str, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Remove a role no child role, group, sharing rule or user names (else 409)."""
    return await _delete(run, ROLES, name, response, dry_run)


@router.get("/groups")
async def list_groups(run: NeedsManageUsers) -> dict[str, Any]:
    """List the public groups and queues."""
    return await _list(run, GROUPS)


@router.post("/groups", status_code=status.HTTP_201_CREATED)
async def create_group(
    run: NeedsManageUsers, body: GroupBody, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Add a public group or a queue and its members."""
    return await _create(run, GROUPS, body, response, dry_run)


@router.get("/groups/{name}")
async def get_group(run: NeedsManageUsers, name: str) -> dict[str, Any]:
    """Return one group or queue (a queue's `id` is what a record's `owner_id` takes)."""
    return await run(lambda context: get_component(context, GROUPS, name))


@router.patch("/groups/{name}")
async def update_group(
    run: NeedsManageUsers, name: str, body: GroupBody, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Change a group's label, kind or members, or rename it."""
    return await _change(run, GROUPS, name, body, response, dry_run)


@router.delete("/groups/{name}")
async def delete_group(
    run: NeedsManageUsers, name: str, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Remove a group no group or sharing rule names, or a queue owning no records."""
    return await _delete(run, GROUPS, name, response, dry_run)


@router.get("/permission-sets")
async def list_permission_sets(run: NeedsManageUsers) -> dict[str, Any]:
    """List the permission sets."""
    return await _list(run, PERMISSION_SETS)


@router.post("/permission-sets", status_code=status.HTTP_201_CREATED)
async def create_permission_set(
    run: NeedsManageUsers, body: PermissionSetBody, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Add a permission set: object, field and system rights granted together."""
    return await _create(run, PERMISSION_SETS, body, response, dry_run)


@router.get("/permission-sets/{name}")
async def get_permission_set(run: NeedsManageUsers, name: str) -> dict[str, Any]:
    """Return one permission set."""
    return await run(lambda context: get_component(context, PERMISSION_SETS, name))


@router.patch("/permission-sets/{name}")
async def update_permission_set(
    run: NeedsManageUsers,
    name: str,
    body: PermissionSetBody,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Change a set's rights or rename it (its users keep it)."""
    return await _change(run, PERMISSION_SETS, name, body, response, dry_run)


@router.delete("/permission-sets/{name}")
async def delete_permission_set(
    run: NeedsManageUsers, name: str, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Remove a permission set no user holds (else 409 naming them)."""
    return await _delete(run, PERMISSION_SETS, name, response, dry_run)
