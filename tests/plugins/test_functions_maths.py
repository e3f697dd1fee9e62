"""Math functions: exact results, int where the result is whole, bounded work."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugins.functions.maths import (
    ABS,
    CEILING,
    FLOOR,
    MAX,
    MIN,
    MOD,
    POWER,
    ROUND,
    SQRT,
    as_number,
)


def same(actual: object, expected: object) -> None:
    """Equal and of the same type (2 and Decimal("2") are different results)."""
    assert actual == expected
    assert type(actual) is type(expected)


@pytest.mark.parametrize(
    ("number", "digits", "expected"),
    [
        (Decimal("2.345"), 2, Decimal("2.35")),
        (Decimal("2.5"), 0, 3),
        (Decimal("3.5"), 0, 4),
        (Decimal("-2.5"), 0, -3),
        (Decimal("-2.345"), 2, Decimal("-2.35")),
        (Decimal("2.4"), 0, 2),
        (Decimal("1.005"), 2, Decimal("1.01")),
        (Decimal("2"), 2, Decimal("2.00")),
        (1234, -2, 1200),
        (1250, -2, 1300),
        (-1250, -2, -1300),
        (Decimal("1234.5"), -2, 1200),
        (7, 2, 7),
        (0.125, 2, Decimal("0.13")),
    ],
)
def test_round_is_half_up_away_from_zero(
    number: object, digits: int, expected: int | Decimal
) -> None:
    same(ROUND(number, digits), expected)


def test_round_defaults_to_whole_numbers_and_keeps_blank() -> None:
    same(ROUND(Decimal("2.5")), 3)
    assert ROUND(None) is None
    assert ROUND(None, 2) is None


def test_round_bounds_and_types() -> None:
    with pytest.raises(ValueError, match="digits between"):
        ROUND(1, 101)
    with pytest.raises(ValueError, match="whole number"):
        ROUND(1, Decimal("0.5"))
    with pytest.raises(TypeError, match="takes a number, not text"):
        ROUND("1.5")
    with pytest.raises(TypeError, match="true/false"):
        ROUND(True)
    wide = ROUND(Decimal("1E+50"), 100)
    assert wide == Decimal("1E+50")
    assert isinstance(wide, Decimal)
    assert wide.as_tuple().exponent == -100


def test_as_number_refuses_non_finite_values() -> None:
    with pytest.raises(ValueError, match="finite"):
        as_number(Decimal("NaN"), "X")
    with pytest.raises(ValueError, match="finite"):
        as_number(float("inf"), "X")
    same(as_number(0.1, "X"), Decimal("0.1"))


@pytest.mark.parametrize(
    ("number", "floor", "ceiling"),
    [
        (Decimal("2.7"), 2, 3),
        (Decimal("-2.1"), -3, -2),
        (Decimal("-2"), -2, -2),
        (5, 5, 5),
        (Decimal("1E+30"), 10**30, 10**30),
    ],
)
def test_floor_and_ceiling_give_whole_numbers(number: object, floor: int, ceiling: int) -> None:
    same(FLOOR(number), floor)
    same(CEILING(number), ceiling)


def test_floor_ceiling_abs_keep_blank() -> None:
    assert FLOOR(None) is None
    assert CEILING(None) is None
    assert ABS(None) is None


def test_abs_keeps_the_type() -> None:
    same(ABS(-3), 3)
    same(ABS(Decimal("-12.50")), Decimal("12.50"))
    same(ABS(Decimal("0.0")), Decimal("0.0"))


def test_min_max_ignore_blanks() -> None:
    same(MIN(3, 1, 2), 1)
    same(MAX(3, 1, 2), 3)
    same(MIN(None, Decimal("2.5"), 3), Decimal("2.5"))
    same(MAX(None, 2, None), 2)
    assert MIN(None) is None
    assert MAX(None, None) is None
    with pytest.raises(TypeError, match="MAX takes a number"):
        MAX(1, "2")


@pytest.mark.parametrize(
    ("number", "divisor", "expected"),
    [
        (7, 3, 1),
        (-7, 3, 2),
        (7, -3, -2),
        (-7, -3, -1),
        (Decimal("10.25"), 1, Decimal("0.25")),
        (Decimal("-7.5"), 2, Decimal("0.5")),
        (Decimal("7.5"), -2, Decimal("-0.5")),
        (Decimal("6"), 3, Decimal("0")),
    ],
)
def test_mod_has_the_sign_of_the_divisor(
    number: object, divisor: object, expected: int | Decimal
) -> None:
    same(MOD(number, divisor), expected)


def test_mod_by_zero_or_blank_is_blank() -> None:
    assert MOD(7, 0) is None
    assert MOD(Decimal("7"), Decimal("0.0")) is None
    assert MOD(None, 3) is None
    assert MOD(7, None) is None


def test_power() -> None:
    same(POWER(2, 10), 1024)
    same(POWER(-2, 3), -8)
    same(POWER(5, 0), 1)
    same(POWER(2, -1), Decimal("0.5"))
    same(POWER(Decimal("1.05"), 2), Decimal("1.1025"))
    same(POWER(4, Decimal("0.5")), Decimal("2.000000000000000000000000000"))
    assert POWER(None, 2) is None
    assert POWER(2, None) is None


def test_power_is_capped() -> None:
    same(POWER(10, 999), 10**999)
    with pytest.raises(ValueError, match="exponent between"):
        POWER(2, 1001)
    with pytest.raises(ValueError, match="exponent between"):
        POWER(2, -1001)
    with pytest.raises(ValueError, match="more than 1000 digits"):
        POWER(10**10, 1000)
    with pytest.raises(ValueError, match="more than 1000 digits"):
        POWER(Decimal("0.0001"), -1000)


def test_power_without_a_real_result_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no real result"):
        POWER(-8, Decimal("0.5"))
    with pytest.raises(ValueError, match="no real result"):
        POWER(0, -1)


def test_sqrt_is_a_decimal() -> None:
    same(SQRT(16), Decimal("4"))
    same(SQRT(Decimal("2.25")), Decimal("1.5"))
    same(SQRT(0), Decimal("0"))
    same(SQRT(2), Decimal("1.414213562373095048801688724"))
    assert SQRT(None) is None
    with pytest.raises(ValueError, match="0 or more"):
        SQRT(-1)
