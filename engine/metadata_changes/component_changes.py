"""Describe what a change does to the components stored beside objects (pure)."""

from __future__ import annotations

from metadata.models import TenantMetadata


def describe_component_changes(old: TenantMetadata, new: TenantMetadata) -> list[str]:
    """What a change does to components, for the plan's operations (pure)."""
    before = {c.id: c for c in old.components}
    after = {c.id: c for c in new.components}
    lines: list[str] = []
    for component in new.components:
        noun = component.kind.value.replace("_", " ")
        previous = before.get(component.id)
        if previous is None:
            lines.append(f"add {noun} {component.api_name}")
        elif previous.api_name != component.api_name:
            lines.append(f"rename {noun} {previous.api_name} to {component.api_name}")
        elif previous.definition != component.definition:
            lines.append(f"change {noun} {component.api_name}")
    for component in old.components:
        if component.id not in after:
            lines.append(f"remove {component.kind.value.replace('_', ' ')} {component.api_name}")
    return lines
