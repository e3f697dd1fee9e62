"""Pure transformations of a tenant's metadata state, one per kind of change.

Each returns the new state; none touches the database. Objects, fields and components
live in their own modules; this one gathers them for callers.
"""

from engine.metadata_changes.field_mutations import (
    add_field,
    delete_field,
    purge_field,
    restore_field,
    update_field,
)
from engine.metadata_changes.object_mutations import (
    create_object,
    delete_object,
    purge_object,
    restore_object,
    update_object,
)
from engine.metadata_changes.state_edits import (
    raise_if,
    replace_field,
    replace_object,
    require_field,
    require_object,
)

__all__ = [
    "add_field",
    "create_object",
    "delete_field",
    "delete_object",
    "purge_field",
    "purge_object",
    "raise_if",
    "replace_field",
    "replace_object",
    "require_field",
    "require_object",
    "restore_field",
    "restore_object",
    "update_field",
    "update_object",
]
