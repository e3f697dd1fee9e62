"""Math functions, and the number checks the other function modules share."""

from __future__ import annotations

from collections.abc import Callable
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

from engine.extensions import Kind, describe_value, library_function

CATEGORY = "Math"

#: ROUND takes at most this many digits either side of the decimal point.
MAX_ROUND_DIGITS = 100
#: POWER refuses exponents beyond this, and results with more digits than MAX_POWER_DIGITS.
MAX_EXPONENT = 1000
MAX_POWER_DIGITS = 1000

Number = int | Decimal

# Traps make an impossible operation an exception rather than a NaN that spreads silently.
_CONTEXT = Context(
    prec=28, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow]
)
# Rounding must stay exact for any number the ROUND limits allow.
_WIDE = Context(
    prec=2 * MAX_ROUND_DIGITS + 30,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(MAX_ROUND_DIGITS + 1)}


def as_number(value: Any, function: str) -> Number | None:
    """Return `value` as int or Decimal (None stays None).

    Raises:
        TypeError: it is not a number.
        ValueError: it is not finite.
    """
    if value is None:
        return None
    # bool is an int subclass; True + 1 would quietly give 2.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{function} takes a number, not {describe_value(value)}")
    if isinstance(value, int):
        return value
    number = Decimal(str(value)) if isinstance(value, float) else value
    if not number.is_finite():
        raise ValueError(f"{function} takes a finite number, not {value}")
    return number


def as_whole(value: Any, function: str, what: str) -> int:
    """Return `value` as an int when it is a whole number.

    Raises:
        TypeError: it is blank or not a number.
        ValueError: it has a fractional part.
    """
    number = as_number(value, function)
    if number is None:
        raise TypeError(f"{function} needs a whole number for {what}, not blank")
    if isinstance(number, Decimal):
        if number != number.to_integral_value():
            raise ValueError(f"{function} needs a whole number for {what}, not {number}")
        return int(number)
    return number


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("ROUND(2.345, 2)", Decimal("2.35")),
        ("ROUND(2.5)", 3),
        ("ROUND(-2.5)", -3),
        ("ROUND(1234, -2)", 1200),
        ("ROUND(amount, 1)", None, {"amount": None}),
    ],
)
def ROUND(number: Any, digits: Any = 0) -> Number | None:
    """Round to `digits` decimal places, halves away from zero.

    With no digits, or a negative number of digits, the result is a whole number;
    otherwise a decimal with exactly `digits` places. A blank number gives blank.
    """
    # The common case (a decimal to a few places) skips the checks below.
    if type(number) is Decimal and type(digits) is int and 0 < digits <= MAX_ROUND_DIGITS:
        try:
            return number.quantize(_QUANTUM[digits], context=_WIDE)
        except InvalidOperation:
            pass  # the checks below name the problem
    value = as_number(number, "ROUND")
    places = as_whole(digits, "ROUND", "digits")
    if not -MAX_ROUND_DIGITS <= places <= MAX_ROUND_DIGITS:
        raise ValueError(f"ROUND takes digits between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}")
    if value is None:
        return None
    if isinstance(value, int) and places >= 0:
        return value
    try:
        rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), context=_WIDE)
    except InvalidOperation as error:
        raise ValueError(f"ROUND cannot round {value} to {places} digits") from error
    return int(rounded) if places <= 0 else rounded


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("FLOOR(2.7)", 2),
        ("FLOOR(-2.1)", -3),
        ("FLOOR(amount)", None, {"amount": None}),
    ],
)
def FLOOR(number: Any) -> int | None:
    """Round down to the nearest whole number (towards minus infinity).

    A blank number gives blank.
    """
    value = as_number(number, "FLOOR")
    if value is None or isinstance(value, int):
        return value
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("CEILING(2.1)", 3),
        ("CEILING(-2.7)", -2),
        ("CEILING(amount)", None, {"amount": None}),
    ],
)
def CEILING(number: Any) -> int | None:
    """Round up to the nearest whole number (towards plus infinity).

    A blank number gives blank.
    """
    value = as_number(number, "CEILING")
    if value is None or isinstance(value, int):
        return value
    return int(value.to_integral_value(rounding=ROUND_CEILING))


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("ABS(-3)", 3),
        ("ABS(balance)", Decimal("12.50"), {"balance": Decimal("-12.50")}),
        ("ABS(balance)", None, {"balance": None}),
    ],
)
def ABS(number: Any) -> Number | None:
    """The number without its sign.

    A blank number gives blank.
    """
    value = as_number(number, "ABS")
    return None if value is None else _magnitude(value)


