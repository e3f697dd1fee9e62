"""The sharing component kinds: an object's sharing settings, its sharing rules, and the
tenant's partner settings, each described once as a `ComponentKindSpec` with its checks."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from engine.access import SharingRule, rule_condition
from engine.catalog import compile_catalog
from engine.errors import Problem
from engine.expressions import ExpressionCompiler
from engine.metadata_changes.components import ComponentKindSpec
from engine.query import InvalidQuery
from engine.suggestions import did_you_mean
from metadata.models import (
    REFERENCE_TYPES,
    ComponentKind,
    ComponentState,
    DefaultAccess,
    FieldType,
    GroupShare,
    ObjectSharingDef,
    ObjectState,
    PartnerSettingsDef,
    SharingRuleDef,
    TenantMetadata,
)

#: The stored name of an object's sharing settings (one per object, not named by callers).
SHARING_SETTINGS = ComponentKind.OBJECT_SHARING.value
#: The stored name of the tenant's partner settings (one per tenant).
PARTNER_SETTINGS = ComponentKind.PARTNER_SETTINGS.value


def _has_master(obj: ObjectState) -> bool:
    return any(f.definition.type is FieldType.MASTER_DETAIL for f in obj.live_fields)


def sharing_settings_spec(object_name: str) -> ComponentKindSpec:
    """The kind of an object's sharing settings (an unnamed per-object singleton)."""

    def check(state: TenantMetadata, definition: Any, own: ComponentState | None) -> list[Problem]:
        obj = state.find_object(object_name)
        if (
            obj is not None
            and definition.default_access is DefaultAccess.CONTROLLED_BY_PARENT
            and not _has_master(obj)
        ):
            return [
                Problem(
                    "/default_access",
                    "no-master",
                    f"{object_name!r} has no master_detail field, so it has no parent whose "
                    "sharing it could follow; choose private, read or read_write",
                )
            ]
        return []

    return ComponentKindSpec(
        kind=ComponentKind.OBJECT_SHARING,
        model=ObjectSharingDef,
        noun="sharing settings",
        check=check,
        per_object=True,
        is_named=False,
    )


def sharing_rule_spec(
    object_name: str, *, compiler: ExpressionCompiler, dialect: str
) -> ComponentKindSpec:
    """The kind of an object's sharing rules: their principal must exist and their filter
    compile (the list API's checks: fields, operators, values) on the object's own fields."""

    def check(state: TenantMetadata, definition: Any, own: ComponentState | None) -> list[Problem]:
        rule: SharingRuleDef = definition
        problems = _principal_problems(state, rule)
        obj = state.find_object(object_name)
        if obj is None:
            return problems
        if _default_of(state, obj) is DefaultAccess.CONTROLLED_BY_PARENT:
            problems.append(
                Problem(
                    "",
                    "controlled-by-parent",
                    f"records of {object_name!r} follow their master's sharing "
                    "(controlled_by_parent): share the master records instead",
                )
            )
        catalog = compile_catalog(state, compiler)
        compiled = catalog.objects.get(object_name)
        if compiled is not None:
            probe = SharingRule(id=uuid4(), object_id=obj.id, definition=rule)
            try:
                rule_condition(catalog, compiled, probe, dialect=dialect)
            except InvalidQuery as exc:
                problems += exc.problems
        return problems

    return ComponentKindSpec(
        kind=ComponentKind.SHARING_RULE,
        model=SharingRuleDef,
        noun="sharing rule",
        check=check,
        per_object=True,
    )


def _default_of(state: TenantMetadata, obj: ObjectState) -> DefaultAccess:
    found = state.find_component(ComponentKind.OBJECT_SHARING, SHARING_SETTINGS, object_id=obj.id)
    if found is None:
        return DefaultAccess.PRIVATE
    return ObjectSharingDef.model_validate(found.definition).default_access


def _principal_problems(state: TenantMetadata, rule: SharingRuleDef) -> list[Problem]:
    share_with = rule.share_with
    if isinstance(share_with, GroupShare):
        kind, name, pointer = ComponentKind.GROUP, share_with.group, "/share_with/group"
    else:
        kind, name, pointer = ComponentKind.ROLE, share_with.role, "/share_with/role"
    if state.find_component(kind, name) is not None:
        return []
    names = (c.api_name for c in state.components_of(kind))
    return [
        Problem(
            pointer,
            f"unknown-{kind.value}",
            f"there is no {kind.value} {name!r}{did_you_mean(name, names)}",
        )
    ]


def _check_partner_settings(
    state: TenantMetadata, definition: Any, own: ComponentState | None
) -> list[Problem]:
    settings: PartnerSettingsDef = definition
    obj = state.find_object(settings.object)
    if obj is None:
        names = [o.api_name for o in state.live_objects]
        return [
            Problem(
                "/object",
                "unknown-object",
                f"there is no object {settings.object!r}{did_you_mean(settings.object, names)}",
            )
        ]
    if settings.parent_field is None:
        return []
    field = obj.find_field(settings.parent_field)
    self_lookups = [
        f.api_name
        for f in obj.live_fields
        if f.definition.type in REFERENCE_TYPES and f.definition.target == obj.api_name
    ]
    if (
        field is None
        or field.definition.type not in REFERENCE_TYPES
        or field.definition.target != obj.api_name
    ):
        hint = (
            f"; its lookups to itself: {', '.join(self_lookups)}"
            if self_lookups
            else f"; add a lookup field of {obj.api_name!r} to {obj.api_name!r} first"
        )
        return [
            Problem(
                "/parent_field",
                "not-a-self-lookup",
                f"parent_field names the lookup from a partner account to its parent "
                f"account: a lookup of {obj.api_name!r} to {obj.api_name!r}; "
                f"{settings.parent_field!r} is not one{hint}",
            )
        ]
    return []


#: The kind of the tenant's partner settings (an unnamed tenant-wide singleton).
PARTNER_SETTINGS_KIND = ComponentKindSpec(
    kind=ComponentKind.PARTNER_SETTINGS,
    model=PartnerSettingsDef,
    noun="partner settings",
    check=_check_partner_settings,
    is_named=False,
)
