"""Pure transformations of a tenant's metadata state, one per kind of change.

Each returns the new state; none touches the database. Lookup and naming rules that
depend on the whole tenant are enforced here; option rules live in `field_checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from uuid_utils.compat import uuid7

from engine.catalog import deleted_name
from engine.errors import Conflict, MetadataError, NotFound, Problem
from engine.metadata_changes.dependencies import (
    apply_sources,
    rename_filter_keys,
    renamed_sources,
    users_of_field,
    users_of_object,
)
from engine.metadata_changes.expression_checks import Functions, check_rule
from engine.metadata_changes.expression_references import OBJECT
from engine.metadata_changes.field_checks import NO_FUNCTIONS, check_field
from engine.metadata_changes.names import check_api_name
from engine.metadata_changes.normalize import (
    default_label,
    default_plural,
    normalize_field,
    with_rollup_type,
)
from metadata.models import (
    ALLOWED_OPTIONS,
    REFERENCE_TYPES,
    FieldDef,
    FieldState,
    FieldType,
    ObjectDef,
    ObjectPatch,
    ObjectState,
    TenantMetadata,
    ValidationRuleState,
)


def replace_object(state: TenantMetadata, obj: ObjectState) -> TenantMetadata:
    """Return `state` with the object of the same id replaced (or appended)."""
    objects = [obj if existing.id == obj.id else existing for existing in state.objects]
    if not any(existing.id == obj.id for existing in state.objects):
        objects.append(obj)
    return state.model_copy(update={"objects": tuple(objects)})


def replace_field(obj: ObjectState, field: FieldState) -> ObjectState:
    """Return `obj` with the field of the same id replaced (or appended)."""
    fields = [field if existing.id == field.id else existing for existing in obj.fields]
    if not any(existing.id == field.id for existing in obj.fields):
        fields.append(field)
    return obj.model_copy(update={"fields": tuple(fields)})


def require_object(state: TenantMetadata, name: str, *, deleted: bool = False) -> ObjectState:
    """Return the live object `name` (or, with `deleted`, a deleted one named or with that id).

    Raises:
        NotFound: there is no such object.
    """
    if not deleted:
        obj = state.find_object(name)
        if obj is None:
            raise NotFound(f"there is no object {name!r}", extra={"object": name})
        return obj
    candidates = [
        o for o in state.objects if o.is_deleted and (o.api_name == name or str(o.id) == name)
    ]
    if not candidates:
        raise NotFound(f"there is no deleted object {name!r}", extra={"object": name})
    return max(candidates, key=lambda o: o.deleted_at or datetime.min)


def require_field(obj: ObjectState, name: str, *, deleted: bool = False) -> FieldState:
    """Return the live field `name` of `obj` (or, with `deleted`, a deleted one by name or id).

    Raises:
        NotFound: there is no such field.
    """
    if not deleted:
        field = obj.find_field(name)
        if field is None:
            raise NotFound(f"object {obj.api_name!r} has no field {name!r}", extra={"field": name})
        return field
    candidates = [
        f for f in obj.fields if f.is_deleted and (f.api_name == name or str(f.id) == name)
    ]
    if not candidates:
        raise NotFound(
            f"object {obj.api_name!r} has no deleted field {name!r}", extra={"field": name}
        )
    return max(candidates, key=lambda f: f.deleted_at or datetime.min)


def _raise_if(problems: list[Problem], detail: str) -> None:
    if problems:
        raise MetadataError(detail, problems=problems)


def _check_object_name(
    state: TenantMetadata, name: str, *, pointer: str, own_id: UUID | None = None
) -> list[Problem]:
    problems = check_api_name(name, pointer=pointer, is_field=False)
    clash = state.find_object(name)
    if not problems and clash is not None and clash.id != own_id:
        problems.append(Problem(pointer, "name-taken", f"an object named {name!r} already exists"))
    return problems


def create_object(
    state: TenantMetadata,
    definition: ObjectDef,
    *,
    now: datetime,
    functions: Functions = NO_FUNCTIONS,
) -> tuple[TenantMetadata, ObjectState]:
    """Add an object with its first fields.

    Raises:
        MetadataError: with every problem of the object and its fields.
    """
    problems = _check_object_name(state, definition.api_name, pointer="/api_name")
    label = definition.label or default_label(definition.api_name)
    obj = ObjectState(
        id=uuid7(),
        api_name=definition.api_name,
        table_name=definition.api_name,
        label=label,
        plural_label=definition.plural_label or default_plural(label),
        description=definition.description,
    )
    draft = replace_object(state, obj)
    fields = [
        FieldState(id=uuid7(), column_name=f.api_name, definition=f)
        for f in (with_rollup_type(normalize_field(d), draft) for d in definition.fields)
    ]
    rules = [ValidationRuleState(id=uuid7(), definition=r) for r in definition.validation_rules]
    obj = obj.model_copy(update={"fields": tuple(fields), "validation_rules": tuple(rules)})
    # The whole object is visible to its own fields' checks: a lookup can point at itself
    # and a formula can read a field declared after it.
    draft = replace_object(state, obj)
    names: set[str] = set()
    for index, field in enumerate(fields):
        pointer = f"/fields/{index}"
        problems += check_field(
            field.definition, obj=obj, state=draft, pointer=pointer, functions=functions
        )
        if field.api_name in names:
            problems.append(
                Problem(
                    f"{pointer}/api_name",
                    "name-taken",
                    f"field {field.api_name!r} is declared twice",
                )
            )
        names.add(field.api_name)
    problems += _check_rules(obj, draft, functions)
    _raise_if(problems, f"object {definition.api_name!r} is not valid")
    return draft, obj


def _check_rules(obj: ObjectState, state: TenantMetadata, functions: Functions) -> list[Problem]:
    problems: list[Problem] = []
    names: set[str] = set()
    for index, rule in enumerate(obj.validation_rules):
        pointer = f"/validation_rules/{index}"
        problems += check_api_name(rule.api_name, pointer=f"{pointer}/api_name", is_field=False)
        problems += check_rule(
            rule.definition, obj=obj, state=state, functions=functions, pointer=pointer
        )
        if rule.api_name in names:
            problems.append(
                Problem(
                    f"{pointer}/api_name",
                    "name-taken",
                    f"validation rule {rule.api_name!r} is declared twice",
                )
            )
        names.add(rule.api_name)
    return problems


def update_object(
    state: TenantMetadata, name: str, patch: ObjectPatch, *, functions: Functions = NO_FUNCTIONS
) -> tuple[TenantMetadata, ObjectState]:
    """Relabel or rename an object (a rename renames its table).

    Raises:
        NotFound, MetadataError.
    """
    obj = require_object(state, name)
    given = patch.model_dump(include=patch.model_fields_set)
    updates: dict[str, Any] = {key: value for key, value in given.items() if key != "api_name"}
    new_name = given.get("api_name")
    if new_name and new_name != obj.api_name:
        _raise_if(
            _check_object_name(state, new_name, pointer="/api_name", own_id=obj.id),
            "the new name is not valid",
        )
        updates["api_name"] = new_name
        updates["table_name"] = new_name
    for key in ("label", "plural_label"):
        if key in updates and not updates[key]:
            _raise_if(
                [Problem(f"/{key}", "missing-option", f"{key} cannot be empty")],
                "the change is not valid",
            )
    # A plural that was derived from the old label follows the new one.
    if (
        updates.get("label")
        and "plural_label" not in given
        and obj.plural_label == default_plural(obj.label)
    ):
        updates["plural_label"] = default_plural(updates["label"])
    renamed = obj.model_copy(update=updates)
    new_state = replace_object(state, renamed)
    if new_name and new_name != obj.api_name:
        new_state = _retarget_references(new_state, old=obj.api_name, new=new_name)
        sources = renamed_sources(
            state, functions, object_name=obj.api_name, old=OBJECT, new=new_name
        )
        new_state = apply_sources(
            new_state,
            {
                (new_name if site_object == obj.api_name else site_object, kind, site): text
                for (site_object, kind, site), text in sources.items()
            },
        )
    return new_state, require_object(new_state, renamed.api_name)


def _retarget_references(state: TenantMetadata, *, old: str, new: str) -> TenantMetadata:
    """Point lookups and roll-ups that name object `old` at its new name."""
    objects = []
    for obj in state.objects:
        fields = []
        for field in obj.fields:
            definition = field.definition
            if definition.target == old:
                definition = definition.model_copy(update={"target": new})
            if definition.rollup is not None and definition.rollup.child == old:
                definition = definition.model_copy(
                    update={"rollup": definition.rollup.model_copy(update={"child": new})}
                )
            fields.append(field.model_copy(update={"definition": definition}))
        objects.append(obj.model_copy(update={"fields": tuple(fields)}))
    return state.model_copy(update={"objects": tuple(objects)})


def _referencing_fields(state: TenantMetadata, target: str, *, exclude_object: UUID) -> list[str]:
    return [
        f"{obj.api_name}.{field.api_name}"
        for obj in state.live_objects
        if obj.id != exclude_object
        for field in obj.live_fields
        if (field.definition.type in REFERENCE_TYPES and field.definition.target == target)
        or (field.definition.rollup is not None and field.definition.rollup.child == target)
    ]


def delete_object(
    state: TenantMetadata, name: str, *, now: datetime, functions: Functions = NO_FUNCTIONS
) -> tuple[TenantMetadata, ObjectState]:
    """Delete an object; its table is renamed aside and keeps its rows until purged.

    Raises:
        NotFound; Conflict while other objects' lookups, roll-ups or expressions use it.
    """
    obj = require_object(state, name)
    users = _referencing_fields(state, obj.api_name, exclude_object=obj.id)
    users += users_of_object(state, obj.api_name, functions)
    if users:
        raise Conflict(
            f"object {name!r} is used by {', '.join(users)}; delete those fields first",
            extra={"dependents": users},
        )
    deleted = obj.model_copy(
        update={"deleted_at": now, "table_name": deleted_name(obj.api_name, obj.id)}
    )
    return replace_object(state, deleted), deleted


def restore_object(
    state: TenantMetadata, name: str, *, functions: Functions = NO_FUNCTIONS
) -> tuple[TenantMetadata, ObjectState]:
    """Bring a deleted object back under its api name, with its rows.

    Raises:
        NotFound; Conflict when its name is taken; MetadataError when its lookups' targets are gone.
    """
    obj = require_object(state, name, deleted=True)
    if state.find_object(obj.api_name) is not None:
        raise Conflict(
            f"an object named {obj.api_name!r} exists; rename it before restoring this one"
        )
    restored = obj.model_copy(update={"deleted_at": None, "table_name": obj.api_name})
    new_state = replace_object(state, restored)
    problems = [
        problem
        for index, field in enumerate(restored.fields)
        if not field.is_deleted
        for problem in check_field(
            field.definition,
            obj=restored,
            state=new_state,
            pointer=f"/fields/{index}",
            functions=functions,
        )
    ]
    _raise_if(problems, f"object {obj.api_name!r} cannot be restored as it is")
    return new_state, restored


def purge_object(state: TenantMetadata, name: str) -> tuple[TenantMetadata, ObjectState]:
    """Remove a deleted object for good, table and rows.

    Raises:
        NotFound: there is no such deleted object (delete it first).
        Conflict: a deleted object's lookup still points at it (purge that one first).
    """
    obj = require_object(state, name, deleted=True)
    if state.find_object(obj.api_name) is None:
        users = [
            f"{other.api_name}.{field.api_name}"
            for other in state.objects
            if other.id != obj.id and other.is_deleted
            for field in other.live_fields
            if field.definition.type in REFERENCE_TYPES and field.definition.target == obj.api_name
        ]
        if users:
            raise Conflict(
                f"deleted object(s) still look up {obj.api_name!r} ({', '.join(users)}); "
                "purge them first, or restore them and delete those fields",
                extra={"dependents": users},
            )
    remaining = tuple(existing for existing in state.objects if existing.id != obj.id)
    return state.model_copy(update={"objects": remaining}), obj


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
    normalized = with_rollup_type(normalize_field(definition), state)
    problems = check_field(normalized, obj=obj, state=state, pointer="", functions=functions)
    if obj.find_field(normalized.api_name) is not None:
        problems.append(
            Problem(
                "/api_name",
                "name-taken",
                f"object {obj.api_name!r} already has a field {normalized.api_name!r}",
            )
        )
    _raise_if(problems, f"field {definition.api_name!r} is not valid")
    field = FieldState(id=uuid7(), column_name=normalized.api_name, definition=normalized)
    return replace_object(state, replace_field(obj, field)), field


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
    try:
        definition = with_rollup_type(normalize_field(FieldDef.model_validate(merged)), state)
    except ValidationError as exc:
        raise MetadataError(
            "the change is not valid",
            problems=[
                Problem(
                    "/" + "/".join(str(part) for part in error["loc"]), error["type"], error["msg"]
                )
                for error in exc.errors()
            ],
        ) from exc
    problems = check_field(definition, obj=obj, state=state, pointer="", functions=functions)
    if definition.api_name != field.api_name and obj.find_field(definition.api_name) is not None:
        problems.append(
            Problem(
                "/api_name",
                "name-taken",
                f"object {obj.api_name!r} already has a field {definition.api_name!r}",
            )
        )
    _raise_if(problems, f"the change to field {field.api_name!r} is not valid")
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
    """Rewrite what names the renamed field: expressions, rules' fields, roll-ups."""
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
    return state.model_copy(update={"objects": tuple(objects)})


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
    ]
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
    functions: Functions = NO_FUNCTIONS,
) -> tuple[TenantMetadata, FieldState]:
    """Bring a deleted field back under its api name, with its values.

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
    _raise_if(
        check_field(field.definition, obj=obj, state=state, pointer="", functions=functions),
        f"field {field.api_name!r} cannot be restored as it is",
    )
    restored = field.model_copy(update={"deleted_at": None, "column_name": field.api_name})
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
