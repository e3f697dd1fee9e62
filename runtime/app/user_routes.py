"""Users admin API: list, create, read, change and deactivate users (needs manage_users)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, status

from engine.access import (
    create_user,
    deactivate_user,
    get_user_document,
    list_user_documents,
    update_user_fields,
)
from metadata.models import UserDef, UserPatch
from runtime.app.api_route import ApiRoute
from runtime.app.auth import NeedsManageUsers
from runtime.app.json_body import checked_by_engine

router = APIRouter(prefix="/api/v1/admin", tags=["users"], route_class=ApiRoute)

# Checked by the engine, shape and tenant together: one 422 lists every problem.
NewUser = Annotated[Any, Body(), checked_by_engine(UserDef)]
UserChange = Annotated[Any, Body(), checked_by_engine(UserPatch)]
# Any text is taken (an id of no user is a 404), but only a UUID can name a user.
UserId = Annotated[str, Path(description="The user's id", json_schema_extra={"format": "uuid"})]


@router.get("/users")
async def list_users(run: NeedsManageUsers) -> dict[str, Any]:
    """List the tenant's users, oldest first."""
    return {"data": await run(list_user_documents)}


@router.post("/users", status_code=status.HTTP_201_CREATED)
async def create(run: NeedsManageUsers, body: NewUser) -> dict[str, Any]:
    """Create a user; `password` (optional) is stored as a hash and never shown."""
    return await run(lambda context: create_user(context, body))


@router.get("/users/{user_id}")
async def get(run: NeedsManageUsers, user_id: UserId) -> dict[str, Any]:
    """Return one user."""
    return await run(lambda context: get_user_document(context, user_id))


@router.patch("/users/{user_id}")
async def update(run: NeedsManageUsers, user_id: UserId, body: UserChange) -> dict[str, Any]:
    """Change some keys of a user; a new `password` or `"active": false` ends every
    session and revokes every API key of theirs."""
    return await run(lambda context: update_user_fields(context, user_id, body))


@router.delete("/users/{user_id}")
async def deactivate(run: NeedsManageUsers, user_id: UserId) -> dict[str, Any]:
    """Deactivate a user (users are never deleted: records keep naming them)."""
    return await run(lambda context: deactivate_user(context, user_id))
