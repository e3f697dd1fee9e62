"""A caller's effective rights: the union of their permission sets (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine.catalog import Catalog
from engine.context import Caller
from metadata.models import (
    ALL_OBJECTS,
    ComponentKind,
    ObjectRight,
    ObjectRights,
    PermissionSetDef,
    SystemRight,
    TenantMetadata,
)


def _granted(rights: ObjectRights) -> frozenset[ObjectRight]:
    granted = {right for right in ObjectRight if getattr(rights, right.value)}
    # view_all implies read, modify_all implies every right: a set that says the larger
    # right means the smaller ones too.
    if ObjectRight.MODIFY_ALL in granted:
        granted |= set(ObjectRight)
    if ObjectRight.VIEW_ALL in granted:
        granted.add(ObjectRight.READ)
    if granted & {ObjectRight.EDIT, ObjectRight.DELETE, ObjectRight.CREATE}:
        granted.add(ObjectRight.READ)
    if ObjectRight.DELETE in granted:
        granted.add(ObjectRight.EDIT)
    return frozenset(granted)


@dataclass(frozen=True)
class Rights:
    """What a caller may do, from the permission sets they hold.

    Within one set, an object the set names has exactly the rights its entry says (the `*`
    entry covers only the objects the set does not name); a field a set does not name
    follows that set's rights on the field's object (read follows read, edit follows
    edit); a field a set names has exactly the rights it says. The union over sets decides.
    """

    sets: tuple[PermissionSetDef, ...]

    @classmethod
    def of(cls, names: Iterable[str], sets: Mapping[str, PermissionSetDef]) -> Rights:
        """The rights of the sets named `names` (names with no set grant nothing)."""
        return cls(tuple(sets[name] for name in dict.fromkeys(names) if name in sets))

    @property
    def system(self) -> frozenset[SystemRight]:
        """The system rights any set grants."""
        return frozenset(right for s in self.sets for right in s.system)

    def has_system(self, right: SystemRight) -> bool:
        """Whether any set grants the system right."""
        return right in self.system

    def _object_rights(self, permission_set: PermissionSetDef, obj: str) -> frozenset[ObjectRight]:
        # An entry naming the object replaces the set's `*` entry for it, as a named field
        # replaces its object's rights: `"payroll": {"read": false}` beside an all-granting
        # `*` takes payroll away within this set (other sets may still grant it).
        rights = permission_set.objects.get(obj, permission_set.objects.get(ALL_OBJECTS))
        return frozenset() if rights is None else _granted(rights)

    def on_object(self, obj: str) -> frozenset[ObjectRight]:
        """The rights on object `obj` that any set grants."""
        granted: frozenset[ObjectRight] = frozenset()
        for permission_set in self.sets:
            granted |= self._object_rights(permission_set, obj)
        return granted

    def can(self, obj: str, right: ObjectRight) -> bool:
        """Whether any set grants `right` on `obj`."""
        return right in self.on_object(obj)

    def can_read_field(self, obj: str, field: str) -> bool:
        """Whether the caller may read `obj.field`."""
        return any(self._field(s, obj, field)[0] for s in self.sets)

    def can_edit_field(self, obj: str, field: str) -> bool:
        """Whether the caller may write `obj.field` (on records they may edit)."""
        return any(self._field(s, obj, field)[1] for s in self.sets)

    def _field(self, permission_set: PermissionSetDef, obj: str, field: str) -> tuple[bool, bool]:
        on_object = self._object_rights(permission_set, obj)
        if ObjectRight.READ not in on_object:
            return False, False
        named = permission_set.fields.get(f"{obj}.{field}")
        if named is None:
            return True, bool(on_object & {ObjectRight.EDIT, ObjectRight.CREATE})
        return named.read or named.edit, named.edit


def permission_sets(state: TenantMetadata) -> dict[str, PermissionSetDef]:
    """The tenant's permission sets by api name (pure)."""
    return {
        component.api_name: PermissionSetDef.model_validate(component.definition)
        for component in state.components_of(ComponentKind.PERMISSION_SET)
    }


def rights_of(catalog: Catalog, caller: Caller) -> Rights:
    """The caller's rights at the catalog's revision (kept with the catalog per set list)."""
    return catalog.statements.get_or_build(
        ("rights", caller.permission_sets),
        lambda: Rights.of(caller.permission_sets, permission_sets(catalog.metadata_state)),
    )
