"""Access metadata: roles, groups and queues, permission sets, sharing and partner settings.

These are tenant components like validation rules: stored in the component table, changed
through the same plan-then-apply path (revisions, dry runs), exported by
`GET /admin/metadata` and carried in bundles. Users are data, not metadata: they live in a
system table of their own.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from metadata.models.fields import ApiName, Label, LongText

#: A yes-or-no of access metadata: JSON `true` or `false` only. Lax parsing would take
#: "yes", "off", 0 or 1, and a right is too important to be guessed from such a value.
Flag = Annotated[bool, Strict()]

#: Every object, present and future, in a permission set's `objects` (an extension).
ALL_OBJECTS = "*"


class ComponentKind(StrEnum):
    """The kinds of tenant component stored beside objects and fields."""

    ROLE = "role"
    GROUP = "group"
    PERMISSION_SET = "permission_set"
    OBJECT_SHARING = "object_sharing"
    SHARING_RULE = "sharing_rule"
    PARTNER_SETTINGS = "partner_settings"


class SystemRight(StrEnum):
    """Rights that are not about one object."""

    CUSTOMIZE = "customize"
    MANAGE_USERS = "manage_users"
    VIEW_PII = "view_pii"
    INSTALL_BUNDLES = "install_bundles"
    VIEW_AUDIT = "view_audit"


class ObjectRight(StrEnum):
    """What a permission set may grant on one object."""

    READ = "read"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    VIEW_ALL = "view_all"
    MODIFY_ALL = "modify_all"


class DefaultAccess(StrEnum):
    """An object's organization-wide default: what everyone may do with others' records."""

    PRIVATE = "private"
    READ = "read"
    READ_WRITE = "read_write"
    CONTROLLED_BY_PARENT = "controlled_by_parent"


class ShareAccess(StrEnum):
    """The access a sharing rule or a manual share grants."""

    READ = "read"
    READ_WRITE = "read_write"


class GroupKind(StrEnum):
    """A public group shares records; a queue can also own them."""

    GROUP = "group"
    QUEUE = "queue"


class _Component(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleDef(_Component):
    """A role in the role hierarchy: a role sees what its subordinate roles own."""

    api_name: ApiName
    label: Label | None = None
    parent: ApiName | None = None
    description: LongText | None = None


#: A group member: a user's e-mail, `role:NAME`, `role_and_subordinates:NAME` or `group:NAME`.
Member = Annotated[str, StringConstraints(min_length=1, max_length=320)]


class GroupDef(_Component):
    """A public group or a queue and its members."""

    api_name: ApiName
    label: Label | None = None
    kind: GroupKind = GroupKind.GROUP
    members: list[Member] = []
    description: LongText | None = None


class ObjectRights(_Component):
    """The rights a permission set grants on one object; absent keys are false."""

    read: Flag = False
    create: Flag = False
    edit: Flag = False
    delete: Flag = False
    view_all: Flag = False
    modify_all: Flag = False


class FieldRights(_Component):
    """The rights a permission set grants on one field (`object.field`)."""

    read: Flag = False
    edit: Flag = False


class PermissionSetDef(_Component):
    """Rights granted together; a user's rights are the union of their sets.

    `objects` is keyed by object api name (`*` is every object the set does not name);
    `fields` by `object.field`. A field a set does not name follows the set's rights on its
    object.
    """

    api_name: ApiName
    label: Label | None = None
    description: LongText | None = None
    objects: dict[str, ObjectRights] = {}
    fields: dict[str, FieldRights] = {}
    system: list[SystemRight] = []


class ObjectSharingDef(_Component):
    """An object's organization-wide default access."""

    default_access: DefaultAccess = DefaultAccess.PRIVATE


class RoleShare(_Component):
    """Share with a role, and optionally every role below it."""

    role: ApiName
    include_subordinates: Flag = False


class GroupShare(_Component):
    """Share with a public group or a queue."""

    group: ApiName


class SharingRuleDef(_Component):
    """Records matching `filter` (the one filter language) are shared with a role or group."""

    api_name: ApiName
    label: Label | None = None
    filter: dict[str, Any] = Field(default_factory=dict)
    share_with: RoleShare | GroupShare
    access: ShareAccess = ShareAccess.READ
    description: LongText | None = None


class ChildAccountAccess(StrEnum):
    """What users of a partner account may do with records owned in its child accounts."""

    NONE = "none"
    READ = "read"
    READ_WRITE = "read_write"


class PartnerSettingsDef(_Component):
    """Which object's records are partner accounts, and the lookup to a parent partner.

    `child_accounts` says whether users of an account also see (or edit) the records
    owned by users of the accounts below it (an extension of the contract).
    """

    object: ApiName
    parent_field: ApiName | None = None
    child_accounts: ChildAccountAccess = ChildAccountAccess.NONE


class ManualShareDef(_Component):
    """A manual share of one record: with a user (id or e-mail), a group, a role (and,
    optionally, its subordinates) or a partner account (its record id)."""

    user: Annotated[str, StringConstraints(min_length=1, max_length=320)] | None = None
    group: ApiName | None = None
    role: ApiName | None = None
    include_subordinates: Flag = False
    partner_account: UUID | None = None
    access: ShareAccess = ShareAccess.READ


class ComponentState(BaseModel):
    """A stored component of one of the access kinds (and later kinds): id, kind, owner object.

    `definition` is the component's JSON shape; `api_name` names it within its kind (and
    object, for per-object kinds).
    """

    model_config = ConfigDict(frozen=True)

    id: UUID
    kind: ComponentKind
    api_name: str
    object_id: UUID | None = None
    definition: dict[str, Any]


#: The model of each component kind.
COMPONENT_MODELS: dict[ComponentKind, type[BaseModel]] = {
    ComponentKind.ROLE: RoleDef,
    ComponentKind.GROUP: GroupDef,
    ComponentKind.PERMISSION_SET: PermissionSetDef,
    ComponentKind.OBJECT_SHARING: ObjectSharingDef,
    ComponentKind.SHARING_RULE: SharingRuleDef,
    ComponentKind.PARTNER_SETTINGS: PartnerSettingsDef,
}

#: The permission set every tenant starts with: every right on every object and system.
ADMINISTRATOR_SET = "administrator"


def administrator_set() -> PermissionSetDef:
    """The definition of the tenant's first permission set."""
    return PermissionSetDef(
        api_name=ADMINISTRATOR_SET,
        label="Administrator",
        description="Every right on every object, and every system right.",
        objects={
            ALL_OBJECTS: ObjectRights(
                read=True, create=True, edit=True, delete=True, view_all=True, modify_all=True
            )
        },
        system=list(SystemRight),
    )
