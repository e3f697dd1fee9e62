"""Admin API: objects, fields, revisions and the metadata export (thin: parse, call, render)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status

from engine import metadata_changes
from engine.metadata_changes import ChangeResult
from metadata.models import FieldDef, FieldPatch, FieldRestore, ObjectDef, ObjectPatch
from runtime.app.api_route import ApiRoute
from runtime.app.auth import NeedsCustomize
from runtime.app.json_body import checked_by_engine
from runtime.app.revisions import revisions_page

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=ApiRoute)

DryRun = Annotated[
    bool, Query(description="Return the plan (DDL and data impact) and change nothing")
]
Force = Annotated[
    bool, Query(description="Apply a lossy type change; values that do not convert become empty")
]
IncludeDeleted = Annotated[bool, Query(description="Also list deleted components (restorable)")]
# Checked by the engine, shape and metadata together: one 422 lists every problem.
NewObject = Annotated[Any, Body(), checked_by_engine(ObjectDef)]
NewField = Annotated[Any, Body(), checked_by_engine(FieldDef)]
FieldChange = Annotated[Any, Body(), checked_by_engine(FieldPatch)]


def respond(outcome: ChangeResult, response: Response, *, created: bool = False) -> dict[str, Any]:
    response.headers["Tessera-Revision"] = str(outcome.revision)
    if outcome.is_dry_run:
        response.status_code = status.HTTP_200_OK
        return {**outcome.plan_document(), "result": outcome.result}
    if created:
        response.status_code = status.HTTP_201_CREATED
    return outcome.result


@router.get("/objects")
async def list_objects(
    run: NeedsCustomize, include_deleted: IncludeDeleted = False
) -> dict[str, Any]:
    """List the tenant's objects with their fields."""
    return {
        "data": (
            await run(
                lambda context: metadata_changes.list_objects(
                    context, include_deleted=include_deleted
                )
            )
        )
    }


