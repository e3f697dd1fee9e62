"""Read the revision history of the caller's tenant."""

from __future__ import annotations

from typing import Any

from engine.context import RequestContext
from metadata.store import list_revisions


def revisions_page(context: RequestContext, *, limit: int, before: int | None) -> dict[str, Any]:
    """Return one page of revisions, newest first, with the cursor of the next page."""
    with context.engine.db.connect() as connection:
        rows = list_revisions(connection, context.tenant.id, limit=limit, before=before)
    data = [
        {
            "number": row["number"],
            "created_at": row["created_at"].isoformat(),
            "actor": row["actor"],
            "summary": row["summary"],
            "changes": row["changes"],
        }
        for row in rows
    ]
    next_before = data[-1]["number"] if len(data) == limit and data[-1]["number"] > 1 else None
    return {"data": data, "next_before": next_before}
