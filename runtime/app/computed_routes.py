"""Admin operations on computed fields: rebuild a formula's or roll-up's stored values."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from engine.rules.recalculate import recalculate_field
from runtime.app.auth import InTenant

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.post("/objects/{object_name}/fields/{field_name}/recalculate")
async def recalculate(run: InTenant, object_name: str, field_name: str) -> dict[str, Any]:
    """Recompute a formula or roll-up for every record (changes cascade like a save)."""
    return await run(lambda context: recalculate_field(context, object_name, field_name))
