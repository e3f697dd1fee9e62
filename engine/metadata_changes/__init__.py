"""Metadata changes: validate, plan and apply changes to objects and fields."""

from engine.metadata_changes.entry_points import (
    add_field,
    create_object,
    delete_field,
    delete_object,
    export_metadata,
    get_field,
    get_object,
    list_fields,
    list_objects,
    purge_field,
    purge_object,
    restore_field,
    restore_object,
    update_field,
    update_object,
)
from engine.metadata_changes.service import ChangeResult, tenant_catalog

__all__ = [
    "ChangeResult",
    "add_field",
    "create_object",
    "delete_field",
    "delete_object",
    "export_metadata",
    "get_field",
    "get_object",
    "list_fields",
    "list_objects",
    "purge_field",
    "purge_object",
    "restore_field",
    "restore_object",
    "tenant_catalog",
    "update_field",
    "update_object",
]
