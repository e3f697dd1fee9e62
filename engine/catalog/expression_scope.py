"""What an object's expressions may read: its fields' kinds and the paths through lookups."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType

from engine.catalog.column_types import storage_type
from engine.catalog.system_columns import SYSTEM_COLUMN_TABLE
from engine.expressions import MAX_HOPS, Kind, PathError, PathResolver, kind_of_type
from engine.expressions.check import ObjectFields
from engine.suggestions import did_you_mean
from metadata.models import REFERENCE_TYPES, ObjectState, TenantMetadata

#: System columns expressions may read, with their kinds.
SYSTEM_KINDS: Mapping[str, Kind] = MappingProxyType(
    {column.name: column.kind for column in SYSTEM_COLUMN_TABLE}
)


def field_kinds(obj: ObjectState) -> dict[str, Kind]:
    """Return the kind of every live field of `obj`, system columns included."""
    kinds = dict(SYSTEM_KINDS)
    for field in obj.live_fields:
        definition = field.definition
        kinds[field.api_name] = kind_of_type(storage_type(definition.type, definition))
    return kinds


def object_fields(state: TenantMetadata) -> ObjectFields:
    """Return the lookup cross-object functions use: an object's field names, or None."""

    def fields_of(name: str) -> Collection[str] | None:
        obj = state.find_object(name)
        return None if obj is None else field_kinds(obj).keys()

    return fields_of


def path_resolver(state: TenantMetadata, obj: ObjectState) -> PathResolver:
    """Return a resolver of dotted paths starting at `obj` (`account.owner.region`)."""

    def resolve(path: tuple[str, ...]) -> Kind:
        return _resolve(state, obj, path)

    return resolve


def _resolve(state: TenantMetadata, obj: ObjectState, path: tuple[str, ...]) -> Kind:
    if len(path) - 1 > MAX_HOPS:
        raise PathError(f"{'.'.join(path)!r} follows more than {MAX_HOPS} lookups")
    current = obj
    for hop in path[:-1]:
        field = current.find_field(hop)
        if field is None or field.definition.type not in REFERENCE_TYPES:
            raise PathError(
                f"{hop!r} in {'.'.join(path)!r} is not a lookup field of {current.api_name!r}"
            )
        target = state.find_object(field.definition.target or "")
        if target is None:
            raise PathError(f"{hop!r} in {'.'.join(path)!r} leads to no live object")
        current = target
    kinds = field_kinds(current)
    leaf = path[-1]
    if leaf not in kinds:
        raise PathError(
            f"{current.api_name!r} has no field {leaf!r}{did_you_mean(leaf, kinds)} "
            f"(in {'.'.join(path)!r})"
        )
    return kinds[leaf]
