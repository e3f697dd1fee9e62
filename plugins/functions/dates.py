"""Date functions: the clock, building and taking apart dates, date arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from engine.extensions import EvaluationContext, Kind, Usage, describe_value, library_function
from plugins.functions.maths import as_whole

CATEGORY = "Dates"

#: Where a volatile function may appear: a stored formula would go stale the next moment.
VOLATILE_USAGES = frozenset({Usage.DEFAULT, Usage.VALIDATION, Usage.CONDITION})

UNITS = ("day", "week", "month", "year")


def _moment(value: Any, function: str) -> date | None:
    """A date or a date-time (in UTC), None staying None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        # Naive date-times are taken as UTC, the engine's only time zone.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return value
    raise TypeError(f"{function} takes a date, not {describe_value(value)}")


def _day(value: Any, function: str) -> date | None:
    """The calendar date (UTC) of a date or date-time."""
    moment = _moment(value, function)
    return moment.date() if isinstance(moment, datetime) else moment


def _out_of_range(function: str) -> ValueError:
    return ValueError(f"{function} gives a date outside the years 1 to 9999")


@library_function(
    category=CATEGORY,
    returns=Kind.DATE,
    needs_context=True,
    usages=VOLATILE_USAGES,
    examples=[("TODAY()", date(2026, 3, 15)), ("ADDDAYS(TODAY(), 7)", date(2026, 3, 22))],
)
def TODAY(context: EvaluationContext) -> date:
    """The current date (UTC).

    It changes every day, so it is not allowed in stored formulas.
    """
    return context.today


@library_function(
    category=CATEGORY,
    returns=Kind.DATETIME,
    needs_context=True,
    usages=VOLATILE_USAGES,
    examples=[
        ("NOW()", datetime(2026, 3, 15, 10, 30, tzinfo=UTC)),
        ("due_at < NOW()", True, {"due_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC)}),
    ],
)
def NOW(context: EvaluationContext) -> datetime:
    """The current date and time (UTC).

    It changes every moment, so it is not allowed in stored formulas.
    """
    return context.now


@library_function(
    category=CATEGORY,
    returns=Kind.DATE,
    examples=[
        ("DATE(2026, 3, 15)", date(2026, 3, 15)),
        ("DATE(fiscal_year, 12, 31)", date(2026, 12, 31), {"fiscal_year": 2026}),
        ("DATE(fiscal_year, 12, 31)", None, {"fiscal_year": None}),
    ],
)
def DATE(year: Any, month: Any, day: Any) -> date | None:
    """The date of `year`, `month` and `day`.

    A blank part gives blank; a date that does not exist (February 30) is an error.
    """
    if year is None or month is None or day is None:
        return None
    parts = (
        as_whole(year, "DATE", "the year"),
        as_whole(month, "DATE", "the month"),
        as_whole(day, "DATE", "the day"),
    )
    try:
        return date(*parts)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"DATE{parts} is not a valid date: {error}") from error


@library_function(
    category=CATEGORY,
    returns=Kind.DATETIME,
    examples=[
        ("DATETIME(2026, 3, 15, 10, 30)", datetime(2026, 3, 15, 10, 30, tzinfo=UTC)),
        ("DATETIME(2026, 3, 15)", datetime(2026, 3, 15, tzinfo=UTC)),
        ("DATETIME(year, 1, 1)", None, {"year": None}),
    ],
)
def DATETIME(
    year: Any, month: Any, day: Any, hour: Any = 0, minute: Any = 0, second: Any = 0
) -> datetime | None:
    """The date-time (UTC) of its parts; the time defaults to midnight.

    A blank part gives blank; a moment that does not exist (hour 24) is an error.
    """
    values = (year, month, day, hour, minute, second)
    if any(value is None for value in values):
        return None
    names = ("the year", "the month", "the day", "the hour", "the minute", "the second")
    parts = tuple(as_whole(v, "DATETIME", n) for v, n in zip(values, names, strict=True))
    year_, month_, day_, hour_, minute_, second_ = parts
    try:
        return datetime(year_, month_, day_, hour_, minute_, second_, tzinfo=UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"DATETIME{parts} is not a valid date-time: {error}") from error


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("YEAR(DATE(2026, 3, 15))", 2026),
        ("YEAR(close_date)", None, {"close_date": None}),
    ],
)
def YEAR(value: Any) -> int | None:
    """The year of a date or date-time (UTC).

    A blank date gives blank.
    """
    day = _day(value, "YEAR")
    return None if day is None else day.year


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("MONTH(DATE(2026, 3, 15))", 3),
        ("MONTH(close_date)", None, {"close_date": None}),
    ],
)
def MONTH(value: Any) -> int | None:
    """The month (1 to 12) of a date or date-time (UTC).

    A blank date gives blank.
    """
    day = _day(value, "MONTH")
    return None if day is None else day.month


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("DAY(DATE(2026, 3, 15))", 15),
        ("DAY(created_at)", 14, {"created_at": datetime(2026, 3, 14, 23, 59, tzinfo=UTC)}),
        ("DAY(close_date)", None, {"close_date": None}),
    ],
)
def DAY(value: Any) -> int | None:
    """The day of the month (1 to 31) of a date or date-time (UTC).

    A blank date gives blank.
    """
    day = _day(value, "DAY")
    return None if day is None else day.day


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("WEEKDAY(DATE(2026, 3, 16))", 1),
        ("WEEKDAY(DATE(2026, 3, 15))", 7),
        ("WEEKDAY(close_date)", None, {"close_date": None}),
    ],
)
def WEEKDAY(value: Any) -> int | None:
    """The ISO day of the week of a date: 1 is Monday, 7 is Sunday.

    A blank date gives blank.
    """
    day = _day(value, "WEEKDAY")
    return None if day is None else day.isoweekday()


