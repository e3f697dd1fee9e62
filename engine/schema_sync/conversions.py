"""How a column's data converts when its field changes type or size.

Every conversion is a pair of SQL expressions over the column's stored (raw) value:
`expression` gives the new stored value and `blocking` selects the rows whose value
would not survive (not a number, too long, too many decimals, …). The planner refuses
a change with blocking rows unless it is forced, in which case those rows become NULL.
Expressions are built per dialect because storage differs: on SQLite a decimal is a
scaled integer and dates are ISO text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnClause, ColumnElement
from sqlalchemy.types import TypeEngine

from engine.catalog import column_type, decimal_shape, storage_type
from metadata.models import (
    DECIMAL_TYPES,
    REFERENCE_TYPES,
    TEXT_TYPES,
    FieldDef,
    FieldType,
)


class Family(StrEnum):
    """Groups of storage types that convert among themselves the same way."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    JSON = "json"
    MULTI_PICKLIST = "multi_picklist"
    REFERENCE = "reference"
    #: Files convert to nothing else (their blobs would be lost): only their limits change.
    FILE = "file"


def family_of(stored: FieldType) -> Family:
    """Return the conversion family of a storage type."""
    if stored in TEXT_TYPES:
        return Family.TEXT
    if stored in DECIMAL_TYPES:
        return Family.DECIMAL
    if stored in REFERENCE_TYPES:
        return Family.REFERENCE
    return Family(stored.value)


class ConversionRefused(Exception):
    """A type change that no data conversion supports."""


@dataclass(frozen=True)
class Conversion:
    """How one column's values change: the new stored value and the rows that block it."""

    expression: ColumnElement[Any]
    blocking: ColumnElement[bool] | None
    reason: str

    def value(self, *, forced: bool) -> ColumnElement[Any]:
        """The new stored value; when forced, rows that would not convert become NULL."""
        if forced and self.blocking is not None:
            return case((self.blocking, null()), else_=self.expression)
        return self.expression


_DIALECTS: dict[str, Dialect] = {
    "sqlite": sqlite.dialect(),
    # SQLAlchemy leaves the psycopg dialect's __init__ unannotated.
    "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
}


def render_type(type_: TypeEngine[Any], dialect: str) -> str:
    """Return the DDL spelling of a column type on a dialect."""
    compiled = _DIALECTS[dialect]
    return str(compiled.type_descriptor(type_).compile(dialect=compiled))


def quote_identifier(name: str, dialect: str) -> str:
    """Return `name` quoted as an identifier of `dialect`, where it needs quoting."""
    return _DIALECTS[dialect].identifier_preparer.quote(name)


def _text_length(definition: FieldDef) -> int | None:
    column = column_type(definition)
    return getattr(column, "length", None)


def _picklist_values(definition: FieldDef) -> list[str]:
    return [value.value for value in definition.values or ()]


_INTEGER_TEXT = r"^\s*[-+]?[0-9]{1,18}\s*$"
# Dates, date-times and decimals are cut apart after trim(), which removes spaces only,
# so only spaces may surround them. SQLite reads a UTC offset only as +HH:MM.
_DATE_TEXT = r"^ *[0-9]{4}-[0-9]{2}-[0-9]{2} *$"
_DATETIME_TEXT = (
    r"^ *[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])? *$"
)
_TRUE_TEXT = ("true", "t", "yes", "y", "1")
_FALSE_TEXT = ("false", "f", "no", "n", "0")


def _decimal_text(precision: int, scale: int) -> str:
    whole = max(precision - scale, 1)
    fraction = rf"(\.[0-9]{{0,{scale}}}0*)?" if scale else r"(\.0*)?"
    return rf"^ *[-+]?[0-9]{{1,{whole}}}{fraction} *$"


def _int_divide(dividend: ColumnElement[Any], divisor: int) -> ColumnElement[Any]:
    """Exact integer division of SQLite's scaled integers.

    On untyped operands SQLAlchemy's `/` is true division (`x / (n + 0.0)`), whose float
    result loses digits beyond 2**53; on integers `//` renders SQLite's integer `/`.
    """
    return type_coerce(dividend, BigInteger) // divisor


