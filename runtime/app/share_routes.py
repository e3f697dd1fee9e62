"""Data API: manual shares of one record, `/data/{object}/{id}/shares` (docs/sharing.md)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response, status

from engine.records import shares
from metadata.models import ManualShareDef
from runtime.app.api_route import ApiRoute
from runtime.app.auth import InTenant
from runtime.app.json_body import checked_by_engine

router = APIRouter(prefix="/api/v1/data", tags=["data"], route_class=ApiRoute)

#: One principal and the access (docs/sharing.md); the engine checks it, every problem at once.
ShareBody = Annotated[
    Any,
    Body(description='{"user" | "group" | "role" | "partner_account", "access": "read"}'),
    checked_by_engine(ManualShareDef),
]


@router.get("/{object_name}/{record_id}/shares")
async def list_shares(run: InTenant, object_name: str, record_id: str) -> dict[str, Any]:
    """Who the record is shared with: manual shares and those of sharing rules."""
    return {"data": await run(lambda context: shares.list_shares(context, object_name, record_id))}


@router.post("/{object_name}/{record_id}/shares", status_code=status.HTTP_201_CREATED)
async def add_share(
    run: InTenant, object_name: str, record_id: str, body: ShareBody
) -> dict[str, Any]:
    """Share the record with a user, group, role or partner account (read or read_write)."""
    return await run(lambda context: shares.add_share(context, object_name, record_id, body))


@router.delete("/{object_name}/{record_id}/shares", status_code=status.HTTP_204_NO_CONTENT)
async def remove_share(
    run: InTenant,
    object_name: str,
    record_id: str,
    user: Annotated[str | None, Query(description="A user's id or e-mail")] = None,
    group: Annotated[str | None, Query(description="A group's api name")] = None,
    role: Annotated[str | None, Query(description="A role's api name")] = None,
    include_subordinates: Annotated[
        bool, Query(description="With role: the share with the role and its subordinates")
    ] = False,
    partner_account: Annotated[UUID | None, Query(description="A partner account's id")] = None,
) -> Response:
    """Take back the record's manual share with one user, group, role or partner account."""
    principal: dict[str, Any] = {
        key: value
        for key, value in {
            "user": user,
            "group": group,
            "role": role,
            "partner_account": partner_account,
        }.items()
        if value is not None
    }
    if include_subordinates:
        principal["include_subordinates"] = True
    await run(lambda context: shares.remove_share(context, object_name, record_id, principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
