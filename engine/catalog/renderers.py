"""Turn stored values into JSON values, one renderer per field, chosen once per revision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from engine.catalog.column_types import storage_type
from engine.catalog.file_values import render_file
from metadata.models import DECIMAL_TYPES, FieldDef, FieldType

Renderer = Callable[[Any], Any]


def _as_moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def value_renderer(definition: FieldDef) -> Renderer | None:
    """The function that renders this field's stored values, or None when they are JSON as is.

    Decimals become exact strings (`"12.50"`), dates and date-times ISO 8601 (UTC), ids
    strings, files their metadata without the blob id. The renderer takes a value that is
    not None (a blank stays None): lists call it for every cell, so where a built-in does
    the job it is the renderer itself, with no Python call of ours around it.
    """
    stored = storage_type(definition.type, definition)
    if stored in DECIMAL_TYPES or stored in (FieldType.LOOKUP, FieldType.MASTER_DETAIL):
        return str
    if stored is FieldType.DATE:
        return date.isoformat
    if stored is FieldType.DATETIME:
        return _as_moment
    if stored is FieldType.FILE:
        return render_file
    return None


def render_stored(definition: FieldDef, value: Any) -> Any:
    """Render one stored value (for callers without a compiled field at hand)."""
    renderer = value_renderer(definition)
    return value if renderer is None or value is None else renderer(value)
