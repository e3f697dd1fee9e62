"""The search index of an object: which of its columns global search reads, under what name.

An object has a search index while it is live and has live fields marked `searchable`.
The index is derived from metadata alone, so the planner can compare the index of two
metadata states the way it compares columns, and build, drop or rebuild it in the change's
transaction (`engine/schema_sync`). Each database keeps the index current by itself on
every write (`postgresql.py`, `sqlite.py`), so no write path can forget it.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from metadata.models import FieldState, ObjectState, TenantMetadata


@dataclass(frozen=True)
class IndexedField:
    """One searchable field: its stable id, its api name and its column."""

    field_id: UUID
    api_name: str
    column_name: str


@dataclass(frozen=True)
class SearchIndex:
    """The search index of one object's table.

    Attributes:
        object_id: the object's stable id; the index's database names derive from it, so
            renames never orphan them.
        object_name: the object's api name (plans describe the index with it).
        schema: the tenant's schema.
        table_name: the object's table.
        fields: the searchable fields, in declaration order.
    """

    object_id: UUID
    object_name: str
    schema: str
    table_name: str
    fields: tuple[IndexedField, ...]

    @property
    def name(self) -> str:
        """The base name of the index's database objects."""
        return f"search_{self.object_id.hex}"

    @property
    def column_names(self) -> tuple[str, ...]:
        """The columns the index reads, in order."""
        return tuple(field.column_name for field in self.fields)

    def describe(self) -> str:
        """`account (name, description)`: the object and the fields the index covers."""
        names = ", ".join(field.api_name for field in self.fields)
        return f"{self.object_name} ({names})"


def is_same_index(before: SearchIndex, after: SearchIndex, *, dialect: str) -> bool:
    """Whether the index `before` already is `after` on `dialect`, so it can stay.

    PostgreSQL's expression indexes name columns by position: a renamed table or column
    keeps them right. SQLite's FTS5 table names its content table and columns, so a
    rename needs a new one.
    """
    if before.object_id != after.object_id or before.schema != after.schema:
        return False
    ids = [field.field_id for field in before.fields] == [field.field_id for field in after.fields]
    if dialect == "postgresql":
        return ids
    return (
        ids and before.table_name == after.table_name and before.column_names == after.column_names
    )


def searchable_fields(obj: ObjectState) -> tuple[FieldState, ...]:
    """The live fields of `obj` marked searchable, in declaration order."""
    return tuple(field for field in obj.live_fields if field.definition.searchable)


def search_index(obj: ObjectState, *, schema: str) -> SearchIndex | None:
    """Return the search index `obj` has, or None (deleted, or no searchable field)."""
    fields = searchable_fields(obj)
    if obj.is_deleted or not fields:
        return None
    return SearchIndex(
        object_id=obj.id,
        object_name=obj.api_name,
        schema=schema,
        table_name=obj.table_name,
        fields=tuple(
            IndexedField(field_id=field.id, api_name=field.api_name, column_name=field.column_name)
            for field in fields
        ),
    )


def search_indexes(state: TenantMetadata) -> dict[UUID, SearchIndex]:
    """Return the search index of every object of `state` that has one, by object id."""
    indexes = {}
    for obj in state.objects:
        index = search_index(obj, schema=state.schema_name)
        if index is not None:
            indexes[obj.id] = index
    return indexes


def has_search_index(state: TenantMetadata) -> bool:
    """Whether any object of `state` has a search index."""
    return any(search_index(obj, schema=state.schema_name) for obj in state.objects)
