"""Audit API: the tenant's audit log, for holders of the view_audit right (thin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from engine.audit import MAX_LOG_PAGE
from engine.audit.reading import AuditQuery, audit_page
from runtime.app.api_route import ApiRoute
from runtime.app.auth import NeedsViewAudit

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=ApiRoute)


@router.get("/audit")
async def list_audit_events(
    run: NeedsViewAudit,
    limit: Annotated[int, Query(ge=1, le=MAX_LOG_PAGE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    action: Annotated[
        str | None, Query(description="Events whose action starts with this, e.g. `login.`")
    ] = None,
    actor: Annotated[str | None, Query(description="Events by this user id")] = None,
    target: Annotated[
        str | None, Query(description="Events about this target, e.g. `permission_set:sales`")
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Events at or after this ISO 8601 moment")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Events before this ISO 8601 moment")
    ] = None,
) -> dict[str, Any]:
    """The audit log, newest first: logins, users, keys, access changes, privacy requests."""
    query = AuditQuery(
        limit=limit,
        cursor=cursor,
        action=action,
        actor=actor,
        target=target,
        since=since,
        until=until,
    )
    return await run(lambda context: audit_page(context, query))