@library_function(
    category=CATEGORY,
    returns=Kind.DATE,
    examples=[
        ("ADDDAYS(DATE(2026, 2, 27), 2)", date(2026, 3, 1)),
        ("ADDDAYS(DATE(2026, 3, 15), -15)", date(2026, 2, 28)),
        ("ADDDAYS(close_date, 30)", None, {"close_date": None}),
    ],
)
def ADDDAYS(value: Any, days: Any) -> date | None:
    """The date `days` days after the date (before it when `days` is negative).

    A date-time stays a date-time, at the same time of day. A blank date or number of
    days gives blank.
    """
    moment = _moment(value, "ADDDAYS")
    if moment is None or days is None:
        return None
    try:
        return moment + timedelta(days=as_whole(days, "ADDDAYS", "the days"))
    except OverflowError as error:
        raise _out_of_range("ADDDAYS") from error


@library_function(
    category=CATEGORY,
    returns=Kind.DATE,
    examples=[
        ("ADDMONTHS(DATE(2026, 1, 31), 1)", date(2026, 2, 28)),
        ("ADDMONTHS(DATE(2028, 1, 31), 1)", date(2028, 2, 29)),
        ("ADDMONTHS(DATE(2026, 3, 15), -12)", date(2025, 3, 15)),
        ("ADDMONTHS(start_date, 12)", None, {"start_date": None}),
    ],
)
def ADDMONTHS(value: Any, months: Any) -> date | None:
    """The date `months` months after the date (before it when `months` is negative).

    A day that the target month lacks becomes its last day (January 31 plus one month
    is February 28, or 29 in a leap year). A date-time stays a date-time. A blank date
    or number of months gives blank.
    """
    moment = _moment(value, "ADDMONTHS")
    if moment is None or months is None:
        return None
    try:
        result: date = moment + relativedelta(months=as_whole(months, "ADDMONTHS", "the months"))
    except (ValueError, OverflowError) as error:
        raise _out_of_range("ADDMONTHS") from error
    return result


