"""The compiled catalog: a tenant's metadata turned into SQLAlchemy tables, cached by revision."""

from engine.catalog.cache import CatalogCache
from engine.catalog.column_types import (
    ExactDecimal,
    column_type,
    decimal_shape,
    storage_type,
)
from engine.catalog.compile import Catalog, CompiledField, CompiledObject, compile_catalog
from engine.catalog.freshness import hold_catalog_revision
from engine.catalog.literals import python_value
from engine.catalog.picklist_labels import LABELS_KEY, PicklistLabels
from engine.catalog.renderers import Renderer, render_stored, value_renderer
from engine.catalog.system_columns import (
    READ_ONLY_SYSTEM_KEYS,
    SYSTEM_COLUMN_TABLE,
    SYSTEM_COLUMNS,
    SYSTEM_COLUMNS_BY_NAME,
    SYSTEM_KEYS,
    WRITABLE_SYSTEM_KEYS,
    SystemColumn,
    WrittenBy,
    creation_stamp,
    update_stamp,
)
from engine.catalog.tables import (
    build_table,
    build_tables,
    deleted_name,
    field_index_name,
    field_indexes,
    foreign_key_name,
    has_plain_index,
    has_unique_index,
    index_name,
    is_foreign_key,
    is_not_null,
    on_delete_sql,
    unique_index_name,
)
from engine.catalog.tenant_catalogs import tenant_catalog
from engine.catalog.values import (
    Coercer,
    ValueProblem,
    coerce_record_id,
    coerce_value,
    value_coercer,
)

__all__ = [
    "LABELS_KEY",
    "READ_ONLY_SYSTEM_KEYS",
    "SYSTEM_COLUMNS",
    "SYSTEM_COLUMNS_BY_NAME",
    "SYSTEM_COLUMN_TABLE",
    "SYSTEM_KEYS",
    "WRITABLE_SYSTEM_KEYS",
    "Catalog",
    "CatalogCache",
    "Coercer",
    "CompiledField",
    "CompiledObject",
    "ExactDecimal",
    "PicklistLabels",
    "Renderer",
    "SystemColumn",
    "ValueProblem",
    "WrittenBy",
    "build_table",
    "build_tables",
    "coerce_record_id",
    "coerce_value",
    "column_type",
    "compile_catalog",
    "creation_stamp",
    "decimal_shape",
    "deleted_name",
    "field_index_name",
    "field_indexes",
    "foreign_key_name",
    "has_plain_index",
    "has_unique_index",
    "hold_catalog_revision",
    "index_name",
    "is_foreign_key",
    "is_not_null",
    "on_delete_sql",
    "python_value",
    "render_stored",
    "storage_type",
    "tenant_catalog",
    "unique_index_name",
    "update_stamp",
    "value_coercer",
    "value_renderer",
]
