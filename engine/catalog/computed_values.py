"""Turn what a formula or roll-up computes into the value its column stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from engine.catalog.column_types import decimal_shape, storage_type
from engine.catalog.values import ValueProblem, value_coercer
from metadata.models import DECIMAL_TYPES, REFERENCE_TYPES, FieldDef, FieldType

#: Converts a computed value to its column value; raises ValueProblem when it cannot.
Converter = Callable[[Any], Any]


def computed_value_converter(definition: FieldDef) -> Converter:
    """Return the converter of a formula's or roll-up's result for its stored type.

    Numbers are rounded half-up to the stored scale (whole numbers for integers); a
    date fills a date-time column at midnight UTC; text must fit the column.
    """
    stored = storage_type(definition.type, definition)
    storage = definition.model_copy(update={"type": stored, "min": None, "max": None})
    coerce = value_coercer(storage)

    def store(value: Any) -> Any:
        return coerce(value, False)

    if stored is FieldType.INTEGER:
        return _guarded(lambda value: store(_rounded(value, 0)))
    if stored in DECIMAL_TYPES:
        _, scale = decimal_shape(storage, stored)
        return _guarded(lambda value: store(_rounded(value, scale)))
    if stored is FieldType.DATETIME:
        return _guarded(_as_datetime)
    if stored is FieldType.DATE:
        return _guarded(_as_date)
    if stored is FieldType.BOOLEAN:
        return _guarded(lambda value: value if isinstance(value, bool) else store(value))
    if stored in REFERENCE_TYPES:
        return _guarded(lambda value: value if isinstance(value, UUID) else store(value))
    return _guarded(store)


def _guarded(convert: Converter) -> Converter:
    def guarded(value: Any) -> Any:
        if value is None:
            return None
        try:
            return convert(value)
        except (TypeError, ValueError, InvalidOperation) as exc:
            if isinstance(exc, ValueProblem):
                raise
            raise ValueProblem("invalid-result", str(exc)) from exc

    return guarded


def _rounded(value: Any, scale: int) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise ValueProblem("invalid-result", f"expected a number, got {value!r}")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    rounded = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    return int(rounded) if scale == 0 else rounded


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, str):
        return _as_datetime(datetime.fromisoformat(value))
    raise ValueProblem("invalid-result", f"expected a date-time, got {value!r}")


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueProblem("invalid-result", f"expected a date, got {value!r}")
