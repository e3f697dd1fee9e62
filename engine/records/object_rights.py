"""The object and field rights every data entry point checks before it reads or writes.

Every read and write of the data API names the object it works on through
`caller_object`, with the object right it needs: an object the caller may not read is
not there for them (404, as if it did not exist), one they may read but not change is a
403. A field they may not read is not there for them either (`known_field`): a body
naming it is answered by the save pipeline exactly as one naming a field that does not
exist. Bodies are checked field by field before anything is resolved or written
(`refuse_unwritable`): a field the caller may read but not write, a lookup into an
object they may not read, or a lookup matched on a field they see masked is a 403
naming every one. Records are rendered through the same view (`CallerObject.render`),
so an unreadable field never leaves and a masked one leaves masked
(docs/permissions.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import RowMapping

from engine.access import CallerAccess, access_of, known_field
from engine.catalog import (
    READ_ONLY_SYSTEM_KEYS,
    WRITABLE_SYSTEM_KEYS,
    Catalog,
    CompiledObject,
    ValueProblem,
    coerce_record_id,
    tenant_catalog,
)
from engine.catalog.record_output import render_record
from engine.context import RequestContext
from engine.errors import PermissionDenied, Problem, summarize, unknown_object
from engine.query import ObjectAccess
from metadata.models import REFERENCE_TYPES, ObjectRight

#: Problems one refusal lists at most (a bulk body may name a field 10,000 times).
MAX_LISTED = 100


@dataclass(frozen=True)
class CallerObject:
    """An object as one caller may use it.

    Attributes:
        catalog: the tenant's catalog.
        obj: the object.
        fields: the caller's access to every object (for joins and expands).
        access: the caller's access to `obj`.
    """

    catalog: Catalog
    obj: CompiledObject
    fields: CallerAccess
    access: ObjectAccess

    def render(self, row: RowMapping) -> dict[str, Any]:
        """A stored row as this caller sees it: readable fields only, personal data masked."""
        return render_record(
            self.obj,
            row,
            fields=self.access.readable_fields(self.obj),
            masks=self.access.masks,
        )


def caller_object(context: RequestContext, object_name: str, right: ObjectRight) -> CallerObject:
    """Return the object `object_name` if the caller holds `right` on it.

    Raises:
        NotFound: no such object, or one whose records the caller may not read (404).
        PermissionDenied: the caller may read its records but not `right` them (403).
    """
    catalog = tenant_catalog(context)
    fields = access_of(catalog, context.caller)
    obj = catalog.objects.get(object_name)
    access = fields.on(obj) if obj is not None else None
    if obj is None or access is None or not access.is_readable:
        readable = [name for name, other in catalog.objects.items() if fields.on(other).is_readable]
        raise unknown_object(object_name, readable)
    if not access.can(right):
        raise PermissionDenied(
            f"you may not {right.value} records of {object_name!r}: none of your permission "
            "sets grants it; ask an administrator",
            extra={"object": object_name, "right": right.value},
        )
    return CallerObject(catalog=catalog, obj=obj, fields=fields, access=access)


def refuse_unwritable(
    target: CallerObject, bodies: Sequence[Any], *, pointers: Sequence[str] | None = None
) -> None:
    """Refuse bodies that write what the caller may not: one 403 names every such key.

    A key is refused when it is a field the caller may read but not write, a lookup into
    an object whose records they may not read, or a lookup matched on a field of the
    target they see masked (`account.phone`, or a name given for `account` when the
    target's name field is masked): a match would tell its value. A field they may not
    read, on the object or the target, is left to the save pipeline, which answers it
    as one that does not exist (`known_field`).

    Raises:
        PermissionDenied: some key is refused (403).
    """
    problems: list[Problem] = []
    for index, body in enumerate(bodies):
        if not isinstance(body, Mapping):
            continue
        pointer = pointers[index] if pointers is not None else f"/{index}"
        for key, value in body.items():
            problem = _key_problem(target, str(key), value, pointer=f"{pointer}/{key}")
            if problem is not None:
                problems.append(problem)
                if len(problems) >= MAX_LISTED:
                    break
    if problems:
        raise PermissionDenied(summarize(problems), problems=problems)


def _key_problem(target: CallerObject, key: str, value: Any, *, pointer: str) -> Problem | None:
    obj, access = target.obj, target.access
    if key in WRITABLE_SYSTEM_KEYS or key in READ_ONLY_SYSTEM_KEYS:
        return None  # the owner follows the object's rights; the others are refused as such
    head, dot, tail = key.partition(".")
    compiled = known_field(obj, access, head)
    if compiled is None:
        return None  # unknown to the caller, hidden or not: the save reports it
    where = obj.state.api_name
    if not access.can_edit(head):
        return Problem(
            pointer, "field-not-editable", f"you may not write field {head!r} of {where!r}"
        )
    definition = compiled.state.definition
    if definition.type not in REFERENCE_TYPES:
        return None
    lookup_target = target.catalog.objects[definition.target or ""]
    target_access = target.fields.on(lookup_target)
    name = lookup_target.state.api_name
    if not target_access.is_readable:
        return Problem(
            pointer,
            "object-not-readable",
            f"{head!r} points at {name!r}, whose records you may not read",
        )
    matched = tail if dot else _matched_by_name(lookup_target, value)
    if matched is None or known_field(lookup_target, target_access, matched) is None:
        return None  # an id, or a field unknown to the caller: the save reports it
    if not target_access.can_query(matched):
        return Problem(
            pointer,
            "field-masked",
            f"{key!r} matches {name!r} records on field {matched!r}, which holds personal "
            "data shown to you masked; give the record's id",
        )
    return None


def _matched_by_name(target: CompiledObject, value: Any) -> str | None:
    """The field a plain lookup value is matched on: None for an id, else the name field."""
    if not isinstance(value, str):
        return None
    try:
        coerce_record_id(value)
    except ValueProblem:
        return target.name_field
    return None
