"""A tenant's sharing settings as record sharing reads them: defaults, rules, principals.

Read from the metadata components (pure), once per catalog revision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from engine.access.sharing_tables import (
    group_key,
    role_and_subordinates_key,
    role_key,
)
from engine.catalog import Catalog
from metadata.models import (
    ComponentKind,
    DefaultAccess,
    GroupDef,
    GroupKind,
    GroupShare,
    PartnerSettingsDef,
    RoleDef,
    SharingRuleDef,
    TenantMetadata,
)


@dataclass(frozen=True)
class NamedRole:
    """A role of the hierarchy, with its stable id."""

    id: UUID
    definition: RoleDef


@dataclass(frozen=True)
class NamedGroup:
    """A public group or queue, with its stable id (a queue's id owns records)."""

    id: UUID
    definition: GroupDef


@dataclass(frozen=True)
class SharingRule:
    """A sharing rule of one object, with its stable id."""

    id: UUID
    object_id: UUID
    definition: SharingRuleDef


@dataclass(frozen=True)
class SharingSettings:
    """Everything about sharing that a tenant declares.

    Attributes:
        defaults: each object's organization-wide default, by object id (absent: private).
        rules: each object's sharing rules, by object id.
        partner: which object holds partner accounts, if any.
        roles: the roles by api name.
        groups: the public groups and queues by api name.
    """

    defaults: Mapping[UUID, DefaultAccess]
    rules: Mapping[UUID, tuple[SharingRule, ...]]
    partner: PartnerSettingsDef | None
    roles: Mapping[str, NamedRole]
    groups: Mapping[str, NamedGroup]

    def default_access(self, object_id: UUID) -> DefaultAccess:
        """An object's default access: private unless its sharing settings say otherwise."""
        return self.defaults.get(object_id, DefaultAccess.PRIVATE)

    def grantee(self, rule: SharingRuleDef) -> str | None:
        """The principal a rule shares with; None when its role or group is gone."""
        share_with = rule.share_with
        if isinstance(share_with, GroupShare):
            group = self.groups.get(share_with.group)
            return None if group is None else group_key(group.id)
        role = self.roles.get(share_with.role)
        if role is None:
            return None
        if share_with.include_subordinates:
            return role_and_subordinates_key(role.id)
        return role_key(role.id)

    @property
    def queue_ids(self) -> frozenset[UUID]:
        """The ids of the queues (a record's owner may be one)."""
        return frozenset(
            group.id for group in self.groups.values() if group.definition.kind is GroupKind.QUEUE
        )


def read_sharing_settings(state: TenantMetadata) -> SharingSettings:
    """The sharing settings `state` declares (pure)."""
    defaults = {
        component.object_id: DefaultAccess(component.definition["default_access"])
        for component in state.components_of(ComponentKind.OBJECT_SHARING)
        if component.object_id is not None and "default_access" in component.definition
    }
    rules: dict[UUID, list[SharingRule]] = {}
    for component in state.components_of(ComponentKind.SHARING_RULE):
        if component.object_id is None:
            continue
        rules.setdefault(component.object_id, []).append(
            SharingRule(
                id=component.id,
                object_id=component.object_id,
                definition=SharingRuleDef.model_validate(component.definition),
            )
        )
    partner = state.components_of(ComponentKind.PARTNER_SETTINGS)
    return SharingSettings(
        defaults=defaults,
        rules={key: tuple(value) for key, value in rules.items()},
        partner=PartnerSettingsDef.model_validate(partner[0].definition) if partner else None,
        roles={
            c.api_name: NamedRole(c.id, RoleDef.model_validate(c.definition))
            for c in state.components_of(ComponentKind.ROLE)
        },
        groups={
            c.api_name: NamedGroup(c.id, GroupDef.model_validate(c.definition))
            for c in state.components_of(ComponentKind.GROUP)
        },
    )


def sharing_settings(catalog: Catalog) -> SharingSettings:
    """The sharing settings of the catalog's revision (read once per revision)."""
    return catalog.statements.get_or_build(
        ("sharing_settings",), lambda: read_sharing_settings(catalog.metadata_state)
    )
