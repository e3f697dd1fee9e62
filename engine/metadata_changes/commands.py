"""The admin operations on objects and fields, as the HTTP layer and the CLI call them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from engine.access import rights_of
from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.errors import InvalidRequest, MetadataError, summarize
from engine.files import field_prefix, object_prefix, release_prefixes
from engine.metadata_changes import mutations, rule_mutations
from engine.metadata_changes.expression_checks import Functions
from engine.metadata_changes.service import ChangeResult, run_change
from engine.shape_problems import Model, ParsedBody, parse_body
from metadata.models import (
    FieldDef,
    FieldPatch,
    FieldState,
    FieldType,
    ObjectDef,
    ObjectPatch,
    ObjectState,
    SystemRight,
    TenantMetadata,
    ValidationRuleDef,
    ValidationRulePatch,
    export_field,
    export_object,
    export_rule,
)

Component = TypeVar("Component")
#: A body as the HTTP layer hands it over (checked here as its model), or the model itself.
Body = Any


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
    """Return the tenant's whole metadata as one document.

    Group members naming users by e-mail are the user directory, which only callers with
    `manage_users` see (as `/admin/groups`): for other callers they are left out, and each
    group says so with `members_hidden` (docs/admin-api.md).
    """
    catalog = tenant_catalog(context)
    document = catalog.metadata_state.export()
    if not rights_of(catalog, context.caller).has_system(SystemRight.MANAGE_USERS):
        document["groups"] = [_without_users(group) for group in document["groups"]]
    return {"tenant": context.tenant.name, **document}


def _without_users(group: Mapping[str, Any]) -> dict[str, Any]:
    """A group with the members naming users (e-mails) left out; roles and groups stay.

    An e-mail is the one kind of member with an `@` (the others are `role:R`,
    `role_and_subordinates:R` and `group:G`, whose names cannot hold one).
    """
    members = [member for member in group.get("members", []) if "@" not in member]
    return {**group, "members": members, "members_hidden": True}


def checked_body(
    parsed: ParsedBody[Model],
    mutate: Callable[[TenantMetadata, Model], tuple[TenantMetadata, Component]],
) -> Callable[[TenantMetadata], tuple[TenantMetadata, Component]]:
    """Return `mutate` run on what of a body validated, reporting every problem at once.

    A body whose shape is wrong (a mistyped option) is still checked against the metadata
    (an unknown target object) with the wrong parts left out, so one 422 lists both.

    Raises (when the returned function runs):
        InvalidRequest: the body's shape is wrong; its problems and the metadata's.
        MetadataError, NotFound, Conflict: the body's shape is right and `mutate` refuses.
    """

    def mutate_checked(state: TenantMetadata) -> tuple[TenantMetadata, Component]:
        if parsed.value is None:
            raise InvalidRequest(summarize(parsed.problems), problems=parsed.problems)
        try:
            result = mutate(state, parsed.value)
        except MetadataError as exc:
            if not parsed.problems:
                raise
            problems = parsed.problems + parsed.without_repeats(exc.problems)
            raise InvalidRequest(summarize(problems), problems=problems) from exc
        if parsed.problems:
            raise InvalidRequest(summarize(parsed.problems), problems=parsed.problems)
        return result

    return mutate_checked


def _sent(patch: FieldPatch | ValidationRulePatch) -> dict[str, Any]:
    """The keys a patch sends, as JSON values (a key sent as null included)."""
    return patch.model_dump(mode="json", include=patch.model_fields_set)


def _name(parsed: ParsedBody[Any], body: Body) -> str:
    """The api name a body gives, for a change's summary (checked or not)."""
    if parsed.value is not None:
        return str(parsed.value.api_name)
    return str(body.get("api_name", "?")) if isinstance(body, Mapping) else "?"


def create_object(context: RequestContext, body: Body, *, dry_run: bool = False) -> ChangeResult:
    """Create an object and its table from an `ObjectDef` (or a body to check as one)."""
    now = context.engine.clock()
    parsed = parse_body(ObjectDef, body)
    return run_change(
        context,
        summary=f"create object {_name(parsed, body)}",
        mutate=checked_body(
            parsed,
            lambda state, definition: mutations.create_object(
                state, definition, now=now, functions=_functions(context)
            ),
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
    context: RequestContext, object_name: str, body: Body, *, dry_run: bool = False
) -> ChangeResult:
    """Add a field and its column, from a `FieldDef` (or a body to check as one)."""
    parsed = parse_body(FieldDef, body)
    return run_change(
        context,
        summary=f"add field {object_name}.{_name(parsed, body)}",
        mutate=checked_body(
            parsed,
            lambda state, definition: mutations.add_field(
                state, object_name, definition, functions=_functions(context)
            ),
        ),
        render=_field_document,
        dry_run=dry_run,
    )


def update_field(
    context: RequestContext,
    object_name: str,
    field_name: str,
    patch: Body,
    *,
    dry_run: bool = False,
    force: bool = False,
) -> ChangeResult:
    """Change a field (`patch` is checked as a `FieldPatch`); lossy conversions need `force`."""
    parsed = parse_body(FieldPatch, patch)
    return run_change(
        context,
        summary=f"update field {object_name}.{field_name}",
        mutate=checked_body(
            parsed,
            lambda state, given: mutations.update_field(
                state, object_name, field_name, _sent(given), functions=_functions(context)
            ),
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
    body: Body,
    *,
    dry_run: bool = False,
) -> ChangeResult:
    """Add a validation rule (checked now, enforced on every later save).

    `body` is a `ValidationRuleDef`, or a body to check as one.
    """
    parsed = parse_body(ValidationRuleDef, body)
    return run_change(
        context,
        summary=f"add validation rule {object_name}.{_name(parsed, body)}",
        mutate=checked_body(
            parsed,
            lambda state, definition: rule_mutations.add_rule(
                state, object_name, definition, functions=_functions(context)
            ),
        ),
        render=export_rule,
        dry_run=dry_run,
    )


def update_rule(
    context: RequestContext,
    object_name: str,
    rule_name: str,
    patch: Body,
    *,
    dry_run: bool = False,
) -> ChangeResult:
    """Change a validation rule (`patch` is checked as a `ValidationRulePatch`)."""
    parsed = parse_body(ValidationRulePatch, patch)
    return run_change(
        context,
        summary=f"update validation rule {object_name}.{rule_name}",
        mutate=checked_body(
            parsed,
            lambda state, given: rule_mutations.update_rule(
                state, object_name, rule_name, _sent(given), functions=_functions(context)
            ),
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
