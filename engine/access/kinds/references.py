"""Who names a role or a group, and carrying a rename along to them (pure).

Roles are named by their child roles (`parent`), by group members (`role:R`,
`role_and_subordinates:R`) and by sharing rules (`share_with.role`); groups by other
groups' members (`group:G`) and by sharing rules (`share_with.group`). A rename rewrites
those references in the same change, so a rename is a rename; a removal is refused
while anything names the component (`Conflict` naming them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.errors import Conflict
from metadata.models import ComponentKind, ComponentState, TenantMetadata

ROLE_PREFIXES = ("role:", "role_and_subordinates:")
GROUP_PREFIX = "group:"
#: How many referrers a refusal names before it counts the rest.
MAX_NAMED = 10


def _object_name(state: TenantMetadata, component: ComponentState) -> str:
    for obj in state.objects:
        if obj.id == component.object_id:
            return obj.api_name
    return "?"


def role_referrers(state: TenantMetadata, name: str) -> list[str]:
    """What in the metadata names role `name`, described for a person."""
    found = [
        f"role {role.api_name!r} (its parent)"
        for role in state.components_of(ComponentKind.ROLE)
        if role.definition.get("parent") == name
    ]
    found += _member_referrers(state, [f"{prefix}{name}" for prefix in ROLE_PREFIXES])
    found += _rule_referrers(state, "role", name)
    return found


def group_referrers(state: TenantMetadata, name: str) -> list[str]:
    """What in the metadata names group (or queue) `name`, described for a person."""
    return _member_referrers(state, [f"{GROUP_PREFIX}{name}"]) + _rule_referrers(
        state, "group", name
    )


def _member_referrers(state: TenantMetadata, members: Sequence[str]) -> list[str]:
    return [
        f"group {group.api_name!r} (member {member!r})"
        for group in state.components_of(ComponentKind.GROUP)
        for member in group.definition.get("members", [])
        if member in members
    ]


def _rule_referrers(state: TenantMetadata, key: str, name: str) -> list[str]:
    return [
        f"sharing rule {rule.api_name!r} of object {_object_name(state, rule)!r}"
        for rule in state.components_of(ComponentKind.SHARING_RULE)
        if (rule.definition.get("share_with") or {}).get(key) == name
    ]


def refuse_referenced(
    noun: str, name: str, referrers: Sequence[str], *, verb: str = "named by"
) -> None:
    """Refuse to remove a component that `referrers` still name (or hold, or use).

    Raises:
        Conflict: some referrer names it (409), listing them.
    """
    if not referrers:
        return
    named = ", ".join(referrers[:MAX_NAMED])
    more = f" and {len(referrers) - MAX_NAMED} more" if len(referrers) > MAX_NAMED else ""
    raise Conflict(
        f"{noun} {name!r} is still {verb} {named}{more}; change or remove those first",
        extra={"referrers": list(referrers)},
    )


def _rewritten(
    state: TenantMetadata,
    kind: ComponentKind,
    rewrite: Callable[[dict[str, Any]], dict[str, Any] | None],
) -> TenantMetadata:
    """`state` with each component of `kind` that `rewrite` changes (a new definition)."""
    components = []
    changed = False
    for component in state.components:
        definition = rewrite(component.definition) if component.kind == kind else None
        if definition is not None and definition != component.definition:
            component = component.model_copy(update={"definition": definition})
            changed = True
        components.append(component)
    return state.model_copy(update={"components": tuple(components)}) if changed else state


def _renamed_members(old: Sequence[str], new: Sequence[str]) -> Callable[[Any], Any]:
    renames = dict(zip(old, new, strict=True))

    def rewrite(definition: dict[str, Any]) -> dict[str, Any] | None:
        members = definition.get("members", [])
        if not any(member in renames for member in members):
            return None
        return {**definition, "members": [renames.get(member, member) for member in members]}

    return rewrite


def _renamed_share(key: str, old: str, new: str) -> Callable[[dict[str, Any]], Any]:
    def rewrite(definition: dict[str, Any]) -> dict[str, Any] | None:
        share = definition.get("share_with") or {}
        if share.get(key) != old:
            return None
        return {**definition, "share_with": {**share, key: new}}

    return rewrite


def follow_role_rename(state: TenantMetadata, old: str, new: str) -> TenantMetadata:
    """`state` with every reference to role `old` naming `new` instead."""

    def reparent(definition: dict[str, Any]) -> dict[str, Any] | None:
        return {**definition, "parent": new} if definition.get("parent") == old else None

    state = _rewritten(state, ComponentKind.ROLE, reparent)
    state = _rewritten(
        state,
        ComponentKind.GROUP,
        _renamed_members(
            [f"{p}{old}" for p in ROLE_PREFIXES], [f"{p}{new}" for p in ROLE_PREFIXES]
        ),
    )
    return _rewritten(state, ComponentKind.SHARING_RULE, _renamed_share("role", old, new))


def follow_group_rename(state: TenantMetadata, old: str, new: str) -> TenantMetadata:
    """`state` with every reference to group `old` naming `new` instead."""
    state = _rewritten(
        state,
        ComponentKind.GROUP,
        _renamed_members([f"{GROUP_PREFIX}{old}"], [f"{GROUP_PREFIX}{new}"]),
    )
    return _rewritten(state, ComponentKind.SHARING_RULE, _renamed_share("group", old, new))
