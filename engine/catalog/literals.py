"""Turn a literal from a metadata document (a default) into the Python value its column takes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.catalog.column_types import storage_type
from metadata.models import DECIMAL_TYPES, FieldDef, FieldType

#: A decimal number as text: ASCII digits, an optional sign, one '.' and an optional
#: exponent. Decimal() and int() also read "1_000" and Arabic-Indic digits, which no client
#: means as a number and no other system reads back the same way.
DECIMAL_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def python_value(definition: FieldDef, value: Any) -> Any:
    """Return `value` as the Python type stored in the field's column.

    Raises:
        ValueError: the value does not fit the field's type (the message says why).
    """
    if value is None:
        return None
    stored = storage_type(definition.type, definition)
    if stored is FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number")
        return value
    if stored in DECIMAL_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValueError("expected a number")
        text = str(value).strip()
        if not DECIMAL_TEXT.fullmatch(text):
            raise ValueError("expected a number written with ASCII digits, such as -1234.50")
        try:
            return Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("expected a number") from exc
    if stored is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if stored is FieldType.DATE:
        return date.fromisoformat(_text(value))
    if stored is FieldType.DATETIME:
        parsed = datetime.fromisoformat(_text(value))
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        try:
            # Stored in UTC: an offset that crosses year 1 or 9999 cannot be.
            return parsed.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("the date-time is outside the years 1 to 9999 in UTC") from exc
    if stored is FieldType.MULTI_PICKLIST:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError("expected a list of picklist values")
        return value
    if stored is FieldType.JSON:
        return value
    return _text(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value
