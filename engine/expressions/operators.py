"""Operators of the expression language: blank-safe, exact with decimals, bounded in size.

The compiler routes `+ - * / %`, unary minus and ordering comparisons through these
functions, so a blank operand gives a blank result (or False for a comparison),
numbers never fall into binary floats, and text cannot grow without bound.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

#: The longest text an operator may build.
MAX_TEXT_LENGTH = 100_000

_NUMBER = (int, Decimal, float)
# Exact types (bool excluded: type() is exact) take the fast path of + and *.
_EXACT = (int, Decimal)


def as_number(value: Any) -> int | Decimal:
    """Return `value` as an int or a Decimal (a float goes through its shortest repr)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return value
    raise TypeError(f"expected a number, got {describe_value(value)}")


def describe_value(value: Any) -> str:
    """Name the kind of `value` the way an expression author thinks of it."""
    if value is None:
        return "blank"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, _NUMBER):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, UUID):
        return "a record id"
    return type(value).__name__


def _shift(moment: date, days: Any) -> date:
    """`moment` moved by `days`: exactly for a date-time, whole days (toward zero) for a date."""
    number = as_number(days)
    if isinstance(moment, datetime):
        return moment + timedelta(days=float(number))
    return moment + timedelta(days=int(number))


def add(left: Any, right: Any) -> Any:
    """`left + right`: numbers, text with text, or a date plus a number of days."""
    if left is None or right is None:
        return None
    if isinstance(left, str) and isinstance(right, str):
        if len(left) + len(right) > MAX_TEXT_LENGTH:
            raise ValueError(f"text longer than {MAX_TEXT_LENGTH} characters")
        return left + right
    if isinstance(left, date) and isinstance(right, _NUMBER):
        return _shift(left, right)
    if isinstance(right, date) and isinstance(left, _NUMBER):
        return _shift(right, left)
    if type(left) in _EXACT and type(right) in _EXACT:
        return left + right
    if isinstance(left, str) or isinstance(right, str):
        raise TypeError(
            f"cannot add {describe_value(left)} and {describe_value(right)}; "
            "use CONCAT or TEXT for text"
        )
    return as_number(left) + as_number(right)


def subtract(left: Any, right: Any) -> Any:
    """`left - right`: numbers, a date minus days, or the days between two dates."""
    if left is None or right is None:
        return None
    if type(left) in _EXACT and type(right) in _EXACT:
        return left - right
    if isinstance(left, date) and isinstance(right, _NUMBER):
        return _shift(left, -as_number(right))
    if isinstance(left, datetime) and isinstance(right, datetime):
        return Decimal((left - right).total_seconds()) / 86_400
    if isinstance(left, date) and isinstance(right, date):
        if isinstance(left, datetime) or isinstance(right, datetime):
            raise TypeError("cannot subtract a date and a date-time; convert one with DATE()")
        return (left - right).days
    return as_number(left) - as_number(right)


def multiply(left: Any, right: Any) -> Any:
    """`left * right`, numbers only."""
    if left is None or right is None:
        return None
    if type(left) in _EXACT and type(right) in _EXACT:
        return left * right
    return as_number(left) * as_number(right)


def divide(left: Any, right: Any) -> Any:
    """`left / right` as an exact decimal; dividing by zero gives blank."""
    if left is None or right is None:
        return None
    divisor = as_number(right)
    if divisor == 0:
        return None
    return Decimal(as_number(left)) / Decimal(divisor)


def modulo(left: Any, right: Any) -> Any:
    """`left % right`, numbers only; modulo zero gives blank."""
    if left is None or right is None:
        return None
    divisor = as_number(right)
    if divisor == 0:
        return None
    remainder = as_number(left) % divisor
    # Decimal's % keeps the dividend's sign; whole numbers and MOD follow the divisor's.
    if remainder and (remainder < 0) != (divisor < 0):
        remainder += divisor
    return remainder


def negate(value: Any) -> Any:
    """`-value`."""
    return None if value is None else -as_number(value)


def plus(value: Any) -> Any:
    """`+value`."""
    return None if value is None else as_number(value)


def less(left: Any, right: Any) -> bool:
    """`left < right`; false when either side is blank."""
    if left is None or right is None:
        return False
    try:
        return bool(left < right)
    except TypeError:
        raise _incomparable(left, right) from None


def less_equal(left: Any, right: Any) -> bool:
    """`left <= right`; false when either side is blank."""
    if left is None or right is None:
        return False
    try:
        return bool(left <= right)
    except TypeError:
        raise _incomparable(left, right) from None


def greater(left: Any, right: Any) -> bool:
    """`left > right`; false when either side is blank."""
    if left is None or right is None:
        return False
    try:
        return bool(left > right)
    except TypeError:
        raise _incomparable(left, right) from None


def greater_equal(left: Any, right: Any) -> bool:
    """`left >= right`; false when either side is blank."""
    if left is None or right is None:
        return False
    try:
        return bool(left >= right)
    except TypeError:
        raise _incomparable(left, right) from None


def _incomparable(left: Any, right: Any) -> TypeError:
    return TypeError(f"cannot compare {describe_value(left)} with {describe_value(right)}")


def is_in(item: Any, container: Any) -> bool:
    """`item in container`; nothing is in a blank list or text."""
    if container is None:
        return False
    try:
        return item in container
    except TypeError:
        raise TypeError(
            f"cannot look for {describe_value(item)} in {describe_value(container)}"
        ) from None


def is_not_in(item: Any, container: Any) -> bool:
    """`item not in container`; everything is missing from a blank list or text."""
    return not is_in(item, container)
