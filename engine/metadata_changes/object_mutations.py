"""Pure changes of objects: create, update (rename), delete, restore, purge.

Each returns the new state and the object; none touches the database. Rules that
depend on the whole tenant (names, lookups, roll-ups and expressions using the object)
are enforced here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from uuid_utils.compat import uuid7

from engine.catalog import deleted_name
from engine.catalog.expression_references import OBJECT
from engine.errors import Conflict, Problem
from engine.metadata_changes.dependencies import (
    apply_sources,
    renamed_sources,
    users_of_object,
)
from engine.metadata_changes.expression_checks import Functions, check_rule
from engine.metadata_changes.field_checks import NO_FUNCTIONS, check_field
from engine.metadata_changes.names import check_api_name, check_column_count
from engine.metadata_changes.normalize import (
    default_label,
    default_plural,
    normalize_field,
    with_rollup_type,
)
from engine.metadata_changes.sharing_references import follow_object_rename_in_sharing
from engine.metadata_changes.state_edits import (
    raise_if,
    replace_object,
    require_object,
)
from engine.metadata_changes.storable_values import check_storable_options
from metadata.models import (
    REFERENCE_TYPES,
    FieldState,
    ObjectDef,
    ObjectPatch,
    ObjectState,
    TenantMetadata,
    ValidationRuleState,
)


def _check_object_name(
    state: TenantMetadata, name: str, *, pointer: str, own_id: UUID | None = None
) -> list[Problem]:
    problems = check_api_name(name, pointer=pointer, is_field=False, is_table=True)
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
    problems += check_storable_options(
        definition.model_dump(include={"label", "plural_label", "description"}), ""
    )
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
        for f in (normalize_field(with_rollup_type(d, draft)) for d in definition.fields)
    ]
    rules = [ValidationRuleState(id=uuid7(), definition=r) for r in definition.validation_rules]
    obj = obj.model_copy(update={"fields": tuple(fields), "validation_rules": tuple(rules)})
    problems += check_column_count(obj, pointer="/fields")
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
    raise_if(problems, f"object {definition.api_name!r} is not valid")
    return draft, obj


def _check_rules(obj: ObjectState, state: TenantMetadata, functions: Functions) -> list[Problem]:
    problems: list[Problem] = []
    names: set[str] = set()
    for index, rule in enumerate(obj.validation_rules):
        pointer = f"/validation_rules/{index}"
        problems += check_api_name(rule.api_name, pointer=f"{pointer}/api_name", is_field=False)
        problems += check_storable_options(
            rule.definition.model_dump(exclude={"api_name"}), pointer
        )
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
    raise_if(check_storable_options(updates, ""), "the change is not valid")
    new_name = given.get("api_name")
    if new_name and new_name != obj.api_name:
        raise_if(
            _check_object_name(state, new_name, pointer="/api_name", own_id=obj.id),
            "the new name is not valid",
        )
        updates["api_name"] = new_name
        updates["table_name"] = new_name
    for key in ("label", "plural_label"):
        if key in updates and not updates[key]:
            raise_if(
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
        new_state = follow_object_rename_in_sharing(new_state, old=obj.api_name, new=new_name)
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
    raise_if(problems, f"object {obj.api_name!r} cannot be restored as it is")
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
