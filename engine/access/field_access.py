"""The caller's field access: one view per object of what they may read, write and see masked.

Built from the caller's rights (the union of their permission sets) once per catalog
revision and set of permission sets, and kept with the catalog: every read, write,
schema and OpenAPI document of a request asks the same memoized view, so they cannot
disagree (docs/permissions.md).

A field the caller may not read does not exist for them: every path that takes a field
name from the caller (a record body, a lookup key, an import column, `upsert_on`, a file
route) asks `known_field`, answers a hidden field exactly as one that does not exist, and
draws its hints ("did you mean …") from `known_fields` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from engine.access.masking import mask_value
from engine.access.rights import Rights, rights_of
from engine.catalog import Catalog, CompiledField, CompiledObject, tenant_catalog
from engine.context import Caller, RequestContext
from engine.query import Mask, ObjectAccess
from metadata.models import ObjectRight, SystemRight


def object_access(rights: Rights, obj: CompiledObject) -> ObjectAccess:
    """What `rights` allow on `obj` and its fields (pure).

    A field a set does not name follows that set's rights on the object; personal data
    (`pii: true`) is masked unless a set grants `view_pii`.
    """
    name = obj.state.api_name
    granted = rights.on_object(name)
    if ObjectRight.READ not in granted:
        return ObjectAccess(rights=granted, hidden=frozenset(obj.fields))
    hidden = frozenset(field for field in obj.fields if not rights.can_read_field(name, field))
    read_only = frozenset(
        field
        for field in obj.fields
        if field not in hidden and not rights.can_edit_field(name, field)
    )
    masks: dict[str, Mask] = {}
    if not rights.has_system(SystemRight.VIEW_PII):
        for field, compiled in obj.fields.items():
            definition = compiled.state.definition
            if definition.pii and field not in hidden:
                masks[field] = partial(mask_value, definition.type)
    return ObjectAccess(
        rights=granted, hidden=hidden, read_only=read_only, masks=MappingProxyType(masks)
    )


@dataclass(frozen=True)
class CallerAccess:
    """A caller's access to every object of one catalog (a `FieldAccess`).

    Attributes:
        catalog: the tenant's catalog the views are built for, and kept with.
        rights: the caller's rights at that catalog's revision.
        key: the caller's permission sets, sorted: callers holding the same sets share
            the views.
    """

    catalog: Catalog
    rights: Rights
    key: tuple[str, ...]

    def on(self, obj: CompiledObject) -> ObjectAccess:
        """The caller's access to `obj`, built once per revision and set of permission sets."""
        return self.catalog.statements.get_or_build(
            ("object-access", self.key, obj.state.api_name),
            lambda: object_access(self.rights, obj),
        )

    def has_system(self, right: SystemRight) -> bool:
        """Whether the caller holds the system right `right`."""
        return self.rights.has_system(right)


def access_of(catalog: Catalog, caller: Caller) -> CallerAccess:
    """The caller's access to the objects of `catalog`."""
    return CallerAccess(
        catalog=catalog,
        rights=rights_of(catalog, caller),
        key=tuple(sorted(set(caller.permission_sets))),
    )


def caller_access(context: RequestContext) -> CallerAccess:
    """The access of the request's caller at the tenant's current revision."""
    return access_of(tenant_catalog(context), context.caller)


def known_field(obj: CompiledObject, access: ObjectAccess, name: str) -> CompiledField | None:
    """Return field `name` of `obj` if it exists for the caller whose `access` this is.

    None for a field `obj` does not have and for one the caller may not read alike: the
    two are answered the same way, so that a hidden field's name cannot be confirmed.
    """
    return obj.fields.get(name) if access.can_read(name) else None


def known_fields(obj: CompiledObject, access: ObjectAccess) -> list[str]:
    """The fields of `obj` that exist for the caller: the only ones a hint may name."""
    return access.readable_fields(obj)
