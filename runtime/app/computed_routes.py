"""Admin operations on computed fields: rebuild a formula's or roll-up's stored values."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from engine.rules.recalculate import recalculate_field
from runtime.app.admin_routes import DryRun
from runtime.app.api_route import ApiRoute
from runtime.app.auth import NeedsCustomize

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=ApiRoute)


@router.post("/objects/{object_name}/fields/{field_name}/recalculate")
async def recalculate(
    run: NeedsCustomize, object_name: str, field_name: str, dry_run: DryRun = False
) -> dict[str, Any]:
    """Recompute a formula or roll-up for every record (changes cascade like a save).

    With `dry_run`, count the values that would change and change nothing.
    """
    return await run(
        lambda context: recalculate_field(context, object_name, field_name, dry_run=dry_run)
    )
