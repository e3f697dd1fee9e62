"""Pure changes of fields: add, update (rename, retype, re-option), delete, restore, purge.

Each returns the new state and the field; option rules live in `field_checks`,
expression rules in `expression_checks`, uses of a field in `dependencies`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from uuid_utils.compat import uuid7

from engine.catalog import deleted_name
from engine.errors import Conflict, MetadataError, Problem
from engine.metadata_changes.dependencies import (
    apply_sources,
    rename_filter_keys,
    renamed_sources,
    users_of_field,
)
from engine.metadata_changes.expression_checks import Functions
from engine.metadata_changes.field_checks import NO_FUNCTIONS, check_field, check_rollups_over
from engine.metadata_changes.names import check_column_count
from engine.metadata_changes.normalize import (
    normalize_field,
    with_rollup_type,
)
from engine.metadata_changes.sharing_references import (
    follow_field_rename_in_sharing,
    sharing_users_of_field,
)
from engine.metadata_changes.state_edits import (
    raise_if,
    replace_field,
    replace_object,
    require_field,
    require_object,
)
from engine.shape_problems import parse_body
from metadata.models import (
    ALLOWED_OPTIONS,
    FieldDef,
    FieldState,
    FieldType,
    ObjectState,
    TenantMetadata,
)


def add_field(
    state: TenantMetadata,
    object_name: str,
    definition: FieldDef,
    *,
    functions: Functions = NO_FUNCTIONS,
) -> tuple[TenantMetadata, FieldState]:
    """Add a field (a column) to an object.

    Raises:
        NotFound, MetadataError.
    """
    obj = require_object(state, object_name)
    normalized = normalize_field(with_rollup_type(definition, state))
    problems = check_field(normalized, obj=obj, state=state, pointer="", functions=functions)
    if obj.find_field(normalized.api_name) is not None:
        problems.append(
            Problem(
                "/api_name",
                "name-taken",
                f"object {obj.api_name!r} already has a field {normalized.api_name!r}",
            )
        )
    raise_if(problems, f"field {definition.api_name!r} is not valid")
    field = FieldState(id=uuid7(), column_name=normalized.api_name, definition=normalized)
    grown = replace_field(obj, field)
    raise_if(check_column_count(grown, pointer=""), f"field {definition.api_name!r} does not fit")
    return replace_object(state, grown), field


def update_field(
    state: TenantMetadata,
    object_name: str,
    field_name: str,
    patch: Mapping[str, Any],
    *,
    functions: Functions = NO_FUNCTIONS,
) -> tuple[TenantMetadata, FieldState]:
    """Change a field: relabel, rename (column renamed, data kept), retype, resize, re-option.

    Options that do not fit a new type are dropped unless the patch sets them.

    Raises:
        NotFound, MetadataError.
    """
    obj = require_object(state, object_name)
    field = require_field(obj, field_name)
    current = field.definition.model_dump(exclude_none=True)
    merged = {**current, **patch}
    new_type = merged.get("type")
    if new_type != current["type"]:
        # The patch is not validated yet: a type that names no field type keeps no options.
        allowed = (
            ALLOWED_OPTIONS[FieldType(new_type)] if new_type in ALLOWED_OPTIONS else frozenset()
        )
        merged = {key: value for key, value in merged.items() if key in allowed or key in patch}
        for size_option in ("max_length", "precision", "scale"):
            if size_option not in patch:
                merged.pop(size_option, None)
        # A lookup's delete rule does not fit a master-detail, which always cascades.
        if new_type == FieldType.MASTER_DETAIL and "on_delete" not in patch:
            merged.pop("on_delete", None)
    parsed = parse_body(FieldDef, merged)
    if parsed.value is None:
        raise MetadataError("the change is not valid", problems=parsed.problems)
    definition = normalize_field(with_rollup_type(parsed.value, state))
    problems = parsed.problems + parsed.without_repeats(
        check_field(definition, obj=obj, state=state, pointer="", functions=functions)
    )
    if definition.api_name != field.api_name and obj.find_field(definition.api_name) is not None:
        problems.append(
            Problem(
                "/api_name",
                "name-taken",
                f"object {obj.api_name!r} already has a field {definition.api_name!r}",
            )
        )
    raise_if(problems, f"the change to field {field.api_name!r} is not valid")
    updated = field.model_copy(
        update={"definition": definition, "column_name": definition.api_name}
    )
    new_state = replace_object(state, replace_field(obj, updated))
    if definition.api_name != field.api_name:
        new_state = _follow_field_rename(
            state,
            new_state,
            obj=obj,
            old=field.api_name,
            new=definition.api_name,
            functions=functions,
            keep_own_expression="expression" in patch,
        )
    raise_if(
        check_rollups_over(
            new_state, child=obj.api_name, field=definition.api_name, pointer="/type"
        ),
        f"the change to field {field.api_name!r} is not valid",
    )
    return new_state, require_field(require_object(new_state, obj.api_name), definition.api_name)


def _follow_field_rename(
    before: TenantMetadata,
    state: TenantMetadata,
    *,
    obj: ObjectState,
    old: str,
    new: str,
    functions: Functions,
    keep_own_expression: bool,
) -> TenantMetadata:
    """Rewrite what names the renamed field: expressions, rules' fields, roll-ups, sharing."""
    sources = {
        (site_object, kind, new if site_object == obj.api_name and name == old else name): text
        for (site_object, kind, name), text in renamed_sources(
            before, functions, object_name=obj.api_name, old=old, new=new
        ).items()
        if not (keep_own_expression and site_object == obj.api_name and name == old)
    }
    state = apply_sources(state, sources)
    objects = []
    for current in state.objects:
        fields = []
        for field in current.fields:
            rollup = field.definition.rollup
            if rollup is not None and rollup.child == obj.api_name:
                renamed = rollup.model_copy(
                    update={
                        "field": new if rollup.field == old else rollup.field,
                        "link": new if rollup.link == old else rollup.link,
                        "filter": rename_filter_keys(rollup.filter, old, new)
                        if rollup.filter
                        else rollup.filter,
                    }
                )
                definition = field.definition.model_copy(update={"rollup": renamed})
                field = field.model_copy(update={"definition": definition})
            fields.append(field)
        rules = current.validation_rules
        if current.id == obj.id:
            rules = tuple(
                rule.model_copy(
                    update={"definition": rule.definition.model_copy(update={"field": new})}
                )
                if rule.definition.field == old
                else rule
                for rule in rules
            )
        objects.append(
            current.model_copy(update={"fields": tuple(fields), "validation_rules": rules})
        )
    state = state.model_copy(update={"objects": tuple(objects)})
    return follow_field_rename_in_sharing(state, obj.id, object_name=obj.api_name, old=old, new=new)


