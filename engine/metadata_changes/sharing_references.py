"""What sharing rules and partner settings name of objects and fields, kept true on renames.

A rule's filter and the partner settings name fields and objects by api name: renaming
one rewrites them in the same change, and deleting a field one of them reads is refused
with the others that use it.
"""

from __future__ import annotations

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
    """Rewrite the rules' filters and the partner settings naming the renamed field."""

    def renamed(component: ComponentState) -> ComponentState:
        definition = dict(component.definition)
        if component.kind is ComponentKind.SHARING_RULE and component.object_id == object_id:
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
    """Point the partner settings at the renamed object."""

    def renamed(component: ComponentState) -> ComponentState:
        if component.kind is not ComponentKind.PARTNER_SETTINGS:
            return component
        if component.definition.get("object") != old:
            return component
        return component.model_copy(update={"definition": {**component.definition, "object": new}})

    return state.model_copy(update={"components": tuple(map(renamed, state.components))})
