"""Cross-object functions, over an in-memory record source."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from engine.expressions.evaluation_context import ExpressionTimeout
from engine.extensions import describe_function
from plugins.functions.records import (
    COUNT_RECORDS,
    EXISTS_RECORD,
    FETCH_VALUE,
    FILTER_LAST,
    SUM_RECORDS,
)
from tests.plugins import MemoryRecords, make_context

DEALER = UUID(int=7)
OTHER = UUID(int=8)

CONTRACTS = [
    {
        "id": UUID(int=1),
        "dealer": DEALER,
        "value": Decimal("10.50"),
        "start_date": date(2026, 1, 1),
    },
    {"id": UUID(int=2), "dealer": DEALER, "value": None, "start_date": date(2026, 6, 1)},
    {"id": UUID(int=3), "dealer": DEALER, "value": Decimal("4.50"), "start_date": date(2025, 1, 1)},
    {"id": UUID(int=4), "dealer": OTHER, "value": 0.1, "start_date": date(2026, 1, 1)},
]


@pytest.fixture
def source() -> MemoryRecords:
    return MemoryRecords({"contract": CONTRACTS})


def context_with(source: MemoryRecords | None, **overrides: Any) -> Any:
    return make_context(records=source, **overrides)


def test_count_records(source: MemoryRecords) -> None:
    context = context_with(source)
    assert COUNT_RECORDS(context, "contract", {"dealer": DEALER}) == 3
    assert (
        COUNT_RECORDS(
            context, "contract", {"dealer": DEALER, "start_date": {"lte": date(2026, 1, 1)}}
        )
        == 2
    )
    assert COUNT_RECORDS(context, "contract", {"dealer": None}) == 0
    assert COUNT_RECORDS(context, "contract", {}) == 4


def test_sum_records_skips_blanks_and_is_zero_without_matches(source: MemoryRecords) -> None:
    context = context_with(source)
    assert SUM_RECORDS(context, "contract", "value", {"dealer": DEALER}) == Decimal("15.00")
    assert SUM_RECORDS(context, "contract", "value", {"dealer": UUID(int=99)}) == 0


def test_floats_from_the_database_become_decimals(source: MemoryRecords) -> None:
    context = context_with(source)
    total = SUM_RECORDS(context, "contract", "value", {"dealer": OTHER})
    assert total == Decimal("0.1")
    assert isinstance(total, Decimal)
    fetched = FETCH_VALUE(context, "contract", "value", {"dealer": OTHER})
    assert isinstance(fetched, Decimal)


def test_exists_record(source: MemoryRecords) -> None:
    context = context_with(source)
    assert EXISTS_RECORD(context, "contract", {"dealer": DEALER}) is True
    assert EXISTS_RECORD(context, "contract", {"dealer": UUID(int=99)}) is False
    # One row is enough to answer: it fetches, it does not count.
    assert source.calls[-1] == ("first_value", "contract")


def test_fetch_value_takes_the_oldest_match(source: MemoryRecords) -> None:
    context = context_with(source)
    assert FETCH_VALUE(context, "contract", "start_date", {"dealer": DEALER}) == date(2026, 1, 1)
    assert FETCH_VALUE(context, "contract", "value", {"dealer": UUID(int=99)}) is None


def test_without_a_record_source_they_are_not_available() -> None:
    context = context_with(None)
    for call in (
        lambda: COUNT_RECORDS(context, "contract", {}),
        lambda: SUM_RECORDS(context, "contract", "value", {}),
        lambda: EXISTS_RECORD(context, "contract", {}),
        lambda: FETCH_VALUE(context, "contract", "value", {}),
    ):
        with pytest.raises(ValueError, match="cross-object functions are not available here"):
            call()


def test_the_deadline_is_checked_before_querying(source: MemoryRecords) -> None:
    context = context_with(source, deadline=time.monotonic() - 1)
    with pytest.raises(ExpressionTimeout):
        COUNT_RECORDS(context, "contract", {})
    assert source.calls == []


def test_arguments_are_checked(source: MemoryRecords) -> None:
    context = context_with(source)
    with pytest.raises(TypeError, match="takes a filter"):
        COUNT_RECORDS(context, "contract", None)
    with pytest.raises(TypeError, match="the object as text"):
        COUNT_RECORDS(context, None, {})
    with pytest.raises(TypeError, match="the field as text"):
        SUM_RECORDS(context, "contract", 3, {})


def test_cross_object_functions_are_costly_and_take_the_filter_last() -> None:
    for function in (COUNT_RECORDS, SUM_RECORDS, EXISTS_RECORD, FETCH_VALUE):
        described = describe_function(function)
        assert described.is_costly
        assert described.needs_context
        assert described.name in FILTER_LAST
        assert "filter is the last argument" in described.description
