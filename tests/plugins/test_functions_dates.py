"""Date functions; BUSINESSDAYS against a day-by-day count."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from plugins.functions.dates import (
    ADDDAYS,
    ADDMONTHS,
    BUSINESSDAYS,
    DATE,
    DATEDIFF,
    DATETIME,
    DAY,
    MONTH,
    NOW,
    TODAY,
    WEEKDAY,
    YEAR,
)
from tests.plugins import NOW as TEST_NOW
from tests.plugins import make_context


def test_today_and_now_read_the_context_clock() -> None:
    context = make_context()
    assert TODAY(context) == date(2026, 3, 15)
    assert NOW(context) == TEST_NOW
    late = make_context(now=datetime(2026, 3, 15, 23, 59, tzinfo=UTC))
    assert TODAY(late) == date(2026, 3, 15)


def test_date_and_datetime_build_values() -> None:
    assert DATE(2026, 2, 28) == date(2026, 2, 28)
    assert DATE(2028, 2, 29) == date(2028, 2, 29)
    assert DATE(Decimal("2026"), 1, 1) == date(2026, 1, 1)
    assert DATE(None, 1, 1) is None
    assert DATETIME(2026, 3, 15, 10, 30, 5) == datetime(2026, 3, 15, 10, 30, 5, tzinfo=UTC)
    assert DATETIME(2026, 3, 15).tzinfo is UTC  # type: ignore[union-attr]
    assert DATETIME(2026, 3, None) is None


@pytest.mark.parametrize("parts", [(2026, 2, 29), (2026, 13, 1), (0, 1, 1), (10_000, 1, 1)])
def test_date_refuses_days_that_do_not_exist(parts: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError, match="is not a valid date"):
        DATE(*parts)


def test_datetime_refuses_moments_that_do_not_exist() -> None:
    with pytest.raises(ValueError, match="is not a valid date-time"):
        DATETIME(2026, 3, 15, 24)
    with pytest.raises(ValueError, match="whole number"):
        DATETIME(2026, 3, 15, Decimal("1.5"))


def test_parts_of_dates_and_datetimes() -> None:
    day = date(2026, 3, 15)
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert (YEAR(day), MONTH(day), DAY(day)) == (2026, 3, 15)
    assert (YEAR(moment), MONTH(moment), DAY(moment)) == (2026, 12, 31)
    assert YEAR(None) is None
    assert MONTH(None) is None
    assert DAY(None) is None
    with pytest.raises(TypeError, match="YEAR takes a date, not text"):
        YEAR("2026-03-15")


def test_parts_of_a_datetime_are_taken_in_utc() -> None:
    plus_two = datetime(2026, 12, 31, 23, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    assert plus_two.year == 2027
    assert YEAR(plus_two) == 2026
    assert DAY(plus_two) == 31


def test_weekday_is_iso() -> None:
    assert WEEKDAY(date(2026, 3, 16)) == 1
    assert WEEKDAY(date(2026, 3, 21)) == 6
    assert WEEKDAY(date(2026, 3, 22)) == 7
    assert WEEKDAY(None) is None


def test_adddays() -> None:
    assert ADDDAYS(date(2026, 2, 27), 2) == date(2026, 3, 1)
    assert ADDDAYS(date(2024, 2, 28), 1) == date(2024, 2, 29)
    assert ADDDAYS(date(2026, 3, 15), -15) == date(2026, 2, 28)
    moment = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)
    assert ADDDAYS(moment, 1) == datetime(2026, 3, 16, 10, 30, tzinfo=UTC)
    assert ADDDAYS(None, 1) is None
    assert ADDDAYS(date(2026, 1, 1), None) is None


def test_adddays_out_of_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="outside the years"):
        ADDDAYS(date(9999, 12, 31), 1)
    with pytest.raises(ValueError, match="outside the years"):
        ADDDAYS(date(2026, 1, 1), 10**12)
    with pytest.raises(ValueError, match="whole number"):
        ADDDAYS(date(2026, 1, 1), Decimal("1.5"))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), 12, date(2027, 1, 15)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
    ],
)
def test_addmonths_clamps_to_month_ends(start: date, months: int, expected: date) -> None:
    assert ADDMONTHS(start, months) == expected


def test_addmonths_keeps_datetimes_and_blanks() -> None:
    moment = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
    assert ADDMONTHS(moment, 1) == datetime(2026, 2, 28, 8, 0, tzinfo=UTC)
    assert ADDMONTHS(None, 1) is None
    assert ADDMONTHS(date(2026, 1, 1), None) is None
    with pytest.raises(ValueError, match="outside the years"):
        ADDMONTHS(date(9999, 12, 1), 1)
    with pytest.raises(ValueError, match="outside the years"):
        ADDMONTHS(date(2026, 1, 1), 10**9)


@pytest.mark.parametrize(
    ("start", "end", "unit", "expected"),
    [
        (date(2026, 3, 1), date(2026, 3, 15), "day", 14),
        (date(2026, 3, 15), date(2026, 3, 1), "day", -14),
        (date(2026, 3, 1), date(2026, 3, 15), "week", 2),
        (date(2026, 3, 1), date(2026, 3, 14), "week", 1),
        (date(2026, 3, 14), date(2026, 3, 1), "week", -1),
        (date(2026, 1, 15), date(2026, 2, 14), "month", 0),
        (date(2026, 1, 15), date(2026, 2, 15), "month", 1),
        (date(2026, 2, 15), date(2026, 1, 16), "month", 0),
        (date(2026, 2, 15), date(2026, 1, 15), "month", -1),
        (date(2026, 1, 31), date(2026, 2, 27), "month", 0),
        (date(2026, 3, 1), date(2026, 1, 31), "month", -1),
        (date(2024, 2, 28), date(2025, 2, 27), "year", 0),
        (date(2024, 2, 28), date(2025, 2, 28), "year", 1),
        (date(1990, 3, 16), date(2026, 3, 15), "year", 35),
        (date(2026, 3, 15), date(1990, 3, 16), "year", -35),
        (date(2020, 5, 5), date(2026, 5, 5), "month", 72),
        (date(2026, 1, 1), date(2026, 1, 1), "year", 0),
        (date(2026, 3, 1), date(2026, 3, 15), "DAYS", 14),
        (date(2026, 3, 1), date(2026, 3, 15), " Weeks ", 2),
    ],
)
def test_datediff_counts_whole_units_towards_zero(
    start: date, end: date, unit: str, expected: int
) -> None:
    assert DATEDIFF(start, end, unit) == expected


def test_datediff_in_months_agrees_with_addmonths() -> None:
    # January 31 plus one month is February 28, so that is one whole month.
    assert DATEDIFF(date(2026, 1, 31), date(2026, 2, 28), "month") == 1
    assert ADDMONTHS(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert DATEDIFF(date(2024, 2, 29), date(2025, 2, 28), "year") == 1
    for start in (date(2026, 1, 31), date(2026, 5, 31), date(2024, 2, 29), date(2026, 7, 15)):
        for offset in range(-400, 400, 7):
            end = start + timedelta(days=offset)
            months = DATEDIFF(start, end, "month")
            assert months is not None
            reached = ADDMONTHS(start, months)
            assert reached is not None
            assert (reached <= end) if offset >= 0 else (reached >= end), (start, end)


def test_datediff_with_datetimes_counts_whole_days_towards_zero() -> None:
    early = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert DATEDIFF(early, datetime(2026, 3, 2, 11, 59, tzinfo=UTC)) == 0
    assert DATEDIFF(early, datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) == 1
    assert DATEDIFF(datetime(2026, 3, 2, 11, 59, tzinfo=UTC), early) == 0
    assert DATEDIFF(datetime(2026, 3, 3, 13, 0, tzinfo=UTC), early) == -2
    # A date is midnight UTC.
    assert DATEDIFF(date(2026, 3, 1), early) == 0
    assert DATEDIFF(date(2026, 3, 1), datetime(2026, 4, 1, 0, 0, tzinfo=UTC), "month") == 1


def test_datediff_blanks_and_units() -> None:
    assert DATEDIFF(None, date(2026, 1, 1)) is None
    assert DATEDIFF(date(2026, 1, 1), None, "year") is None
    with pytest.raises(ValueError, match="DATEDIFF counts in day, week, month, year"):
        DATEDIFF(date(2026, 1, 1), date(2026, 2, 1), "fortnight")
    with pytest.raises(ValueError, match="DATEDIFF counts in"):
        DATEDIFF(date(2026, 1, 1), date(2026, 2, 1), None)


def brute_business_days(start: date, end: date) -> int:
    """Count Monday-to-Friday days from start to end, both included, one day at a time."""
    low, high = min(start, end), max(start, end)
    count = 0
    # By ordinal, so the loop can reach date.max without stepping past it.
    for ordinal in range(low.toordinal(), high.toordinal() + 1):
        if date.fromordinal(ordinal).weekday() < 5:
            count += 1
    return count if start <= end else -count


def test_businessdays_on_known_weeks() -> None:
    monday, friday = date(2026, 3, 16), date(2026, 3, 20)
    assert BUSINESSDAYS(monday, friday) == 5
    assert BUSINESSDAYS(friday, monday) == -5
    assert BUSINESSDAYS(monday, monday) == 1
    assert BUSINESSDAYS(date(2026, 3, 21), date(2026, 3, 21)) == 0
    assert BUSINESSDAYS(date(2026, 3, 21), date(2026, 3, 22)) == 0
    assert BUSINESSDAYS(date(2026, 3, 20), date(2026, 3, 23)) == 2
    assert BUSINESSDAYS(None, monday) is None
    assert BUSINESSDAYS(monday, None) is None


def test_businessdays_matches_a_day_by_day_count() -> None:
    generator = random.Random(20260315)
    base = date(2026, 3, 2)  # a Monday
    cases = [
        (base + timedelta(days=a), base + timedelta(days=b))
        for a in range(7)
        for b in range(-8, 22)
    ]
    for _ in range(2000):
        start = date(2000, 1, 1) + timedelta(days=generator.randrange(0, 365 * 50))
        cases.append((start, start + timedelta(days=generator.randrange(-800, 800))))
    for start, end in cases:
        assert BUSINESSDAYS(start, end) == brute_business_days(start, end), (start, end)


def test_businessdays_reads_datetimes_by_their_utc_date() -> None:
    friday_night = datetime(2026, 3, 20, 23, 0, tzinfo=UTC)
    assert BUSINESSDAYS(datetime(2026, 3, 16, 8, 0, tzinfo=UTC), friday_night) == 5


def test_businessdays_does_not_loop_over_days() -> None:
    start, end = date(1000, 1, 1), date(2999, 12, 31)
    started = time.perf_counter()
    for _ in range(1000):
        BUSINESSDAYS(start, end)
    # A day-by-day loop over these 730,000 days, a thousand times, would take minutes.
    assert time.perf_counter() - started < 0.5
    assert BUSINESSDAYS(start, end) == brute_business_days(start, end)

    first_month = date(1, 2, 1)
    last_month = date(9999, 12, 1)
    assert BUSINESSDAYS(date.min, first_month) == brute_business_days(date.min, first_month)
    assert BUSINESSDAYS(last_month, date.max) == brute_business_days(last_month, date.max)
    assert BUSINESSDAYS(date.max, last_month) == -brute_business_days(last_month, date.max)
