"""Permission sets, as a component kind (`/api/v1/admin/permission-sets`).

A set grants rights on objects (by api name, or `*` for every object), on fields
(`object.field`) and system rights; a user's rights are the union of their sets
(`engine/access/rights.py`). The objects and fields a set names must exist. A rename
carries along to the users holding the set; a set users hold is not removed (409 naming
them); and no change may leave the tenant without an active user who can manage users.

A larger right implies the smaller ones (docs/permissions.md); a set is stored and
answered with them written out, so `{"create": true}` reads back as `{"read": true,
"create": true}`, what the set grants and what `/me` shows.
"""

from __future__ import annotations

from typing import Any

from engine.access.kinds.references import refuse_referenced
from engine.access.kinds.users import holders, keep_a_user_manager, rename_set_of_users
from engine.errors import Problem
from engine.metadata_changes.components import ComponentChange, ComponentKindSpec
from engine.suggestions import did_you_mean
from metadata.models import (
    ALL_OBJECTS,
    ComponentKind,
    ComponentState,
    FieldRights,
    ObjectRights,
    PermissionSetDef,
    TenantMetadata,
)


def check_permission_set(
    state: TenantMetadata, permission_set: PermissionSetDef, own: ComponentState | None
) -> list[Problem]:
    """The problems of `permission_set` in `state`: objects and fields that do not exist."""
    objects = {obj.api_name: obj for obj in state.live_objects}
    problems: list[Problem] = []
    for name in permission_set.objects:
        if name != ALL_OBJECTS and name not in objects:
            problems.append(
                Problem(
                    f"/objects/{name}",
                    "unknown-object",
                    f"there is no object {name!r} (name an object, or {ALL_OBJECTS!r} for "
                    f"every object){did_you_mean(name, objects)}",
                )
            )
    for key in permission_set.fields:
        object_name, dot, field_name = key.partition(".")
        obj = objects.get(object_name)
        if not dot:
            detail = f"{key!r} names no field: write it as object.field, e.g. lead.phone"
        elif obj is None:
            detail = f"there is no object {object_name!r}{did_you_mean(object_name, objects)}"
        elif obj.find_field(field_name) is None:
            fields = [field.api_name for field in obj.live_fields]
            detail = (
                f"{object_name!r} has no field {field_name!r}{did_you_mean(field_name, fields)}"
            )
        else:
            continue
        problems.append(Problem(f"/fields/{key}", "unknown-field", detail))
    return problems


def implied_object_rights(rights: ObjectRights) -> ObjectRights:
    """`rights` with the rights it implies (pure): `modify_all` implies every right,
    `delete` implies `edit`, and `create`, `edit`, `delete` and `view_all` imply `read`."""
    granted = rights.model_dump()
    if granted["modify_all"]:
        granted = dict.fromkeys(granted, True)
    if granted["delete"]:
        granted["edit"] = True
    if any(granted[name] for name in ("create", "edit", "delete", "view_all")):
        granted["read"] = True
    return ObjectRights.model_validate(granted)


def implied_field_rights(rights: FieldRights) -> FieldRights:
    """`rights` with the rights it implies (pure): `edit` implies `read`."""
    return FieldRights(read=rights.read or rights.edit, edit=rights.edit)


def normalized_permission_set(permission_set: PermissionSetDef) -> PermissionSetDef:
    """`permission_set` with every implied right written out (pure): it grants the same."""
    return permission_set.model_copy(
        update={
            "objects": {
                name: implied_object_rights(rights)
                for name, rights in permission_set.objects.items()
            },
            "fields": {
                key: implied_field_rights(rights) for key, rights in permission_set.fields.items()
            },
        }
    )


def _normalize(definition: Any) -> PermissionSetDef:
    return normalized_permission_set(definition)


def _render(component: ComponentState) -> dict[str, Any]:
    """A set as the API answers it: with the implied rights written out (a set stored
    before they were is answered as it grants)."""
    definition = normalized_permission_set(PermissionSetDef.model_validate(component.definition))
    return definition.model_dump(mode="json", exclude_none=True)


def guard_permission_set(change: ComponentChange) -> None:
    """Carry a rename along to the set's users; refuse removing a held set, or a change
    that leaves nobody able to manage users.

    Raises:
        Conflict: the removed set is held by users, or the last user managers lose the
            right (409).
    """
    before, after = change.before, change.after
    if change.is_renamed:
        assert before is not None and after is not None
        rename_set_of_users(change, before.api_name, after.api_name)
    if before is not None and after is None:
        users = [f"user {user.email}" for user in holders(change, permission_set=before.api_name)]
        refuse_referenced("permission set", before.api_name, users, verb="held by")
    keep_a_user_manager(change)


def _check(state: TenantMetadata, definition: Any, own: ComponentState | None) -> list[Problem]:
    return check_permission_set(state, definition, own)


#: The permission set kind, as the component commands and the admin routes use it.
PERMISSION_SETS = ComponentKindSpec(
    kind=ComponentKind.PERMISSION_SET,
    model=PermissionSetDef,
    noun="permission set",
    check=_check,
    guard=guard_permission_set,
    render=_render,
    normalize=_normalize,
)