@router.post("/objects", status_code=status.HTTP_201_CREATED)
async def create_object(
    run: NeedsCustomize, body: NewObject, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Create an object (a table) with its first fields."""
    outcome = await run(
        lambda context: metadata_changes.create_object(context, body, dry_run=dry_run)
    )
    return respond(outcome, response, created=not dry_run)


@router.get("/objects/{object_name}")
async def get_object(
    run: NeedsCustomize, object_name: str, include_deleted: IncludeDeleted = False
) -> dict[str, Any]:
    """Return one object with its fields."""
    return await run(
        lambda context: metadata_changes.get_object(
            context, object_name, include_deleted_fields=include_deleted
        )
    )


@router.patch("/objects/{object_name}")
async def update_object(
    run: NeedsCustomize,
    object_name: str,
    body: ObjectPatch,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Relabel an object, or rename it (its table is renamed, its rows kept)."""
    return respond(
        (
            await run(
                lambda context: metadata_changes.update_object(
                    context, object_name, body, dry_run=dry_run
                )
            )
        ),
        response,
    )


@router.delete("/objects/{object_name}")
async def delete_object(
    run: NeedsCustomize, object_name: str, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Delete an object; its rows are kept until it is purged."""
    return respond(
        (
            await run(
                lambda context: metadata_changes.delete_object(
                    context, object_name, dry_run=dry_run
                )
            )
        ),
        response,
    )


@router.post("/objects/{object_name}/restore")
async def restore_object(
    run: NeedsCustomize, object_name: str, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Restore a deleted object (by api name or id) with its rows."""
    return respond(
        (
            await run(
                lambda context: metadata_changes.restore_object(
                    context, object_name, dry_run=dry_run
                )
            )
        ),
        response,
    )


@router.post("/objects/{object_name}/purge")
async def purge_object(
    run: NeedsCustomize, object_name: str, response: Response, dry_run: DryRun = False
) -> dict[str, Any]:
    """Drop a deleted object's table and rows for good."""
    return respond(
        (
            await run(
                lambda context: metadata_changes.purge_object(context, object_name, dry_run=dry_run)
            )
        ),
        response,
    )


@router.get("/objects/{object_name}/fields")
async def list_fields(
    run: NeedsCustomize, object_name: str, include_deleted: IncludeDeleted = False
) -> dict[str, Any]:
    """List an object's fields."""
    return {
        "data": (
            await run(
                lambda context: metadata_changes.list_fields(
                    context, object_name, include_deleted=include_deleted
                )
            )
        )
    }


@router.post("/objects/{object_name}/fields", status_code=status.HTTP_201_CREATED)
async def add_field(
    run: NeedsCustomize,
    object_name: str,
    body: NewField,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Add a field (a column)."""
    outcome = await run(
        lambda context: metadata_changes.add_field(context, object_name, body, dry_run=dry_run)
    )
    return respond(outcome, response, created=not dry_run)


@router.get("/objects/{object_name}/fields/{field_name}")
async def get_field(run: NeedsCustomize, object_name: str, field_name: str) -> dict[str, Any]:
    """Return one field."""
    return await run(lambda context: metadata_changes.get_field(context, object_name, field_name))


@router.patch("/objects/{object_name}/fields/{field_name}")
async def update_field(
    run: NeedsCustomize,
    object_name: str,
    field_name: str,
    body: FieldChange,
    response: Response,
    dry_run: DryRun = False,
    force: Force = False,
) -> dict[str, Any]:
    """Change a field: relabel, rename, change type or size, options, picklist values."""
    outcome = await run(
        lambda context: metadata_changes.update_field(
            context, object_name, field_name, body, dry_run=dry_run, force=force
        )
    )
    return respond(outcome, response)


@router.delete("/objects/{object_name}/fields/{field_name}")
async def delete_field(
    run: NeedsCustomize,
    object_name: str,
    field_name: str,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Delete a field; its values are kept until it is purged."""
    outcome = await run(
        lambda context: metadata_changes.delete_field(
            context, object_name, field_name, dry_run=dry_run
        )
    )
    return respond(outcome, response)


@router.post("/objects/{object_name}/fields/{field_name}/restore")
async def restore_field(
    run: NeedsCustomize,
    object_name: str,
    field_name: str,
    response: Response,
    dry_run: DryRun = False,
    body: FieldRestore | None = None,
) -> dict[str, Any]:
    """Restore a deleted field (by api name or id) with its values.

    The optional body changes `required` or `default` as the field comes back.
    """
    patch = body.model_dump(mode="json", include=body.model_fields_set) if body else None
    outcome = await run(
        lambda context: metadata_changes.restore_field(
            context, object_name, field_name, dry_run=dry_run, patch=patch
        )
    )
    return respond(outcome, response)


@router.post("/objects/{object_name}/fields/{field_name}/purge")
async def purge_field(
    run: NeedsCustomize,
    object_name: str,
    field_name: str,
    response: Response,
    dry_run: DryRun = False,
) -> dict[str, Any]:
    """Drop a deleted field's column and values for good."""
    outcome = await run(
        lambda context: metadata_changes.purge_field(
            context, object_name, field_name, dry_run=dry_run
        )
    )
    return respond(outcome, response)


@router.get("/revisions")
async def list_revisions(
    run: NeedsCustomize,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[
        int | None,
        # Revision numbers are 32-bit integers in the database.
        Query(ge=1, le=2**31 - 1, description="Only revisions older than this"),
    ] = None,
) -> dict[str, Any]:
    """List metadata revisions, newest first."""
    return await run(lambda context: revisions_page(context, limit=limit, before=before))


@router.get("/metadata")
async def export_metadata(run: NeedsCustomize) -> dict[str, Any]:
    """Export the tenant's whole metadata as one document."""
    return await run(lambda context: metadata_changes.export_metadata(context))