def _unit(unit: Any) -> str:
    name = unit.strip().lower() if isinstance(unit, str) else None
    if name is not None and name.endswith("s"):
        name = name[:-1]
    if name not in UNITS:
        raise ValueError(f"DATEDIFF counts in {', '.join(UNITS)}, not {unit!r}")
    return name


def _as_datetime(moment: date) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("DATEDIFF(DATE(2026, 3, 1), DATE(2026, 3, 15))", 14),
        ("DATEDIFF(DATE(2026, 3, 15), DATE(2026, 3, 1))", -14),
        ("DATEDIFF(DATE(2026, 3, 1), DATE(2026, 3, 15), 'week')", 2),
        ("DATEDIFF(DATE(2026, 1, 15), DATE(2026, 2, 14), 'month')", 0),
        ("DATEDIFF(DATE(2026, 1, 15), DATE(2026, 2, 15), 'month')", 1),
        ("DATEDIFF(DATE(2026, 1, 31), DATE(2026, 2, 28), 'month')", 1),
        ("DATEDIFF(birth_date, TODAY(), 'year')", 35, {"birth_date": date(1990, 3, 16)}),
        ("DATEDIFF(start_date, end_date)", None, {"start_date": None, "end_date": None}),
    ],
)
def DATEDIFF(start: Any, end: Any, unit: Any = "day") -> int | None:
    """The number of whole days, weeks, months or years from `start` to `end`.

    `unit` is "day" (the default), "week", "month" or "year". Partial units are dropped;
    the result is negative when `end` is before `start`. Months and years count as
    ADDMONTHS does: the most whole months that, added to `start`, do not pass `end`
    (so January 31 to February 28 is one month). Dates and date-times mix (a date is
    midnight UTC). A blank date gives blank.
    """
    name = _unit(unit)
    first = _moment(start, "DATEDIFF")
    last = _moment(end, "DATEDIFF")
    if first is None or last is None:
        return None
    if not isinstance(first, datetime) and not isinstance(last, datetime):
        days = (last - first).days
    else:
        first, last = _as_datetime(first), _as_datetime(last)
        delta = last - first
        # timedelta.days rounds towards minus infinity; whole days round towards zero.
        days = delta.days if delta >= timedelta(0) else -(-delta).days
    if name == "day":
        return days
    if name == "week":
        return days // 7 if days >= 0 else -(-days // 7)
    # relativedelta counts months as ADDMONTHS adds them, and truncates towards zero.
    between = relativedelta(last, first)
    years, months = int(between.years), int(between.months)
    return years * 12 + months if name == "month" else years


def _weekdays_before(ordinal: int) -> int:
    """Monday-to-Friday days from 0001-01-01 (a Monday) up to, not including, `ordinal`."""
    weeks, rest = divmod(ordinal - 1, 7)
    return 5 * weeks + min(rest, 5)


@library_function(
    category=CATEGORY,
    returns=Kind.NUMBER,
    examples=[
        ("BUSINESSDAYS(DATE(2026, 3, 16), DATE(2026, 3, 20))", 5),
        ("BUSINESSDAYS(DATE(2026, 3, 13), DATE(2026, 3, 16))", 2),
        ("BUSINESSDAYS(DATE(2026, 3, 14), DATE(2026, 3, 15))", 0),
        ("BUSINESSDAYS(DATE(2026, 3, 20), DATE(2026, 3, 16))", -5),
        ("BUSINESSDAYS(opened_on, TODAY())", None, {"opened_on": None}),
    ],
)
def BUSINESSDAYS(start: Any, end: Any) -> int | None:
    """The number of Monday-to-Friday days from `start` to `end`, both included.

    Holidays are not known, so they count as business days. When `end` is before
    `start` the result is negative. A date-time counts by its date (UTC). A blank date
    gives blank.
    """
    first = _day(start, "BUSINESSDAYS")
    last = _day(end, "BUSINESSDAYS")
    if first is None or last is None:
        return None
    low, high = sorted((first.toordinal(), last.toordinal()))
    count = _weekdays_before(high + 1) - _weekdays_before(low)
    return count if first <= last else -count
