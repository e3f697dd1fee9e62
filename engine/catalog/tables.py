"""Build the SQLAlchemy `Table` of an object exactly as it exists in the database."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Column, ForeignKey, Index, MetaData, Table

from engine.catalog.column_types import column_type
from engine.catalog.system_columns import system_columns
from metadata.models import (
    REFERENCE_TYPES,
    FieldState,
    FieldType,
    ObjectState,
    OnDelete,
    TenantMetadata,
)

_ON_DELETE_SQL = {
    OnDelete.RESTRICT: "RESTRICT",
    OnDelete.SET_NULL: "SET NULL",
    OnDelete.CASCADE: "CASCADE",
}


def index_name(field_id: UUID) -> str:
    """Name of a field's plain index: derived from its stable id, so renames keep it."""
    return f"ix_{field_id.hex}"


def unique_index_name(field_id: UUID) -> str:
    """Name of a field's unique index."""
    return f"uq_{field_id.hex}"


def foreign_key_name(field_id: UUID) -> str:
    """Name of a lookup field's foreign key."""
    return f"fk_{field_id.hex}"


def deleted_name(api_name: str, component_id: UUID) -> str:
    """Name a deleted table or column keeps until purged; it never clashes with an api name.

    The suffix comes from the random end of the UUIDv7 (its start is a timestamp, shared
    by components created in the same minute).
    """
    return f"_deleted_{api_name[:40]}_{component_id.hex[-12:]}"


def is_foreign_key(field: FieldState) -> bool:
    """Whether the field's column carries a foreign key (live lookups only)."""
    return field.definition.type in REFERENCE_TYPES and not field.is_deleted


def is_not_null(field: FieldState) -> bool:
    """Whether the column is NOT NULL (required live fields; computed ones stay nullable)."""
    definition = field.definition
    if field.is_deleted or not definition.required:
        return False
    return definition.type not in (FieldType.FORMULA, FieldType.ROLLUP_SUMMARY)


def has_unique_index(field: FieldState) -> bool:
    """Whether the column has a unique index."""
    return field.definition.unique and not field.is_deleted


def has_plain_index(field: FieldState) -> bool:
    """Whether the column has a plain index (lookups are indexed for joins and cascades)."""
    if field.is_deleted or field.definition.unique:
        return False
    return field.definition.indexed or field.definition.type in REFERENCE_TYPES


def on_delete_sql(field: FieldState) -> str:
    """The ON DELETE action of a lookup field's foreign key."""
    definition = field.definition
    if definition.type is FieldType.MASTER_DETAIL:
        return "CASCADE"
    return _ON_DELETE_SQL[definition.on_delete or OnDelete.SET_NULL]


def field_column(field: FieldState, *, state: TenantMetadata) -> Column[object]:
    """Return the column of a field, with its foreign key if it is a live lookup."""
    definition = field.definition
    foreign_keys: list[ForeignKey] = []
    if is_foreign_key(field):
        target = state.find_object(definition.target or "", include_deleted=True)
        if target is not None:
            foreign_keys.append(
                ForeignKey(
                    f"{state.schema_name}.{target.table_name}.id",
                    name=foreign_key_name(field.id),
                    ondelete=on_delete_sql(field),
                )
            )
    return Column(
        field.column_name, column_type(definition), *foreign_keys, nullable=not is_not_null(field)
    )


def field_index_name(field: FieldState) -> str | None:
    """Return the name of the index a field asks for, if any."""
    if has_unique_index(field):
        return unique_index_name(field.id)
    if has_plain_index(field):
        return index_name(field.id)
    return None


def field_indexes(field: FieldState, table: Table) -> list[Index]:
    """Create the indexes a field asks for, bound to `table`."""
    name = field_index_name(field)
    if name is None:
        return []
    return [Index(name, table.c[field.column_name], unique=has_unique_index(field))]


def build_table(obj: ObjectState, *, state: TenantMetadata, metadata: MetaData) -> Table:
    """Return the physical table of `obj`: system columns, then every field (deleted too)."""
    existing = metadata.tables.get(f"{state.schema_name}.{obj.table_name}")
    if existing is not None:
        return existing
    table = Table(
        obj.table_name,
        metadata,
        *system_columns(),
        *(field_column(field, state=state) for field in obj.fields),
        schema=state.schema_name,
    )
    for field in obj.fields:
        field_indexes(field, table)
    return table


def build_tables(state: TenantMetadata) -> tuple[MetaData, dict[UUID, Table]]:
    """Return one `MetaData` holding every object table of a tenant, keyed by object id."""
    metadata = MetaData()
    tables = {obj.id: build_table(obj, state=state, metadata=metadata) for obj in state.objects}
    return metadata, tables
