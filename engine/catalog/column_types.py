"""Map field types to SQLAlchemy column types, exact on both dialects."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Numeric, String, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from metadata.models import (
    DECIMAL_TYPES,
    DEFAULT_DECIMAL,
    DEFAULT_MAX_LENGTH,
    FieldDef,
    FieldType,
    RollupFunction,
)
from metadata.store import UtcDateTime


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(p, s) on PostgreSQL; on SQLite, which has no exact decimal, a scaled integer.

    SQLite stores `12.30` at scale 2 as the INTEGER 1230, so sums, comparisons and
    sorting stay exact and no binary float ever holds a value.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(str(value)) if not isinstance(value, Decimal) else value
        exact = exact.quantize(self._quantum, rounding=ROUND_HALF_EVEN)
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def process_literal_param(self, value: Any, dialect: Dialect) -> str:
        bound = self.process_bind_param(value, dialect)
        return "NULL" if bound is None else str(bound)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Decimal | None]:
        """Return the driver's conversion, if any, followed by the exact decimal's.

        Written here rather than as `process_result_value`, for which TypeDecorator's
        processor would make two Python calls per value (its wrapper, then the method):
        pages of records read many values.
        """
        parse = self.impl_instance.result_processor(dialect, coltype)
        quantum, scale = self._quantum, self.scale
        if dialect.name == "sqlite":

            def unscale(value: Any) -> Decimal | None:
                if parse is not None:
                    value = parse(value)
                if value is None:
                    return None
                return Decimal(int(value)).scaleb(-scale).quantize(quantum)

            return unscale

        def exact(value: Any) -> Decimal | None:
            if parse is not None:
                value = parse(value)
            if type(value) is Decimal:  # psycopg's NUMERIC values
                return value.quantize(quantum)
            return None if value is None else Decimal(value).quantize(quantum)

        return exact


def json_type() -> TypeEngine[Any]:
    """JSON text on SQLite, JSONB on PostgreSQL; no value is SQL NULL, as for every type.

    The column of json, multi-picklist and file fields. Without `none_as_null` a value
    set to null would be stored as the JSON `null`, which `is_null` filters, counts,
    required checks and default fills do not see as empty.
    """
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def decimal_shape(definition: FieldDef, field_type: FieldType | None = None) -> tuple[int, int]:
    """Return the (precision, scale) of a decimal-typed field, defaults applied."""
    default_precision, default_scale = DEFAULT_DECIMAL[field_type or definition.type]
    return (
        definition.precision or default_precision,
        definition.scale if definition.scale is not None else default_scale,
    )


def text_limit(field_type: FieldType, definition: FieldDef) -> int | None:
    """Return how many characters a stored value of `field_type` holds (None: unbounded).

    The one answer for the column's size and for the check of what goes into it, so a
    value that passes the check always fits the column.
    """
    if field_type in DEFAULT_MAX_LENGTH:
        return definition.max_length or DEFAULT_MAX_LENGTH[field_type]
    if field_type is FieldType.LONG_TEXT:
        return definition.max_length or None
    return None


def scalar_type(field_type: FieldType, definition: FieldDef) -> TypeEngine[Any]:
    """Return the column type of a stored value of `field_type`, sized by `definition`."""
    if field_type in DEFAULT_MAX_LENGTH or field_type is FieldType.LONG_TEXT:
        limit = text_limit(field_type, definition)
        return String(limit) if limit is not None else Text()
    if field_type is FieldType.INTEGER:
        return BigInteger()
    if field_type in DECIMAL_TYPES:
        return ExactDecimal(*decimal_shape(definition, field_type))
    if field_type is FieldType.BOOLEAN:
        return Boolean()
    if field_type is FieldType.DATE:
        return Date()
    if field_type is FieldType.DATETIME:
        return UtcDateTime()
    if field_type in (FieldType.MULTI_PICKLIST, FieldType.JSON, FieldType.FILE):
        return json_type()
    if field_type in (FieldType.LOOKUP, FieldType.MASTER_DETAIL):
        return Uuid()
    raise ValueError(f"{field_type} has no scalar storage")


def storage_type(field_type: FieldType, definition: FieldDef) -> FieldType:
    """Return the type whose storage holds values of this field (formulas and roll-ups)."""
    if field_type is FieldType.FORMULA:
        return definition.return_type or FieldType.TEXT
    if field_type is FieldType.ROLLUP_SUMMARY:
        if definition.return_type is not None:
            return definition.return_type
        rollup = definition.rollup
        if rollup is None or rollup.function is RollupFunction.COUNT:
            return FieldType.INTEGER
        return FieldType.DECIMAL
    return field_type


def column_type(definition: FieldDef) -> TypeEngine[Any]:
    """Return the column type of a field."""
    return scalar_type(storage_type(definition.type, definition), definition)
