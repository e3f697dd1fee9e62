"""Admin API for validation rules: `/admin/objects/{object}/validation-rules[/{name}]`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from engine import metadata_changes
from metadata.models import ValidationRuleDef, ValidationRulePatch
from runtime.app.admin_routes import DryRun, respond
from runtime.app.api_route import ApiRoute
from runtime.app.auth import NeedsCustomize
from runtime.app.json_body import checked_by_engine

# Checked by the engine, shape and expressions together: one 422 lists every problem.
NewRule = Annotated[Any, Body(), checked_by_engine(ValidationRuleDef)]
RuleChange = Annotated[Any, Body(), checked_by_engine(ValidationRulePatch)]

router = APIRouter(
    prefix="/api/v1/admin/objects/{object_name}/validation-rules",
    tags=["admin"],
    route_class=ApiRoute,
)


@router.get("")
async def list_rules(run: NeedsCustomize, object_name: str) -> dict[str, Any]:
    """List an object's validation rules, in the order they run."""
    return {"data": await run(lambda context: metadata_changes.list_rules(context, object_name))}


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_rule(
    run: NeedsCustomize,
    object_name: str,
    body: NewRule,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Add a rule: the record fails it when the expression is true (checked now)."""
    outcome = await run(
        lambda context: metadata_changes.add_rule(context, object_name, body, dry_run=dry_run)
    )
    return respond(outcome, response, created=not dry_run)


@router.get("/{rule_name}")
async def get_rule(run: NeedsCustomize, object_name: str, rule_name: str) -> dict[str, Any]:
    """Return one validation rule."""
    return await run(lambda context: metadata_changes.get_rule(context, object_name, rule_name))


@router.patch("/{rule_name}")
async def update_rule(
    run: NeedsCustomize,
    object_name: str,
    rule_name: str,
    body: RuleChange,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Change a rule's expression, message, field, name or whether it is active."""
    outcome = await run(
        lambda context: metadata_changes.update_rule(
            context, object_name, rule_name, body, dry_run=dry_run
        )
    )
    return respond(outcome, response)


@router.delete("/{rule_name}")
async def delete_rule(
    run: NeedsCustomize,
    object_name: str,
    rule_name: str,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Remove a validation rule."""
    outcome = await run(
        lambda context: metadata_changes.delete_rule(
            context, object_name, rule_name, dry_run=dry_run
        )
    )
    return respond(outcome, response)