def delete_field(
    state: TenantMetadata,
    object_name: str,
    field_name: str,
    *,
    now: datetime,
    functions: Functions = NO_FUNCTIONS,
) -> tuple[TenantMetadata, FieldState]:
    """Delete a field; its column is renamed aside and keeps its values until purged.

    Raises:
        NotFound; Conflict while an active formula, default, validation rule or roll-up
        uses it (the error lists them).
    """
    obj = require_object(state, object_name)
    field = require_field(obj, field_name)
    users = [
        user
        for user in users_of_field(state, obj.api_name, field.api_name, functions)
        if user not in (f"formula {obj.api_name}.{field.api_name}",)
        and user != f"default {obj.api_name}.{field.api_name}"
    ] + sharing_users_of_field(state, obj.id, field.api_name)
    if users:
        raise Conflict(
            f"field {field.api_name!r} is used by {', '.join(users)}; change those first",
            extra={"dependents": users},
        )
    deleted = field.model_copy(
        update={"deleted_at": now, "column_name": deleted_name(field.api_name, field.id)}
    )
    return replace_object(state, replace_field(obj, deleted)), deleted


def restore_field(
    state: TenantMetadata,
    object_name: str,
    field_name: str,
    *,
    patch: Mapping[str, Any] | None = None,
    functions: Functions = NO_FUNCTIONS,
) -> tuple[TenantMetadata, FieldState]:
    """Bring a deleted field back under its api name, with its values.

    `patch` (`required`, `default`) changes the field as it comes back: records created
    while it was deleted have no value, and a deleted field cannot be given a default.

    Raises:
        NotFound; Conflict when its name is taken; MetadataError when it no longer fits.
    """
    obj = require_object(state, object_name)
    field = require_field(obj, field_name, deleted=True)
    if obj.find_field(field.api_name) is not None:
        raise Conflict(
            f"object {obj.api_name!r} has a field named {field.api_name!r}; "
            "rename it before restoring this one"
        )
    definition = field.definition
    if patch:
        parsed = parse_body(FieldDef, {**definition.model_dump(exclude_none=True), **patch})
        if parsed.value is None or parsed.problems:
            raise MetadataError("the restore is not valid", problems=parsed.problems)
        definition = parsed.value
    raise_if(
        check_field(definition, obj=obj, state=state, pointer="", functions=functions),
        f"field {field.api_name!r} cannot be restored as it is",
    )
    restored = field.model_copy(
        update={"deleted_at": None, "column_name": field.api_name, "definition": definition}
    )
    return replace_object(state, replace_field(obj, restored)), restored


def purge_field(
    state: TenantMetadata, object_name: str, field_name: str
) -> tuple[TenantMetadata, FieldState]:
    """Remove a deleted field for good, column and values.

    Raises:
        NotFound: there is no such deleted field (delete it first).
    """
    obj = require_object(state, object_name)
    field = require_field(obj, field_name, deleted=True)
    remaining = obj.model_copy(update={"fields": tuple(f for f in obj.fields if f.id != field.id)})
    return replace_object(state, remaining), field
