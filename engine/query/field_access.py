"""Field access: which objects and fields a caller may read, query and write (pure).

The column half of what a caller may see, beside the row half (`scope.py`): a query
names the objects and fields it reads (`fields=`, filters, sorts, group-bys, metrics,
dotted paths, expands), and each is checked against the caller's `ObjectAccess` where the
query resolves it, so nothing a caller may not read can be read, counted or inferred.
Writes, schemas and the OpenAPI document ask the same view (docs/permissions.md).

Like a scope, an access is always passed: code that reads every field says so with
`AllFields()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from engine.catalog import CompiledObject
from engine.errors import PermissionDenied, Problem
from engine.query.errors import InvalidQuery
from metadata.models import ObjectRight

#: Turns a readable value into what a caller without `view_pii` sees (`138****5678`).
Mask = Callable[[Any], Any]


@dataclass(frozen=True)
class ObjectAccess:
    """What one caller may do with one object's records and fields.

    Attributes:
        rights: the object rights the caller holds (`read` among them to see anything).
        hidden: fields the caller may not read: absent from records, schemas and queries.
        read_only: readable fields the caller may not write.
        masks: readable fields shown masked (personal data without `view_pii`), with the
            mask of each: never filtered, sorted, grouped or aggregated on, never exported.

    System keys (`id`, `owner_id`, …) follow the object: readable when it is.
    """

    rights: frozenset[ObjectRight]
    hidden: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()
    masks: Mapping[str, Mask] = field(default_factory=lambda: MappingProxyType({}))

    def can(self, right: ObjectRight) -> bool:
        """Whether the caller holds `right` on the object."""
        return right in self.rights

    @property
    def is_readable(self) -> bool:
        """Whether the caller may read the object's records at all."""
        return ObjectRight.READ in self.rights

    def can_read(self, name: str) -> bool:
        """Whether the caller may read field (or system key) `name`."""
        return self.is_readable and name not in self.hidden

    def can_edit(self, name: str) -> bool:
        """Whether the caller may write field `name` (on records they may create or edit)."""
        return self.can_read(name) and name not in self.read_only

    def can_query(self, name: str) -> bool:
        """Whether the caller may filter, sort, group or aggregate on `name`.

        A masked field may be read as its mask, but a filter on it would tell its value.
        """
        return self.can_read(name) and name not in self.masks

    def readable_fields(self, obj: CompiledObject) -> list[str]:
        """The object's fields the caller may read, in declaration order."""
        if not self.hidden:
            return list(obj.fields)
        return [name for name in obj.fields if name not in self.hidden]


#: Everything on every object: the access of the engine's own reads and of system writes.
FULL_ACCESS = ObjectAccess(rights=frozenset(ObjectRight))
#: Nothing at all: an object the caller may not read.
NO_ACCESS = ObjectAccess(rights=frozenset())


class FieldAccess(Protocol):
    """Decides what the caller may do with each object and its fields."""

    def on(self, obj: CompiledObject) -> ObjectAccess:
        """Return the caller's access to `obj`."""
        ...


class AllFields:
    """Every object and field, named where it is meant (roll-ups, formulas, the cascade)."""

    def on(self, obj: CompiledObject) -> ObjectAccess:
        """Everything is allowed."""
        return FULL_ACCESS


def refuse_unqueryable(
    obj: CompiledObject, access: ObjectAccess, name: str, *, path: str, pointer: str
) -> None:
    """Refuse a query naming a field (or system key) the caller may not filter on.

    Raises:
        InvalidQuery: the field is hidden from the caller: answered as an unknown field
            (422), so that a hidden field's name cannot be confirmed.
        PermissionDenied: the field is shown masked (403).
    """
    if access.can_query(name):
        return
    where = obj.state.api_name
    if not access.can_read(name):
        message = f"{where!r} has no field {name!r}"
        if path != name:
            message += f" (in {path!r})"
        raise InvalidQuery(message, problems=[Problem(pointer, "unknown-field", message)])
    message = (
        f"field {name!r} of {where!r} holds personal data shown to you masked; "
        "filtering, sorting or grouping on it needs the view_pii right"
    )
    if path != name:
        message += f" (in {path!r})"
    raise PermissionDenied(message, problems=[Problem(pointer, "field-masked", message)])


def refuse_unreadable_object(obj: CompiledObject, *, path: str, pointer: str) -> None:
    """Refuse a dotted path or lookup key into an object the caller may not read.

    Raises:
        PermissionDenied: always (403).
    """
    message = f"{path!r} leads to {obj.state.api_name!r}, whose records you may not read"
    raise PermissionDenied(message, problems=[Problem(pointer, "object-not-readable", message)])
