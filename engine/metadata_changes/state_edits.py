"""Find and replace components in a tenant's metadata state (pure helpers of the changes)."""

from __future__ import annotations

from datetime import datetime

from engine.errors import MetadataError, NotFound, Problem, unknown_object
from engine.suggestions import did_you_mean
from metadata.models import (
    FieldState,
    ObjectState,
    TenantMetadata,
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
            raise unknown_object(name, (o.api_name for o in state.live_objects))
        return obj
    candidates = [
        o for o in state.objects if o.is_deleted and (o.api_name == name or str(o.id) == name)
    ]
    if not candidates:
        deleted_names = (o.api_name for o in state.objects if o.is_deleted)
        raise unknown_object(name, deleted_names, deleted=True)
    return max(candidates, key=lambda o: o.deleted_at or datetime.min)


def require_field(obj: ObjectState, name: str, *, deleted: bool = False) -> FieldState:
    """Return the live field `name` of `obj` (or, with `deleted`, a deleted one by name or id).

    Raises:
        NotFound: there is no such field.
    """
    if not deleted:
        field = obj.find_field(name)
        if field is None:
            hint = did_you_mean(name, (f.api_name for f in obj.live_fields))
            raise NotFound(
                f"object {obj.api_name!r} has no field {name!r}{hint}", extra={"field": name}
            )
        return field
    candidates = [
        f for f in obj.fields if f.is_deleted and (f.api_name == name or str(f.id) == name)
    ]
    if not candidates:
        hint = did_you_mean(name, (f.api_name for f in obj.fields if f.is_deleted))
        raise NotFound(
            f"object {obj.api_name!r} has no deleted field {name!r}{hint}", extra={"field": name}
        )
    return max(candidates, key=lambda f: f.deleted_at or datetime.min)


def raise_if(problems: list[Problem], detail: str) -> None:
    if problems:
        raise MetadataError(detail, problems=problems)
