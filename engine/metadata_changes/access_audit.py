"""Record changes of access metadata (roles, groups, permission sets, sharing) in the audit log.

Who may see and do what is worth an audit trail of its own: every metadata change that
adds, renames, changes or removes a component of an access kind writes one audit event
(`metadata.access_changed`), in the change's transaction, naming the components and the
operations. A dry run writes none.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from engine.audit import record_event
from engine.context import RequestContext
from engine.metadata_changes.component_changes import describe_component_changes
from metadata.models import ComponentKind, ComponentState, TenantMetadata

#: The component kinds that decide who may see and do what.
ACCESS_KINDS = frozenset(
    {
        ComponentKind.ROLE,
        ComponentKind.GROUP,
        ComponentKind.PERMISSION_SET,
        ComponentKind.OBJECT_SHARING,
        ComponentKind.SHARING_RULE,
        ComponentKind.PARTNER_SETTINGS,
    }
)

#: The action of the event.
ACCESS_CHANGED = "metadata.access_changed"


def _access_only(state: TenantMetadata) -> TenantMetadata:
    components = tuple(c for c in state.components if c.kind in ACCESS_KINDS)
    return state.model_copy(update={"components": components})


def _reference(state: TenantMetadata, component: ComponentState) -> str:
    """`permission_set:sales`; a per-object one names its object: `sharing_rule:deal.big`."""
    owner = next((obj.api_name for obj in state.objects if obj.id == component.object_id), None)
    name = component.api_name if owner is None else f"{owner}.{component.api_name}"
    return f"{component.kind.value}:{name}"


def _changed_components(old: TenantMetadata, new: TenantMetadata) -> list[str]:
    before = {c.id: c for c in old.components if c.kind in ACCESS_KINDS}
    after = {c.id: c for c in new.components if c.kind in ACCESS_KINDS}
    changed = [
        _reference(new, component)
        for key, component in after.items()
        if key not in before
        or before[key].api_name != component.api_name
        or before[key].definition != component.definition
    ]
    changed += [_reference(old, component) for key, component in before.items() if key not in after]
    return changed


def record_access_changes(
    connection: Connection,
    context: RequestContext,
    *,
    old: TenantMetadata,
    new: TenantMetadata,
    revision: int,
    summary: str,
) -> bool:
    """Write one audit event if the change touched access components; return whether it did."""
    components = _changed_components(old, new)
    if not components:
        return False
    record_event(
        connection,
        context.tenant.id,
        at=context.engine.clock(),
        action=ACCESS_CHANGED,
        actor=context.actor,
        target=components[0] if len(components) == 1 else None,
        details={
            "revision": revision,
            "summary": summary,
            "components": components,
            "operations": describe_component_changes(_access_only(old), _access_only(new)),
        },
    )
    return True