def _is_calendar_date(text: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether text shaped YYYY-MM-DD (at its start) names a day that exists.

    The pattern alone lets 2023-02-29 or 2024-13-01 through: PostgreSQL would then fail
    the whole change, SQLite would store text no reader can parse.
    """
    year, month, day = (
        cast(func.substr(text, start, length), Integer)
        for start, length in ((1, 4), (6, 2), (9, 2))
    )
    leap = or_(and_(year % 4 == 0, year % 100 != 0), year % 400 == 0)
    month_days = case(
        (month == 2, case((leap, 29), else_=28)),
        (month.in_((4, 6, 9, 11)), 30),
        else_=31,
    )
    return and_(year >= 1, month.between(1, 12), day.between(1, month_days))


def _any_of(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool] | None:
    present = [condition for condition in conditions if condition is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else or_(*present)


def plan_conversion(
    old: FieldDef, new: FieldDef, *, column_name: str, dialect: str
) -> Conversion | None:
    """Return how a column converts from `old` to `new`, or None when values stay as they are.

    Raises:
        ConversionRefused: the two types have no conversion.
    """
    old_stored = storage_type(old.type, old)
    new_stored = storage_type(new.type, new)
    column: ColumnClause[Any] = literal_column(quote_identifier(column_name, dialect))
    builder = _ConversionBuilder(
        old=old,
        new=new,
        old_stored=old_stored,
        new_stored=new_stored,
        column=column,
        dialect=dialect,
    )
    return builder.build()


@dataclass(frozen=True)
class _ConversionBuilder:
    old: FieldDef
    new: FieldDef
    old_stored: FieldType
    new_stored: FieldType
    column: ColumnClause[Any]
    dialect: str

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def build(self) -> Conversion | None:
        if self.new.type in (FieldType.AUTO_NUMBER,) and self.old.type is not FieldType.AUTO_NUMBER:
            raise ConversionRefused(
                "a field cannot become an auto-number; add a new auto-number field"
            )
        if self.new.type in REFERENCE_TYPES or self.old.type in REFERENCE_TYPES:
            return self._reference()
        source, target = family_of(self.old_stored), family_of(self.new_stored)
        if self.new.type in (FieldType.FORMULA, FieldType.ROLLUP_SUMMARY):
            # Computed values are recalculated by the rules engine, never converted.
            if render_type(column_type(self.old), self.dialect) == render_type(
                column_type(self.new), self.dialect
            ):
                return None
            return Conversion(expression=null(), blocking=None, reason="recomputed")
        method = getattr(self, f"_{source.value}_to_{target.value}", None)
        if method is None:
            raise ConversionRefused(
                f"a {self.old.type} field cannot become {self.new.type}; "
                "add a new field and copy the values you need"
            )
        conversion: Conversion | None = method()
        return self._with_picklist_check(conversion)

    # -- text targets -----------------------------------------------------------------

    def _fits_length(self, text: ColumnElement[Any]) -> ColumnElement[bool] | None:
        length = _text_length(self.new)
        old_length = _text_length(self.old) if family_of(self.old_stored) is Family.TEXT else None
        if length is None or (old_length is not None and old_length <= length):
            return None
        return func.length(text) > length

    def _as_varchar(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.is_sqlite:
            return text
        return cast(text, column_type(self.new))

    def _text_to_text(self) -> Conversion | None:
        blocking = self._fits_length(self.column)
        if blocking is None and render_type(column_type(self.old), self.dialect) == render_type(
            column_type(self.new), self.dialect
        ):
            return None
        return Conversion(
            self._as_varchar(self.column),
            blocking,
            f"longer than {_text_length(self.new)} characters",
        )

    def _stringify(self, text: ColumnElement[Any], width: int) -> Conversion:
        length = _text_length(self.new)
        blocking = func.length(text) > length if length is not None and length < width else None
        return Conversion(self._as_varchar(text), blocking, f"longer than {length} characters")

    def _integer_to_text(self) -> Conversion:
        return self._stringify(cast(self.column, String), 20)

    def _decimal_to_text(self) -> Conversion:
        _, scale = decimal_shape(self.old, self.old_stored)
        if not self.is_sqlite:
            return self._stringify(cast(self.column, String), 40)
        if scale == 0:
            return self._stringify(cast(self.column, String), 20)
        unit = 10**scale
        magnitude = func.abs(self.column)
        text = (
            case((self.column < 0, "-"), else_="")
            + cast(_int_divide(magnitude, unit), String)
            + "."
            + func.substr(literal("0" * scale) + cast(magnitude % unit, String), -scale)
        )
        return self._stringify(text, 40)

    def _keep_null(self, expression: ColumnElement[Any]) -> ColumnElement[Any]:
        """`expression`, except NULL where the column is NULL (a CASE's ELSE would fill it)."""
        return case((self.column.is_(None), null()), else_=expression)

    def _boolean_to_text(self) -> Conversion:
        text = (
            case((self.column == true(), "true"), else_="false")
            if not self.is_sqlite
            else case((self.column == 1, "true"), else_="false")
        )
        return self._stringify(self._keep_null(text), 5)

    def _date_to_text(self) -> Conversion:
        text = self.column if self.is_sqlite else func.to_char(self.column, "YYYY-MM-DD")
        return self._stringify(text, 10)

    def _datetime_to_text(self) -> Conversion:
        if self.is_sqlite:
            text = func.strftime("%Y-%m-%dT%H:%M:%SZ", self.column)
        else:
            text = func.to_char(func.timezone("UTC", self.column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        return self._stringify(text, 20)

    def _json_to_text(self) -> Conversion:
        text = self.column if self.is_sqlite else cast(self.column, String)
        return self._stringify(text, 10**9)

    _multi_picklist_to_text = _json_to_text

    # -- number targets ---------------------------------------------------------------

    def _text_to_integer(self) -> Conversion:
        blocking = not_(self.column.regexp_match(_INTEGER_TEXT))
        return Conversion(cast(func.trim(self.column), BigInteger), blocking, "not a whole number")

    def _text_to_decimal(self) -> Conversion:
        precision, scale = decimal_shape(self.new, self.new_stored)
        blocking = not_(self.column.regexp_match(_decimal_text(precision, scale)))
        reason = (
            f"not a number with at most {precision - scale} digits before "
            f"and {scale} after the point"
        )
        trimmed = func.trim(self.column)
        if not self.is_sqlite:
            return Conversion(cast(trimmed, column_type(self.new)), blocking, reason)
        # Exact text-to-scaled-integer: the digits before the point, then the fraction
        # padded or cut to the scale, read as one integer.
        point = func.instr(trimmed, ".")
        whole = case((point > 0, func.substr(trimmed, 1, point - 1)), else_=trimmed)
        fraction = case((point > 0, func.substr(trimmed, point + 1)), else_="")
        # `concat`, not `+`: on untyped expressions `+` adds ("12" + "50" = 62).
        digits = whole.concat(func.substr(fraction + ("0" * scale), 1, scale)) if scale else whole
        return Conversion(cast(digits, BigInteger), blocking, reason)

    def _integer_to_decimal(self) -> Conversion:
        precision, scale = decimal_shape(self.new, self.new_stored)
        limit = 10 ** (precision - scale)
        blocking = func.abs(self.column) >= limit
        reason = f"has more than {precision - scale} digits"
        expression = (
            self.column * (10**scale)
            if self.is_sqlite
            else cast(self.column, column_type(self.new))
        )
        return Conversion(expression, blocking, reason)

    def _decimal_to_decimal(self) -> Conversion | None:
        old_precision, old_scale = decimal_shape(self.old, self.old_stored)
        precision, scale = decimal_shape(self.new, self.new_stored)
        if (precision - scale) >= (old_precision - old_scale) and scale >= old_scale:
            if (precision, scale) == (old_precision, old_scale):
                return None
            blocking = None
        else:
            blocking = self._decimal_blocking(old_precision, old_scale, precision, scale)
        reason = f"does not fit {precision} digits with {scale} decimals"
        if not self.is_sqlite:
            return Conversion(cast(self.column, column_type(self.new)), blocking, reason)
        if scale == old_scale:
            expression: ColumnElement[Any] = self.column
        elif scale > old_scale:
            expression = self.column * (10 ** (scale - old_scale))
        else:
            expression = _int_divide(self.column, 10 ** (old_scale - scale))
        return Conversion(expression, blocking, reason)

    def _decimal_blocking(
        self, old_precision: int, old_scale: int, precision: int, scale: int
    ) -> ColumnElement[bool] | None:
        # Only a shrinking whole part needs a size check; otherwise the bound could pass
        # 10**18 and overflow SQLite's 64-bit integers.
        shrinks = precision - scale < old_precision - old_scale
        if self.is_sqlite:
            too_big = (
                func.abs(self.column) >= 10 ** (precision - scale + old_scale) if shrinks else None
            )
            too_precise = (
                self.column % (10 ** (old_scale - scale)) != 0 if scale < old_scale else None
            )
        else:
            too_big = func.abs(self.column) >= 10 ** (precision - scale) if shrinks else None
            too_precise = (
                self.column != func.round(self.column, scale) if scale < old_scale else None
            )
        return _any_of(too_big, too_precise)

    def _decimal_to_integer(self) -> Conversion:
        _, old_scale = decimal_shape(self.old, self.old_stored)
        if self.is_sqlite:
            unit = 10**old_scale
            return Conversion(
                _int_divide(self.column, unit), self.column % unit != 0, "has decimals"
            )
        return Conversion(
            cast(self.column, BigInteger), self.column != func.trunc(self.column), "has decimals"
        )

    def _boolean_to_integer(self) -> Conversion:
        return Conversion(self._keep_null(case((self.column == self._true, 1), else_=0)), None, "")

    def _integer_to_integer(self) -> None:
        return None

    # -- other targets ----------------------------------------------------------------

    @property
    def _true(self) -> ColumnElement[Any]:
        return literal(1, Integer) if self.is_sqlite else true()

    @property
    def _false(self) -> ColumnElement[Any]:
        return literal(0, Integer) if self.is_sqlite else false()

    def _text_to_boolean(self) -> Conversion:
        word = func.lower(func.trim(self.column))
        blocking = word.not_in(_TRUE_TEXT + _FALSE_TEXT)
        return Conversion(
            self._keep_null(case((word.in_(_TRUE_TEXT), self._true), else_=self._false)),
            blocking,
            "not true/false, yes/no or 1/0",
        )

    def _integer_to_boolean(self) -> Conversion:
        return Conversion(
            self._keep_null(case((self.column != 0, self._true), else_=self._false)),
            self.column.not_in((0, 1)),
            "not 0 or 1",
        )

    def _boolean_to_boolean(self) -> None:
        return None

    def _not_a_day(self, pattern: str) -> ColumnElement[bool]:
        """Rows whose text does not match `pattern` or whose date is not in the calendar."""
        # CASE, not OR: the calendar check casts substrings, so it may only see matches.
        return case(
            (not_(self.column.regexp_match(pattern)), true()),
            else_=not_(_is_calendar_date(func.trim(self.column))),
        )

    def _text_to_date(self) -> Conversion:
        blocking = self._not_a_day(_DATE_TEXT)
        trimmed = func.trim(self.column)
        expression = trimmed if self.is_sqlite else cast(trimmed, column_type(self.new))
        return Conversion(expression, blocking, "not a date written YYYY-MM-DD")

    def _text_to_datetime(self) -> Conversion:
        blocking = self._not_a_day(_DATETIME_TEXT)
        trimmed = func.trim(self.column)
        if self.is_sqlite:
            expression: ColumnElement[Any] = func.strftime("%Y-%m-%d %H:%M:%S", trimmed) + ".000000"
        else:
            expression = cast(trimmed, column_type(self.new))
        return Conversion(expression, blocking, "not an ISO 8601 date-time")

    def _date_to_datetime(self) -> Conversion:
        if self.is_sqlite:
            return Conversion(self.column + " 00:00:00.000000", None, "")
        return Conversion(cast(self.column, column_type(self.new)), None, "")

    def _datetime_to_date(self) -> Conversion:
        if self.is_sqlite:
            blocking = func.substr(self.column, 12, 8) != "00:00:00"
            return Conversion(func.substr(self.column, 1, 10), blocking, "has a time of day")
        blocking = cast(self.column, postgresql.TIME) != literal_column("TIME '00:00'")
        return Conversion(cast(self.column, column_type(self.new)), blocking, "has a time of day")

    def _date_to_date(self) -> None:
        return None

    def _datetime_to_datetime(self) -> None:
        return None

    def _text_to_multi_picklist(self) -> Conversion:
        array = (
            func.json_array(self.column) if self.is_sqlite else func.jsonb_build_array(self.column)
        )
        return Conversion(self._keep_null(array), None, "")

    def _multi_picklist_to_multi_picklist(self) -> None:
        return None

    def _multi_picklist_to_json(self) -> None:
        return None

    def _json_to_json(self) -> None:
        return None

    def _file_to_file(self) -> None:
        # New limits apply to later uploads; stored files stay as they are.
        return None

    # -- references and picklists -----------------------------------------------------

    def _reference(self) -> Conversion | None:
        if self.old.type not in REFERENCE_TYPES or self.new.type not in REFERENCE_TYPES:
            raise ConversionRefused(
                f"a {self.old.type} field cannot become {self.new.type}; lookups only change "
                "between lookup and master_detail"
            )
        if self.old.target != self.new.target:
            raise ConversionRefused("a lookup's target cannot change; add a new lookup field")
        return None

    def _with_picklist_check(self, conversion: Conversion | None) -> Conversion | None:
        allowed = _picklist_values(self.new)
        if self.new.type is FieldType.PICKLIST:
            if self.old.type is FieldType.PICKLIST and set(_picklist_values(self.old)) <= set(
                allowed
            ):
                return conversion
            base = conversion or Conversion(self.column, None, "")
            checked = base.expression if conversion else self.column
            outside: ColumnElement[bool] = checked.not_in(allowed)
            return Conversion(
                base.expression, _any_of(base.blocking, outside), "not one of the picklist's values"
            )
        if self.new.type is FieldType.MULTI_PICKLIST:
            is_multi = self.old.type is FieldType.MULTI_PICKLIST
            if is_multi and set(_picklist_values(self.old)) <= set(allowed):
                return conversion
            base = conversion or Conversion(self.column, None, "")
            # Another type converts to a list of its one value.
            outside = (
                self._array_values_outside(allowed) if is_multi else self.column.not_in(allowed)
            )
            return Conversion(
                base.expression,
                _any_of(base.blocking, outside),
                "holds a value that is not in the picklist",
            )
        return conversion

    def _array_values_outside(self, allowed: list[str]) -> ColumnElement[bool]:
        """Rows whose stored list holds a value not in `allowed` (a JSON null holds none)."""
        if self.is_sqlite:
            # The column is read in a subquery of its own: next to json_each, a bare `value`
            # or `key` would name json_each's column, not the field's.
            stored = select(self.column.label("list")).subquery("stored")
            element = func.json_each(stored.c.list).table_valued("value")
            return exists(
                select(literal(1))
                .select_from(stored.join(element, true()))
                .where(element.c.value.not_in(allowed))
            )
        # No subquery: the check is also the USING expression of ALTER COLUMN … TYPE when a
        # change is forced, and PostgreSQL allows none there.
        is_list = func.jsonb_typeof(self.column) == "array"
        listed = cast(literal(json.dumps(allowed)), postgresql.JSONB)
        return and_(is_list, not_(self.column.bool_op("<@")(listed)))