def _magnitude(value: Number) -> Number:
    return -value if value < 0 else value


def _extreme(
    function: str, numbers: tuple[Any, ...], pick: Callable[[list[Number]], Number]
) -> Number | None:
    values = [n for n in (as_number(v, function) for v in numbers) if n is not None]
    return pick(values) if values else None


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("MIN(3, 1, 2)", 1),
        ("MIN(discount, 10)", 10, {"discount": None}),
        ("MIN(discount)", None, {"discount": None}),
    ],
)
def MIN(number: Any, *numbers: Any) -> Number | None:
    """The smallest of the numbers.

    Blank numbers are ignored; when every number is blank the result is blank.
    """
    return _extreme("MIN", (number, *numbers), min)


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("MAX(3, 1, 2)", 3),
        ("MAX(discount, 0)", 0, {"discount": None}),
        ("MAX(discount)", None, {"discount": None}),
    ],
)
def MAX(number: Any, *numbers: Any) -> Number | None:
    """The largest of the numbers.

    Blank numbers are ignored; when every number is blank the result is blank.
    """
    return _extreme("MAX", (number, *numbers), max)


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("MOD(7, 3)", 1),
        ("MOD(-7, 3)", 2),
        ("MOD(amount, 1)", Decimal("0.25"), {"amount": Decimal("10.25")}),
        ("MOD(amount, 3)", None, {"amount": None}),
        ("MOD(7, 0)", None),
    ],
)
def MOD(number: Any, divisor: Any) -> Number | None:
    """The remainder of dividing `number` by `divisor`, with the sign of the divisor.

    A blank number or divisor gives blank, and so does a divisor of zero (as with the
    / and % operators).
    """
    value = as_number(number, "MOD")
    by = as_number(divisor, "MOD")
    if value is None or by is None or by == 0:
        return None
    if isinstance(value, int) and isinstance(by, int):
        return value % by
    # Decimal's % keeps the dividend's sign; the divisor's sign matches Python and spreadsheets.
    remainder = _CONTEXT.remainder(Decimal(value), Decimal(by))
    if remainder and (remainder < 0) != (by < 0):
        remainder = _CONTEXT.add(remainder, Decimal(by))
    return remainder


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("POWER(2, 10)", 1024),
        ("POWER(2, -1)", Decimal("0.5")),
        ("POWER(rate, 2)", Decimal("1.1025"), {"rate": Decimal("1.05")}),
        ("POWER(rate, 2)", None, {"rate": None}),
    ],
)
def POWER(number: Any, exponent: Any) -> Number | None:
    """`number` raised to `exponent`.

    Whole numbers raised to a whole, non-negative exponent stay whole; everything else
    gives a decimal (28 significant digits). Exponents beyond ±1000 and results of more
    than 1000 digits are refused. A blank number or exponent gives blank.
    """
    base = as_number(number, "POWER")
    power = as_number(exponent, "POWER")
    if base is None or power is None:
        return None
    if _magnitude(power) > MAX_EXPONENT:
        raise ValueError(f"POWER takes an exponent between -{MAX_EXPONENT} and {MAX_EXPONENT}")
    if base != 0 and power * Decimal(_magnitude(base)).log10() > MAX_POWER_DIGITS:
        raise ValueError(f"POWER would give a number of more than {MAX_POWER_DIGITS} digits")
    if isinstance(base, int) and isinstance(power, int) and power >= 0:
        return int(base**power)
    try:
        result = _CONTEXT.power(Decimal(base), Decimal(power))
    except (InvalidOperation, DivisionByZero, Overflow) as error:
        raise ValueError(f"POWER({base}, {power}) has no real result") from error
    if not result.is_finite():
        # Zero to a negative power is infinite, which decimal reports without a signal.
        raise ValueError(f"POWER({base}, {power}) has no real result")
    return result


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("SQRT(16)", Decimal("4")),
        ("SQRT(2.25)", Decimal("1.5")),
        ("SQRT(area)", None, {"area": None}),
    ],
)
def SQRT(number: Any) -> Decimal | None:
    """The square root, as a decimal (28 significant digits).

    A negative number is an error; a blank number gives blank.
    """
    value = as_number(number, "SQRT")
    if value is None:
        return None
    if value < 0:
        raise ValueError(f"SQRT takes a number of 0 or more, not {value}")
    return _CONTEXT.sqrt(Decimal(value))
