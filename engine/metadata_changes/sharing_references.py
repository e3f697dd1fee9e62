"""What access components name of objects and fields, kept true on renames.

A sharing rule's filter, the partner settings and the keys of permission sets (`lead`,
`lead.phone`) name fields and objects by api name: renaming one rewrites them in the same
change. Deleting a field a rule or the partner settings read is refused with the others
that use it; a permission set's rights on a deleted field or object simply stop applying.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from engine.metadata_changes.dependencies import rename_filter_keys
from engine.query.filter_keys import filter_fields
from metadata.models import ComponentKind, ComponentState, TenantMetadata


def sharing_users_of_field(state: TenantMetadata, object_id: UUID, field_name: str) -> list[str]:
    """The sharing rules and partner settings that read a field, described."""
    obj = next((o for o in state.objects if o.id == object_id), None)
    if obj is None:
        return []
    users = [
        f"sharing rule {obj.api_name}.{rule.api_name}"
        for rule in state.components_of(ComponentKind.SHARING_RULE, object_id=object_id)
        if field_name in filter_fields(rule.definition.get("filter") or {})
    ]
    for partner in state.components_of(ComponentKind.PARTNER_SETTINGS):
        definition = partner.definition
        if (
            definition.get("object") == obj.api_name
            and definition.get("parent_field") == field_name
        ):
            users.append("the partner settings")
    return users


def follow_field_rename_in_sharing(
    state: TenantMetadata, object_id: UUID, *, object_name: str, old: str, new: str
) -> TenantMetadata:
    """Rewrite the rules' filters, the partner settings and the permission sets naming the
    renamed field."""
    old_key, new_key = f"{object_name}.{old}", f"{object_name}.{new}"

    def renamed(component: ComponentState) -> ComponentState:
        definition = dict(component.definition)
        if component.kind is ComponentKind.PERMISSION_SET:
            fields = definition.get("fields") or {}
            definition["fields"] = {
                (new_key if key == old_key else key): rights for key, rights in fields.items()
            }
        elif component.kind is ComponentKind.SHARING_RULE and component.object_id == object_id:
            definition["filter"] = rename_filter_keys(definition.get("filter") or {}, old, new)
        elif (
            component.kind is ComponentKind.PARTNER_SETTINGS
            and definition.get("object") == object_name
            and definition.get("parent_field") == old
        ):
            definition["parent_field"] = new
        return component.model_copy(update={"definition": definition})

    return state.model_copy(update={"components": tuple(map(renamed, state.components))})


def follow_object_rename_in_sharing(state: TenantMetadata, *, old: str, new: str) -> TenantMetadata:
    """Point the partner settings and the permission sets' keys at the renamed object."""

    def renamed(component: ComponentState) -> ComponentState:
        if component.kind is ComponentKind.PERMISSION_SET:
            return component.model_copy(
                update={"definition": _rename_object_keys(component.definition, old, new)}
            )
        if component.kind is not ComponentKind.PARTNER_SETTINGS:
            return component
        if component.definition.get("object") != old:
            return component
        return component.model_copy(update={"definition": {**component.definition, "object": new}})

    return state.model_copy(update={"components": tuple(map(renamed, state.components))})


def _rename_object_keys(definition: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """A permission set's definition with `old` and `old.<field>` keys named `new`."""
    objects = definition.get("objects") or {}
    fields = definition.get("fields") or {}
    prefix = f"{old}."
    return {
        **definition,
        "objects": {(new if key == old else key): value for key, value in objects.items()},
        "fields": {
            (f"{new}.{key.removeprefix(prefix)}" if key.startswith(prefix) else key): value
            for key, value in fields.items()
        },
    }
