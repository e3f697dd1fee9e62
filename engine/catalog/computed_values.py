"""Turn what a formula or roll-up computes into the value its column stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from engine.catalog.column_types import decimal_shape, storage_type, text_limit
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
        return _guarded(_whole_number)
    if stored in DECIMAL_TYPES:
        precision, scale = decimal_shape(storage, stored)
        return _guarded(_decimal_number(precision, scale))
    if stored in (FieldType.TEXT, FieldType.LONG_TEXT):
        limit = text_limit(stored, storage)
        return _guarded(
            lambda value: _text(value, limit) if isinstance(value, str) else store(value)
        )
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


_BIGINT = 2**63


def _number(value: Any) -> Decimal | int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise ValueProblem("invalid-result", f"expected a number, got {value!r}")
    return Decimal(repr(value)) if isinstance(value, float) else value


def _whole_number(value: Any) -> int:
    number = _number(value)
    whole = (
        number
        if isinstance(number, int)
        else int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    )
    if not -_BIGINT <= whole < _BIGINT:
        raise ValueProblem("out-of-range", "the result does not fit a 64-bit integer")
    return whole


def _decimal_number(precision: int, scale: int) -> Converter:
    quantum = Decimal(1).scaleb(-scale)
    limit = Decimal(10) ** (precision - scale)

    def convert(value: Any) -> Decimal:
        number = value if type(value) is Decimal else Decimal(_number(value))
        # The range check comes first: quantizing a huge number would overflow.
        if not -limit < number < limit:
            raise ValueProblem(
                "out-of-range", f"the result has more than {precision - scale} whole digits"
            )
        return number.quantize(quantum, rounding=ROUND_HALF_UP)

    return convert


def _text(value: str, limit: int | None) -> str:
    if limit is not None and len(value) > limit:
        raise ValueProblem(
            "too-long",
            f"the result has {len(value)} characters and the field holds at most {limit}",
        )
    return value


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
