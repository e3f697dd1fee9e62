"""The admin operations on objects and fields, as the HTTP layer and the CLI call them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.files import field_prefix, object_prefix, release_prefixes
from engine.metadata_changes import mutations, rule_mutations
from engine.metadata_changes.expression_checks import Functions
from engine.metadata_changes.service import ChangeResult, run_change
from metadata.models import (
    FieldDef,
    FieldState,
    FieldType,
    ObjectDef,
    ObjectPatch,
    ObjectState,
    TenantMetadata,
    ValidationRuleDef,
    export_field,
    export_object,
    export_rule,
)


def _object_document(obj: ObjectState) -> dict[str, Any]:
    return export_object(obj)


def list_objects(context: RequestContext, *, include_deleted: bool = False) -> list[dict[str, Any]]:
    """Return the tenant's objects (live ones, or all)."""
    state = tenant_catalog(context).metadata_state
    objects = state.objects if include_deleted else state.live_objects
    return [export_object(obj, include_deleted_fields=include_deleted) for obj in objects]


def get_object(
    context: RequestContext, name: str, *, include_deleted_fields: bool = False
) -> dict[str, Any]:
    """Return one live object with its fields.

    Raises:
        NotFound: there is no such object.
    """
    obj = mutations.require_object(tenant_catalog(context).metadata_state, name)
    return export_object(obj, include_deleted_fields=include_deleted_fields)


def list_fields(
    context: RequestContext, object_name: str, *, include_deleted: bool = False
) -> list[dict[str, Any]]:
    """Return an object's fields (live ones, or all)."""
    obj = mutations.require_object(tenant_catalog(context).metadata_state, object_name)
    return [export_field(field) for field in (obj.fields if include_deleted else obj.live_fields)]


def get_field(context: RequestContext, object_name: str, field_name: str) -> dict[str, Any]:
    """Return one live field.

    Raises:
        NotFound: there is no such object or field.
    """
    obj = mutations.require_object(tenant_catalog(context).metadata_state, object_name)
    return export_field(mutations.require_field(obj, field_name))


def export_metadata(context: RequestContext) -> dict[str, Any]:
    """Return the tenant's whole metadata as one document."""
    document = tenant_catalog(context).metadata_state.export()
    return {"tenant": context.tenant.name, **document}


def create_object(
    context: RequestContext, definition: ObjectDef, *, dry_run: bool = False
) -> ChangeResult:
    """Create an object and its table."""
    now = context.engine.clock()
    return run_change(
        context,
        summary=f"create object {definition.api_name}",
        mutate=lambda state: mutations.create_object(
            state, definition, now=now, functions=_functions(context)
        ),
        render=_object_document,
        dry_run=dry_run,
    )


def update_object(
    context: RequestContext, name: str, patch: ObjectPatch, *, dry_run: bool = False
) -> ChangeResult:
    """Relabel or rename an object."""
    return run_change(
        context,
        summary=f"update object {name}",
        mutate=lambda state: mutations.update_object(
            state, name, patch, functions=_functions(context)
        ),
        render=_object_document,
        dry_run=dry_run,
    )


def delete_object(context: RequestContext, name: str, *, dry_run: bool = False) -> ChangeResult:
    """Delete an object (restorable until purged)."""
    now = context.engine.clock()
    return run_change(
        context,
        summary=f"delete object {name}",
        mutate=lambda state: mutations.delete_object(
            state, name, now=now, functions=_functions(context)
        ),
        render=lambda obj: export_object(obj, include_deleted_fields=True),
        dry_run=dry_run,
    )


def restore_object(context: RequestContext, name: str, *, dry_run: bool = False) -> ChangeResult:
    """Restore a deleted object."""
    return run_change(
        context,
        summary=f"restore object {name}",
        mutate=lambda state: mutations.restore_object(state, name, functions=_functions(context)),
        render=_object_document,
        dry_run=dry_run,
    )


def purge_object(context: RequestContext, name: str, *, dry_run: bool = False) -> ChangeResult:
    """Drop a deleted object's table and rows for good; its files go after the commit."""
    prefixes: list[str] = []

    def mutate(state: TenantMetadata) -> tuple[TenantMetadata, ObjectState]:
        new, obj = mutations.purge_object(state, name)
        prefixes[:] = [object_prefix(context.tenant.id, obj.id)]
        return new, obj

    outcome = run_change(
        context,
        summary=f"purge object {name}",
        mutate=mutate,
        render=lambda obj: {"id": str(obj.id), "api_name": obj.api_name, "purged": True},
        dry_run=dry_run,
    )
    if not dry_run:
        _release_files(context, prefixes)
    return outcome


def _field_document(field: FieldState) -> dict[str, Any]:
    return export_field(field)


def add_field(
    context: RequestContext, object_name: str, definition: FieldDef, *, dry_run: bool = False
) -> ChangeResult:
    """Add a field and its column."""
    return run_change(
        context,
        summary=f"add field {object_name}.{definition.api_name}",
        mutate=lambda state: mutations.add_field(
            state, object_name, definition, functions=_functions(context)
        ),
        render=_field_document,
        dry_run=dry_run,
    )


