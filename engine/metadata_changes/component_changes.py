"""Describe what a change does to the components stored beside objects (pure)."""

from __future__ import annotations

from metadata.models import ComponentState, TenantMetadata


def describe_component_changes(old: TenantMetadata, new: TenantMetadata) -> list[str]:
    """What a change does to components, for the plan's operations (pure)."""
    before = {c.id: c for c in old.components}
    after = {c.id: c for c in new.components}
    lines: list[str] = []
    for component in new.components:
        noun = component.kind.value.replace("_", " ")
        previous = before.get(component.id)
        if previous is None:
            lines.append(f"add {noun}{_named(new, component)}")
        elif previous.api_name != component.api_name:
            lines.append(f"rename {noun} {previous.api_name} to {component.api_name}")
        elif previous.definition != component.definition:
            lines.append(f"change {noun}{_named(new, component)}")
    for component in old.components:
        if component.id not in after:
            noun = component.kind.value.replace("_", " ")
            lines.append(f"remove {noun}{_named(old, component)}")
    return lines


def _named(state: TenantMetadata, component: ComponentState) -> str:
    """` name`, or for a kind's only component (its api name is the kind), its object's."""
    if component.api_name != component.kind.value:
        return f" {component.api_name}"
    obj = next((o for o in state.objects if o.id == component.object_id), None)
    return f" of object {obj.api_name}" if obj is not None else ""
