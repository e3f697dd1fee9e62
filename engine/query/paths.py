"""Resolve field names and dotted paths (`account.owner.region`) to columns and joins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import FromClause, Table, and_
from sqlalchemy.sql.elements import ColumnElement

from engine.catalog import SYSTEM_COLUMN_TABLE, Catalog, CompiledObject, storage_type
from engine.catalog.file_values import file_name_column
from engine.expressions.lookup_paths import MAX_HOPS
from engine.query.errors import invalid
from engine.query.field_access import (
    FieldAccess,
    ObjectAccess,
    refuse_unqueryable,
    refuse_unreadable_object,
)
from engine.query.scope import QueryScope
from engine.suggestions import did_you_mean
from metadata.models import REFERENCE_TYPES, FieldDef, FieldType

#: System columns usable in filters and sorts, with the field type their values have.
SYSTEM_FIELD_TYPES: dict[str, FieldDef] = {
    column.name: column.definition() for column in SYSTEM_COLUMN_TABLE
}


#: Comparable definitions already made, by the id of the definition they were made from
#: (kept with it, so the id cannot be reused while the entry lives). Definitions are
#: frozen, and every filter value and cursor key would otherwise copy one.
_COMPARABLE: dict[int, tuple[FieldDef, FieldDef]] = {}
_COMPARABLE_LIMIT = 4096


def comparable_definition(definition: FieldDef) -> FieldDef:
    """The definition a filter or cursor value is coerced with.

    Computed fields compare as their stored type; picklists and auto-numbers as text (old
    records may hold inactive values); input limits (length, min, max) do not apply.
    """
    cached = _COMPARABLE.get(id(definition))
    if cached is not None and cached[0] is definition:
        return cached[1]
    field_type = storage_type(definition.type, definition)
    if field_type in (FieldType.PICKLIST, FieldType.AUTO_NUMBER):
        field_type = FieldType.TEXT
    comparable = definition.model_copy(
        update={"type": field_type, "max_length": None, "min": None, "max": None}
    )
    if len(_COMPARABLE) >= _COMPARABLE_LIMIT:
        _COMPARABLE.clear()  # definitions of old revisions go; the live ones come back
    _COMPARABLE[id(definition)] = (definition, comparable)
    return comparable


@dataclass(frozen=True)
class ResolvedPath:
    """A path's column (on the right alias) and the definition its values follow."""

    column: ColumnElement[Any]
    definition: FieldDef
    is_system: bool

    @property
    def read_column(self) -> ColumnElement[Any]:
        """The column as expressions read it: a file field's file name, any other as stored."""
        if self.definition.type is FieldType.FILE:
            return file_name_column(self.column)
        return self.column


@dataclass
class JoinPlan:
    """The LEFT JOINs a query needs for its dotted paths, shared by every clause.

    Every path is resolved here, so every field a query names, at every hop, is checked
    against the caller's `access`, and every join carries the `scope`'s row predicate.
    """

    catalog: Catalog
    base: CompiledObject
    scope: QueryScope
    access: FieldAccess
    root: FromClause
    dialect: str
    joins: dict[tuple[str, ...], tuple[CompiledObject, FromClause, ColumnElement[bool]]] = field(
        default_factory=dict
    )

    def resolve(self, path: str, *, pointer: str) -> ResolvedPath:
        """Return the column of `path`, adding the joins its hops need.

        Raises:
            InvalidQuery: an unknown field, a hop through a non-lookup, or too many hops.
            PermissionDenied: a field the caller may not query (hidden or masked), or a
                hop into an object whose records the caller may not read.
        """
        parts = path.split(".")
        if len(parts) - 1 > MAX_HOPS:
            raise invalid(
                pointer, "path-too-long", f"{path!r} follows more than {MAX_HOPS} lookups"
            )
        obj, table = self.base, self.root
        for depth, part in enumerate(parts[:-1]):
            compiled = obj.fields.get(part)
            # A hidden lookup is answered as one that does not exist: its name stays hidden.
            if (
                compiled is None
                or compiled.state.definition.type not in REFERENCE_TYPES
                or not self.access.on(obj).can_read(part)
            ):
                raise invalid(
                    pointer,
                    "not-a-lookup",
                    f"{part!r} in {path!r} is not a lookup field of {obj.state.api_name!r}",
                )
            refuse_unqueryable(obj, self.access.on(obj), part, path=path, pointer=pointer)
            target = self.catalog.objects[compiled.state.definition.target or ""]
            if not self.access.on(target).is_readable:
                refuse_unreadable_object(target, path=path, pointer=pointer)
            obj, table = self._join(
                tuple(parts[: depth + 1]),
                compiled.state.definition,
                table.c[compiled.state.column_name],
            )
        access = self.access.on(obj)
        leaf = _leaf(obj, table, parts[-1], path=path, pointer=pointer, known=access)
        refuse_unqueryable(obj, access, parts[-1], path=path, pointer=pointer)
        return leaf

    def _join(
        self, key: tuple[str, ...], definition: FieldDef, local: ColumnElement[Any]
    ) -> tuple[CompiledObject, FromClause]:
        if key not in self.joins:
            target = self.catalog.objects[definition.target or ""]
            alias: FromClause = target.table.alias(f"j{len(self.joins) + 1}")
            condition = local == alias.c.id
            visible = self.scope.predicate(target, alias)
            if visible is not None:
                condition = and_(condition, visible)
            self.joins[key] = (target, alias, condition)
        target, alias, _ = self.joins[key]
        return target, alias

    def apply(self, base: FromClause) -> FromClause:
        """Return `base` with every join added, in the order they were first needed."""
        joined = base
        for _, alias, condition in self.joins.values():
            joined = joined.outerjoin(alias, condition)
        return joined


def _leaf(
    obj: CompiledObject,
    table: FromClause | Table,
    name: str,
    *,
    path: str,
    pointer: str,
    known: ObjectAccess,
) -> ResolvedPath:
    if name in SYSTEM_FIELD_TYPES:
        return ResolvedPath(
            column=table.c[name], definition=SYSTEM_FIELD_TYPES[name], is_system=True
        )
    compiled = obj.fields.get(name)
    if compiled is None or not known.can_read(name):
        # A hidden field is answered exactly as an unknown one, and only the fields the
        # caller may read are named as the ones they could have meant.
        readable = known.readable_fields(obj)
        listed = ", ".join(sorted(readable)) or "no fields"
        hint = did_you_mean(name, [*readable, *SYSTEM_FIELD_TYPES])
        raise invalid(
            pointer,
            "unknown-field",
            f"{obj.state.api_name!r} has no field {name!r}{hint} (in {path!r}; fields: {listed})",
        )
    return ResolvedPath(
        column=table.c[compiled.state.column_name],
        definition=compiled.state.definition,
        is_system=False,
    )