def update_field(
    context: RequestContext,
    object_name: str,
    field_name: str,
    patch: dict[str, Any],
    *,
    dry_run: bool = False,
    force: bool = False,
) -> ChangeResult:
    """Change a field; lossy conversions need `force`."""
    return run_change(
        context,
        summary=f"update field {object_name}.{field_name}",
        mutate=lambda state: mutations.update_field(
            state, object_name, field_name, patch, functions=_functions(context)
        ),
        render=_field_document,
        dry_run=dry_run,
        force=force,
    )


def delete_field(
    context: RequestContext, object_name: str, field_name: str, *, dry_run: bool = False
) -> ChangeResult:
    """Delete a field (restorable until purged)."""
    now = context.engine.clock()
    return run_change(
        context,
        summary=f"delete field {object_name}.{field_name}",
        mutate=lambda state: mutations.delete_field(
            state, object_name, field_name, now=now, functions=_functions(context)
        ),
        render=_field_document,
        dry_run=dry_run,
    )


def restore_field(
    context: RequestContext,
    object_name: str,
    field_name: str,
    *,
    dry_run: bool = False,
    patch: Mapping[str, Any] | None = None,
) -> ChangeResult:
    """Restore a deleted field; `patch` (`required`, `default`) changes it as it comes back."""
    return run_change(
        context,
        summary=f"restore field {object_name}.{field_name}",
        mutate=lambda state: mutations.restore_field(
            state, object_name, field_name, patch=patch, functions=_functions(context)
        ),
        render=_field_document,
        dry_run=dry_run,
    )


def purge_field(
    context: RequestContext, object_name: str, field_name: str, *, dry_run: bool = False
) -> ChangeResult:
    """Drop a deleted field's column and values for good; a file field's files go after
    the commit."""
    prefixes: list[str] = []

    def mutate(state: TenantMetadata) -> tuple[TenantMetadata, FieldState]:
        new, field = mutations.purge_field(state, object_name, field_name)
        obj = mutations.require_object(state, object_name)
        is_file = field.definition.type is FieldType.FILE
        prefixes[:] = [field_prefix(context.tenant.id, obj.id, field.id)] if is_file else []
        return new, field

    outcome = run_change(
        context,
        summary=f"purge field {object_name}.{field_name}",
        mutate=mutate,
        render=lambda field: {"id": str(field.id), "api_name": field.api_name, "purged": True},
        dry_run=dry_run,
    )
    if not dry_run:
        _release_files(context, prefixes)
    return outcome


def _release_files(context: RequestContext, prefixes: list[str]) -> None:
    """Remove the blobs under `prefixes`, now that the purge that let them go committed."""
    if prefixes:
        storage = context.engine.files
        context.budget.run_blocking(lambda: release_prefixes(storage, prefixes))


def _functions(context: RequestContext) -> Functions:
    return context.engine.expressions.functions


def list_rules(context: RequestContext, object_name: str) -> list[dict[str, Any]]:
    """Return an object's validation rules, in the order they run."""
    obj = mutations.require_object(tenant_catalog(context).metadata_state, object_name)
    return [export_rule(rule) for rule in obj.validation_rules]


def get_rule(context: RequestContext, object_name: str, rule_name: str) -> dict[str, Any]:
    """Return one validation rule.

    Raises:
        NotFound: there is no such object or rule.
    """
    obj = mutations.require_object(tenant_catalog(context).metadata_state, object_name)
    return export_rule(rule_mutations.require_rule(obj, rule_name))


def add_rule(
    context: RequestContext,
    object_name: str,
    definition: ValidationRuleDef,
    *,
    dry_run: bool = False,
) -> ChangeResult:
    """Add a validation rule (checked now, enforced on every later save)."""
    return run_change(
        context,
        summary=f"add validation rule {object_name}.{definition.api_name}",
        mutate=lambda state: rule_mutations.add_rule(
            state, object_name, definition, functions=_functions(context)
        ),
        render=export_rule,
        dry_run=dry_run,
    )


def update_rule(
    context: RequestContext,
    object_name: str,
    rule_name: str,
    patch: dict[str, Any],
    *,
    dry_run: bool = False,
) -> ChangeResult:
    """Change a validation rule."""
    return run_change(
        context,
        summary=f"update validation rule {object_name}.{rule_name}",
        mutate=lambda state: rule_mutations.update_rule(
            state, object_name, rule_name, patch, functions=_functions(context)
        ),
        render=export_rule,
        dry_run=dry_run,
    )


def delete_rule(
    context: RequestContext, object_name: str, rule_name: str, *, dry_run: bool = False
) -> ChangeResult:
    """Remove a validation rule."""
    return run_change(
        context,
        summary=f"delete validation rule {object_name}.{rule_name}",
        mutate=lambda state: rule_mutations.delete_rule(state, object_name, rule_name),
        render=export_rule,
        dry_run=dry_run,
    )
