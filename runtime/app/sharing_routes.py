"""Admin API for record sharing: an object's sharing settings and rules, partner settings.

`/admin/objects/{object}/sharing`, `/admin/objects/{object}/sharing-rules[/{name}]` and
`/admin/partner-settings` (docs/sharing.md). Thin: parse, one engine call, render.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from engine.metadata_changes import sharing
from runtime.app.admin_routes import DryRun, respond
from runtime.app.api_route import ApiRoute
from runtime.app.auth import NeedsCustomize

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=ApiRoute)

# Checked by the engine, shape and metadata together: one 422 lists every problem.
SharingBody = Annotated[Any, Body(description='{"default_access": "private"}')]
RuleBody = Annotated[
    Any,
    Body(description='{"api_name", "filter", "share_with": {"role"} | {"group"}, "access"}'),
]
PartnerBody = Annotated[
    Any, Body(description='{"object", "parent_field", "child_accounts": "none"}')
]


@router.get("/objects/{object_name}/sharing")
async def get_sharing(run: NeedsCustomize, object_name: str) -> dict[str, Any]:
    """Return an object's sharing settings (`private` until set)."""
    return await run(lambda context: sharing.get_sharing(context, object_name))


@router.put("/objects/{object_name}/sharing")
async def put_sharing(
    run: NeedsCustomize,
    object_name: str,
    body: SharingBody,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Set an object's organization-wide default access."""
    outcome = await run(
        lambda context: sharing.put_sharing(context, object_name, body, dry_run=dry_run)
    )
    return respond(outcome, response)


@router.patch("/objects/{object_name}/sharing")
async def patch_sharing(
    run: NeedsCustomize,
    object_name: str,
    body: SharingBody,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Change some of an object's sharing settings."""
    outcome = await run(
        lambda context: sharing.patch_sharing(context, object_name, body, dry_run=dry_run)
    )
    return respond(outcome, response)


@router.get("/objects/{object_name}/sharing-rules")
async def list_sharing_rules(run: NeedsCustomize, object_name: str) -> dict[str, Any]:
    """List an object's sharing rules."""
    return {"data": await run(lambda context: sharing.list_sharing_rules(context, object_name))}


@router.post("/objects/{object_name}/sharing-rules", status_code=status.HTTP_201_CREATED)
async def add_sharing_rule(
    run: NeedsCustomize,
    object_name: str,
    body: RuleBody,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Add a sharing rule: records matching its filter are shared with a role or group."""
    outcome = await run(
        lambda context: sharing.save_sharing_rule(context, object_name, body, dry_run=dry_run)
    )
    return respond(outcome, response, created=not dry_run)


@router.get("/objects/{object_name}/sharing-rules/{rule_name}")
async def get_sharing_rule(run: NeedsCustomize, object_name: str, rule_name: str) -> dict[str, Any]:
    """Return one sharing rule."""
    return await run(lambda context: sharing.get_sharing_rule(context, object_name, rule_name))


@router.put("/objects/{object_name}/sharing-rules/{rule_name}")
async def put_sharing_rule(
    run: NeedsCustomize,
    object_name: str,
    rule_name: str,
    body: RuleBody,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Replace a sharing rule (its shares are computed again)."""
    outcome = await run(
        lambda context: sharing.save_sharing_rule(
            context, object_name, body, name=rule_name, dry_run=dry_run
        )
    )
    return respond(outcome, response)


@router.patch("/objects/{object_name}/sharing-rules/{rule_name}")
async def patch_sharing_rule(
    run: NeedsCustomize,
    object_name: str,
    rule_name: str,
    body: RuleBody,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Change some keys of a sharing rule."""
    outcome = await run(
        lambda context: sharing.patch_sharing_rule(
            context, object_name, rule_name, body, dry_run=dry_run
        )
    )
    return respond(outcome, response)


@router.delete("/objects/{object_name}/sharing-rules/{rule_name}")
async def delete_sharing_rule(
    run: NeedsCustomize,
    object_name: str,
    rule_name: str,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Remove a sharing rule and the shares it made."""
    outcome = await run(
        lambda context: sharing.delete_sharing_rule(
            context, object_name, rule_name, dry_run=dry_run
        )
    )
    return respond(outcome, response)


@router.get("/partner-settings")
async def get_partner_settings(run: NeedsCustomize) -> dict[str, Any]:
    """Return which object holds partner accounts, and their parent lookup."""
    return await run(sharing.get_partner_settings)


@router.put("/partner-settings")
async def put_partner_settings(
    run: NeedsCustomize, body: PartnerBody, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Name the partner account object, its parent lookup and what child accounts grant."""
    outcome = await run(
        lambda context: sharing.put_partner_settings(context, body, dry_run=dry_run)
    )
    return respond(outcome, response)


@router.patch("/partner-settings")
async def patch_partner_settings(
    run: NeedsCustomize, body: PartnerBody, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Change some of the partner settings."""
    outcome = await run(
        lambda context: sharing.patch_partner_settings(context, body, dry_run=dry_run)
    )
    return respond(outcome, response)


@router.delete("/partner-settings")
async def delete_partner_settings(
    run: NeedsCustomize, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Remove the partner settings."""
    outcome = await run(lambda context: sharing.delete_partner_settings(context, dry_run=dry_run))
    return respond(outcome, response)
