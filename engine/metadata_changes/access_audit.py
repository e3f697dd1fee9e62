"""Record changes of access metadata (roles, groups, permission sets, sharing) in the audit log.

Who may see and do what is worth an audit trail of its own: every metadata change that
adds, renames, changes or removes a component of an access kind writes one audit event
(`metadata.access_changed`), in the change's transaction, naming the components and the
operations. A field's flags that decide what is kept and shown of personal data are
audited too: turning `pii` off unmasks the field's values for everyone without
`view_pii`, turning `track_history` off stops its field history (one event per field
and flag, `metadata.field_pii_changed` and `metadata.field_history_changed`). A dry run
writes none.
"""

from __future__ import annotations

from dataclasses import dataclass

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

#: The action of the event of a field's `pii` flag turned on or off.
FIELD_PII_CHANGED = "metadata.field_pii_changed"

#: The action of the event of a field's `track_history` flag turned on or off.
FIELD_HISTORY_CHANGED = "metadata.field_history_changed"

#: The field flags audited, with the action of each.
_AUDITED_FLAGS = (("pii", FIELD_PII_CHANGED), ("track_history", FIELD_HISTORY_CHANGED))


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


@dataclass(frozen=True)
class FlagChange:
    """A field flag turned on (`now` true) or off, on a field live before and after."""

    object: str
    field: str
    flag: str
    action: str
    now: bool


def field_flag_changes(old: TenantMetadata, new: TenantMetadata) -> list[FlagChange]:
    """The audited flags (`pii`, `track_history`) that the change turns on or off (pure).

    A field is followed by its id, so a rename is no flag change; a field added or
    removed by the change is not either (it had, or keeps, no values to show).
    """
    before = {field.id: field for obj in old.live_objects for field in obj.live_fields}
    changes = []
    for obj in new.live_objects:
        for field in obj.live_fields:
            was = before.get(field.id)
            if was is None:
                continue
            for flag, action in _AUDITED_FLAGS:
                now = bool(getattr(field.definition, flag))
                if bool(getattr(was.definition, flag)) != now:
                    changes.append(
                        FlagChange(
                            object=obj.api_name,
                            field=field.api_name,
                            flag=flag,
                            action=action,
                            now=now,
                        )
                    )
    return changes


def record_access_changes(
    connection: Connection,
    context: RequestContext,
    *,
    old: TenantMetadata,
    new: TenantMetadata,
    revision: int,
    summary: str,
) -> bool:
    """Write the change's access events: one if it touched access components, one per
    field flag it turned on or off; return whether it wrote any."""
    at = context.engine.clock()
    components = _changed_components(old, new)
    if components:
        record_event(
            connection,
            context.tenant.id,
            at=at,
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
    flags = field_flag_changes(old, new)
    for change in flags:
        record_event(
            connection,
            context.tenant.id,
            at=at,
            action=change.action,
            actor=context.actor,
            target=f"field:{change.object}.{change.field}",
            details={
                "revision": revision,
                "summary": summary,
                "object": change.object,
                "field": change.field,
                change.flag: change.now,
            },
        )
    return bool(components or flags)
