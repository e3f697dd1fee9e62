"""Cross-object functions: questions about other records, answered by the database.

Each takes a filter as its last argument: a dict in the filter language of the data
API, such as {"account": account, "issued_on": {"gte": DATE(2026, 1, 1)}}, whose
values are evaluated on the record first. The checker relies on the filter being last.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from engine.extensions import (
    EXAMPLE_ACCOUNT,
    EvaluationContext,
    Kind,
    ObjectQuery,
    RecordSource,
    describe_value,
    library_function,
)

CATEGORY = "Cross-object"

#: Functions whose last argument is a filter document.
FILTER_LAST = frozenset({"COUNT_RECORDS", "SUM_RECORDS", "EXISTS_RECORD", "FETCH_VALUE"})

# The examples query the invoices of EXAMPLE_RECORDS (listed in docs/expressions.md).
_ACCOUNT = EXAMPLE_ACCOUNT
_OTHER_ACCOUNT = UUID("00000000-0000-0000-0000-0000000000a9")


def _source(context: EvaluationContext) -> RecordSource:
    # The deadline is checked before the query: a query is the costly part.
    context.remaining()
    if context.records is None:
        raise ValueError("cross-object functions are not available here")
    return context.records


def _name(value: Any, function: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{function} takes {what} as text, not {describe_value(value)}")
    return value


def _filter(value: Any, function: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(
            f'{function} takes a filter such as {{"account": account}}, not {describe_value(value)}'
        )
    return value


def _plain(value: Any) -> Any:
    # A database may hand back floats; expressions only ever see exact numbers.
    return Decimal(str(value)) if isinstance(value, float) else value


@library_function(
    queries=ObjectQuery(object=0, filter=1),
    category=CATEGORY,
    returns=Kind.NUMBER,
    needs_context=True,
    is_costly=True,
    examples=[
        ('COUNT_RECORDS("invoice", {"account": account})', 3, {"account": _ACCOUNT}),
        (
            'COUNT_RECORDS("invoice", {"account": account, "status": "open"})',
            2,
            {"account": _ACCOUNT},
        ),
        ('COUNT_RECORDS("invoice", {"account": account})', 0, {"account": None}),
    ],
)
def COUNT_RECORDS(context: EvaluationContext, object_name: Any, filter: Any) -> int:
    """The number of records of `object_name` that match the filter.

    The filter is the last argument. A blank value in the filter matches the records
    where that field is blank.
    """
    source = _source(context)
    return source.count(
        _name(object_name, "COUNT_RECORDS", "the object"), _filter(filter, "COUNT_RECORDS")
    )


@library_function(
    queries=ObjectQuery(object=0, fields=(1,), filter=2),
    category=CATEGORY,
    returns=Kind.NUMBER,
    needs_context=True,
    is_costly=True,
    examples=[
        (
            'SUM_RECORDS("invoice", "amount", {"account": account})',
            Decimal("250.00"),
            {"account": _ACCOUNT},
        ),
        (
            'SUM_RECORDS("invoice", "amount", {"account": account, "status": "open"})',
            Decimal("130.00"),
            {"account": _ACCOUNT},
        ),
        ('SUM_RECORDS("invoice", "amount", {"account": account})', 0, {"account": _OTHER_ACCOUNT}),
    ],
)
def SUM_RECORDS(context: EvaluationContext, object_name: Any, field: Any, filter: Any) -> Any:
    """The total of `field` over the records of `object_name` that match the filter.

    The filter is the last argument. Blank values of the field are left out; when no
    record matches, the total is 0.
    """
    source = _source(context)
    total = source.total(
        _name(object_name, "SUM_RECORDS", "the object"),
        _name(field, "SUM_RECORDS", "the field"),
        _filter(filter, "SUM_RECORDS"),
    )
    return 0 if total is None else _plain(total)


@library_function(
    queries=ObjectQuery(object=0, filter=1),
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    needs_context=True,
    is_costly=True,
    examples=[
        (
            'EXISTS_RECORD("invoice", {"account": account, "status": "open"})',
            True,
            {"account": _ACCOUNT},
        ),
        (
            'EXISTS_RECORD("invoice", {"account": account, "amount": {"gt": 500}})',
            False,
            {"account": _ACCOUNT},
        ),
        ('EXISTS_RECORD("invoice", {"account": account})', False, {"account": None}),
    ],
)
def EXISTS_RECORD(context: EvaluationContext, object_name: Any, filter: Any) -> bool:
    """Whether at least one record of `object_name` matches the filter.

    The filter is the last argument. A blank value in the filter matches the records
    where that field is blank.
    """
    source = _source(context)
    # Fetching one id stops at the first match, where counting would scan every match.
    first = source.first_value(
        _name(object_name, "EXISTS_RECORD", "the object"), "id", _filter(filter, "EXISTS_RECORD")
    )
    return first is not None


@library_function(
    queries=ObjectQuery(object=0, fields=(1,), filter=2),
    category=CATEGORY,
    returns=Kind.ANY,
    needs_context=True,
    is_costly=True,
    examples=[
        (
            'FETCH_VALUE("invoice", "issued_on", {"account": account})',
            date(2026, 1, 10),
            {"account": _ACCOUNT},
        ),
        (
            'FETCH_VALUE("invoice", "amount", {"account": account, "status": "open"})',
            Decimal("80.00"),
            {"account": _ACCOUNT},
        ),
        (
            'FETCH_VALUE("invoice", "status", {"account": account})',
            None,
            {"account": _OTHER_ACCOUNT},
        ),
    ],
)
def FETCH_VALUE(context: EvaluationContext, object_name: Any, field: Any, filter: Any) -> Any:
    """The value of `field` in the oldest record of `object_name` matching the filter.

    The filter is the last argument. The result is blank when no record matches, or
    when the field of that record is blank.
    """
    source = _source(context)
    value = source.first_value(
        _name(object_name, "FETCH_VALUE", "the object"),
        _name(field, "FETCH_VALUE", "the field"),
        _filter(filter, "FETCH_VALUE"),
    )
    return _plain(value)
