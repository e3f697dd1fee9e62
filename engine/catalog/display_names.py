"""Which field names a record where a person reads a list of records (search results).

An object has no declared name field: the field called `name` is it when it holds text;
else the first text field; else the first auto-number (an invoice is known by its
number). An object with none of them shows its records by id only.
"""

from __future__ import annotations

from metadata.models import SEARCHABLE_TYPES, FieldState, FieldType, ObjectState


def name_field(obj: ObjectState) -> FieldState | None:
    """Return the live field whose value names a record of `obj`, or None."""
    fields = obj.live_fields
    named = obj.find_field("name")
    if named is not None and named.definition.type in SEARCHABLE_TYPES:
        return named
    for field_type in (FieldType.TEXT, FieldType.AUTO_NUMBER):
        found = next((field for field in fields if field.definition.type is field_type), None)
        if found is not None:
            return found
    return None
