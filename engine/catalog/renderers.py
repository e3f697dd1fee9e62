"""Turn stored values into JSON values, one renderer per field, chosen once per revision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from engine.catalog.column_types import storage_type
from metadata.models import DECIMAL_TYPES, FieldDef, FieldType

Renderer = Callable[[Any], Any]


def _as_text(value: Any) -> Any:
    return None if value is None else str(value)


def _as_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _as_moment(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def value_renderer(definition: FieldDef) -> Renderer | None:
    """The function that renders this field's stored values, or None when they are JSON as is.

    Decimals become exact strings (`"12.50"`), dates and date-times ISO 8601 (UTC), ids
    strings.
    """
    stored = storage_type(definition.type, definition)
    if stored in DECIMAL_TYPES or stored in (FieldType.LOOKUP, FieldType.MASTER_DETAIL):
        return _as_text
    if stored is FieldType.DATE:
        return _as_date
    if stored is FieldType.DATETIME:
        return _as_moment
    return None


def render_stored(definition: FieldDef, value: Any) -> Any:
    """Render one stored value (for callers without a compiled field at hand)."""
    renderer = value_renderer(definition)
    return value if renderer is None else renderer(value)
