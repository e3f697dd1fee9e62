"""Make implicit options explicit, so stored metadata and exports say what the table has."""

from __future__ import annotations

from engine.catalog import storage_type
from metadata.models import (
    DECIMAL_TYPES,
    DEFAULT_DECIMAL,
    DEFAULT_MAX_LENGTH,
    FieldDef,
    FieldType,
    OnDelete,
    RollupFunction,
    TenantMetadata,
)


def normalize_field(definition: FieldDef) -> FieldDef:
    """Return `definition` with its sizes, delete rule and label spelled out."""
    updates: dict[str, object] = {}
    field_type = definition.type
    if definition.label is None:
        updates["label"] = default_label(definition.api_name)
    if field_type in DEFAULT_MAX_LENGTH and definition.max_length is None:
        updates["max_length"] = DEFAULT_MAX_LENGTH[field_type]
    return_type = definition.return_type
    if field_type is FieldType.ROLLUP_SUMMARY and return_type is None:
        # Spell out what the roll-up is stored as (min/max of dates got theirs already).
        rollup = definition.rollup
        is_count = rollup is not None and rollup.function is RollupFunction.COUNT
        return_type = FieldType.INTEGER if is_count else FieldType.DECIMAL
        updates["return_type"] = return_type
    is_computed = field_type in (FieldType.FORMULA, FieldType.ROLLUP_SUMMARY)
    decimal_type = return_type if is_computed else field_type
    if decimal_type in DECIMAL_TYPES:
        precision, scale = DEFAULT_DECIMAL[decimal_type]
        if definition.precision is None:
            updates["precision"] = precision
        if definition.scale is None:
            updates["scale"] = scale
    if field_type is FieldType.LOOKUP and definition.on_delete is None:
        # A required lookup cannot be emptied, so its implicit rule keeps the parent instead.
        updates["on_delete"] = OnDelete.RESTRICT if definition.required else OnDelete.SET_NULL
    if field_type is FieldType.MASTER_DETAIL:
        # An explicit rule other than cascade is kept, so the checks can refuse it.
        if definition.on_delete is None:
            updates["on_delete"] = OnDelete.CASCADE
        updates["required"] = True
    if field_type is FieldType.AUTO_NUMBER:
        updates["unique"] = True
    return definition.model_copy(update=updates) if updates else definition


def default_label(api_name: str) -> str:
    """Return a readable label for an api name: `close_date` → `Close date`."""
    words = api_name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def default_plural(label: str) -> str:
    """Return a plural label for a label (English rules; implementers override it)."""
    if label.endswith("y") and not label.endswith(("ay", "ey", "oy", "uy")):
        return label[:-1] + "ies"
    if label.endswith(("s", "x", "ch", "sh")):
        return label + "es"
    return label + "s"


def with_rollup_type(definition: FieldDef, state: TenantMetadata) -> FieldDef:
    """Give the minimum or maximum of a date (or date-time) that type when none is declared.

    Without a return type a roll-up is stored as a number, which a date is not.
    """
    rollup = definition.rollup
    if (
        definition.type is not FieldType.ROLLUP_SUMMARY
        or rollup is None
        or definition.return_type is not None
        or rollup.function not in (RollupFunction.MIN, RollupFunction.MAX)
        or not rollup.field
    ):
        return definition
    child = state.find_object(rollup.child)
    source = child.find_field(rollup.field) if child else None
    if source is None:
        return definition
    stored = storage_type(source.definition.type, source.definition)
    if stored not in (FieldType.DATE, FieldType.DATETIME):
        return definition
    return definition.model_copy(update={"return_type": stored})
