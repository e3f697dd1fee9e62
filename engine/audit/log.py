"""Write and read the tenant's audit log (rows are only ever added)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from metadata.store import audit_log


@dataclass(frozen=True)
class AuditEvent:
    """One audited event.

    Attributes:
        action: what happened, dotted (`login.failed`, `user.deactivated`, `key.issued`).
        actor: the user id that did it, as text (None when nobody is known, e.g. a failed
            login).
        target: what it was done to (a user id, a component `permission_set:sales`, a key).
        address: the client's address, when the event came from a request.
        details: anything else worth keeping, as JSON.
    """

    id: int
    at: datetime
    action: str
    actor: str | None
    target: str | None
    address: str | None
    details: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The event as the API returns it."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "action": self.action,
            "actor": self.actor,
            "target": self.target,
            "address": self.address,
            "details": dict(self.details),
        }


def record_event(
    connection: Connection,
    tenant_id: UUID,
    *,
    at: datetime,
    action: str,
    actor: str | None = None,
    target: str | None = None,
    address: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add an event to the tenant's audit log, in the caller's transaction."""
    connection.execute(
        insert(audit_log).values(
            tenant_id=tenant_id,
            at=at,
            action=action,
            actor=actor,
            target=target,
            address=address,
            details=dict(details or {}),
        )
    )


def list_events(
    connection: Connection,
    tenant_id: UUID,
    *,
    limit: int = 100,
    before: int | None = None,
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEvent]:
    """The tenant's events, newest first.

    `before` pages by id (events with a smaller id); `action` filters by prefix
    (`metadata.` or `login.failed`); `actor` and `target` by equality; `since` (included)
    and `until` (excluded) by time.
    """
    query = (
        select(audit_log)
        .where(audit_log.c.tenant_id == tenant_id)
        .order_by(audit_log.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(audit_log.c.id < before)
    if action is not None:
        query = query.where(audit_log.c.action.startswith(action, autoescape=True))
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if target is not None:
        query = query.where(audit_log.c.target == target)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    return [
        AuditEvent(
            id=row.id,
            at=row.at,
            action=row.action,
            actor=row.actor,
            target=row.target,
            address=row.address,
            details=row.details,
        )
        for row in connection.execute(query)
    ]
