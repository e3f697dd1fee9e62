"""Read the audit log as the API serves it: one page, newest first, for view_audit holders.

Not re-exported by `engine.audit`: the log's writers (logins, users, keys, metadata
changes) import that package, and reading needs the caller's rights, which they must not
depend on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.access.enforcement import require_system_right
from engine.audit.log import list_events
from engine.audit.paging import decode_id_cursor, next_id_cursor
from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.database import single_read_connection
from engine.query.errors import invalid
from metadata.models import SystemRight


@dataclass(frozen=True)
class AuditQuery:
    """Which events of the audit log to read.

    Attributes:
        limit: events per page.
        cursor: `next_cursor` of the previous page (None: the newest events).
        action: events whose action starts with this (`metadata.`, `login.failed`).
        actor: events by this user id.
        target: events about this target (a user id, `permission_set:sales`, …).
        since: events at or after this moment.
        until: events before this moment.
    """

    limit: int = 50
    cursor: str | None = None
    action: str | None = None
    actor: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _utc(moment: datetime | None) -> datetime | None:
    """A moment given without a time zone is UTC, as every stored one is."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def audit_page(context: RequestContext, query: AuditQuery) -> dict[str, Any]:
    """One page of the tenant's audit log: `{"data": [event, …], "next_cursor"}`.

    Raises:
        PermissionDenied: the caller lacks the view_audit system right (403).
        InvalidQuery: a cursor no page returned, or `since` not before `until`.
    """
    require_system_right(context, tenant_catalog(context), SystemRight.VIEW_AUDIT)
    before = decode_id_cursor(query.cursor)
    since, until = _utc(query.since), _utc(query.until)
    if since is not None and until is not None and since >= until:
        raise invalid("/since", "invalid-range", "since must be earlier than until")
    with single_read_connection(context.engine.db) as connection:
        events = list_events(
            connection,
            context.tenant.id,
            limit=query.limit + 1,
            before=before,
            action=query.action or None,
            actor=query.actor or None,
            target=query.target or None,
            since=since,
            until=until,
        )
    return {
        "data": [event.as_dict() for event in events[: query.limit]],
        "next_cursor": next_id_cursor([event.id for event in events], limit=query.limit),
    }
