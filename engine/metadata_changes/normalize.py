"""Make implicit options explicit, so stored metadata and exports say what the table has."""

from __future__ import annotations

from engine.catalog import decimal_shape, storage_type
from metadata.models import (
    DECIMAL_TYPES,
    DEFAULT_DECIMAL,
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MAX_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_PRECISION,
    REFERENCE_TYPES,
    FieldDef,
    FieldType,
    OnDelete,
    RollupFunction,
    TenantMetadata,
)


def normalize_field(definition: FieldDef) -> FieldDef:
    """Return `definition` with its sizes, delete rule, label and a lookup's index spelled out."""
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
    if field_type in REFERENCE_TYPES and "indexed" not in definition.model_fields_set:
        # Every lookup gets an index (joins and delete rules read by it): say so. An
        # explicit `indexed: false` is left for the checks to refuse.
        updates["indexed"] = True
    if field_type is FieldType.AUTO_NUMBER:
        updates["unique"] = True
    if field_type is FieldType.FILE:
        if definition.max_size is None:
            updates["max_size"] = DEFAULT_MAX_FILE_SIZE
        if definition.accept is not None:
            # Content types are case-insensitive; stored as they are compared.
            updates["accept"] = [entry.strip().lower() for entry in definition.accept]
    return definition.model_copy(update=updates) if updates else definition


def default_label(api_name: str) -> str:
    """Return a readable label for an api name: `close_date` → `Close date`."""
    words = api_name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def default_plural(label: str) -> str:
    """Return a plural label for a label (English rules; implementers override it).

    A plural that would not fit a label's length is the label itself.
    """
    if label.endswith("y") and not label.endswith(("ay", "ey", "oy", "uy")):
        plural = label[:-1] + "ies"
    elif label.endswith(("s", "x", "ch", "sh")):
        plural = label + "es"
    else:
        plural = label + "s"
    return plural if len(plural) <= MAX_LABEL_LENGTH else label


def with_rollup_type(definition: FieldDef, state: TenantMetadata) -> FieldDef:
    """Give a roll-up without a declared return type the type that holds what it computes.

    - the minimum or maximum of a field is stored like that field (a date, an integer,
      a decimal of the same precision and scale);
    - a sum of integers is an integer (64 bits); a sum of a decimal, currency or percent
      keeps the field's type and scale with the widest precision Tessera stores
      (`MAX_PRECISION`, 18 digits), so it holds the sum of any realistic number of
      children; a sum that still does not fit is refused when it happens (a 422);
    - a count is an integer (see `normalize_field`).

    A declared return type, precision or scale is kept as given.
    """
    rollup = definition.rollup
    if (
        definition.type is not FieldType.ROLLUP_SUMMARY
        or rollup is None
        or definition.return_type is not None
        or rollup.function is RollupFunction.COUNT
        or not rollup.field
    ):
        return definition
    child = state.find_object(rollup.child)
    source = child.find_field(rollup.field) if child else None
    if source is None:
        return definition
    stored = storage_type(source.definition.type, source.definition)
    is_sum = rollup.function is RollupFunction.SUM
    if stored in (FieldType.DATE, FieldType.DATETIME) and not is_sum:
        return definition.model_copy(update={"return_type": stored})
    if stored is FieldType.INTEGER:
        return definition.model_copy(update={"return_type": stored})
    if stored not in DECIMAL_TYPES:
        return definition
    precision, scale = decimal_shape(source.definition, stored)
    updates: dict[str, object] = {"return_type": stored}
    if definition.precision is None:
        updates["precision"] = MAX_PRECISION if is_sum else precision
    if definition.scale is None:
        updates["scale"] = scale
    return definition.model_copy(update=updates)
