"""`find_unstorable`: the first part of a JSON value no database stores, what, where and why."""

from __future__ import annotations

import math
from typing import Any

import pytest

from engine.storable_json import (
    MAX_INT_DIGITS,
    MAX_JSON_DEPTH,
    Flaw,
    UnreadNumber,
    find_unstorable,
)


def nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        "plain text, emoji \U0001f600 and é",
        {"a": [1, 2.5, -(10**MAX_INT_DIGITS - 1), {"b": None}]},
        nested(MAX_JSON_DEPTH),
        {1: "a key that is not text is left to the JSON encoder"},
    ],
)
def test_a_storable_value_has_no_problem(value: Any) -> None:
    assert find_unstorable(value) is None


def test_the_first_problem_in_document_order_is_found() -> None:
    found = find_unstorable([{"a": "x\x00"}, "\ud800", math.nan])

    assert found is not None
    assert (found.flaw, found.path, found.pointer()) == (Flaw.NUL_CHARACTER, (0, "a"), "/0/a")


def test_a_problem_in_a_key_points_at_the_key_spelled_storably() -> None:
    found = find_unstorable({"a/b": {"~\ud800": 1}})

    assert found is not None
    assert found.flaw is Flaw.LONE_SURROGATE
    assert found.pointer("/extra") == "/extra/a~1b/~0\\ud800"


def test_nesting_past_the_limit_is_found_where_it_passes_it() -> None:
    found = find_unstorable({"k": nested(MAX_JSON_DEPTH)})

    assert found is not None
    assert found.flaw is Flaw.TOO_DEEP
    assert found.path == ("k", *[0] * (MAX_JSON_DEPTH - 1))
    assert found.reason == f"nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects"


@pytest.mark.parametrize(
    ("value", "flaw"),
    [
        (math.inf, Flaw.NOT_FINITE),
        (-math.inf, Flaw.NOT_FINITE),
        (math.nan, Flaw.NOT_FINITE),
        (10**MAX_INT_DIGITS, Flaw.TOO_MANY_DIGITS),
        (-(10**5000), Flaw.TOO_MANY_DIGITS),
    ],
    ids=["inf", "-inf", "nan", "1,001 digits", "-5,001 digits"],
)
def test_a_number_no_column_holds_is_found(value: Any, flaw: Flaw) -> None:
    found = find_unstorable({"n": (1, value)})

    assert found is not None
    assert (found.flaw, found.pointer()) == (flaw, "/n/1")


def test_a_number_a_decoder_could_not_read_is_found_with_its_reason() -> None:
    unread = UnreadNumber("1e400", Flaw.NOT_FINITE, "1e400 is too large")

    found = find_unstorable({"n": [unread]})

    assert found is not None
    assert (found.flaw, found.pointer(), found.reason, found.part) == (
        Flaw.NOT_FINITE,
        "/n/0",
        "1e400 is too large",
        unread,
    )


def test_clean_leaves_skip_the_walk_but_not_the_depth() -> None:
    assert find_unstorable({"a": "x\x00"}, has_clean_leaves=True) is None
    found = find_unstorable(nested(MAX_JSON_DEPTH + 1), has_clean_leaves=True)
    assert found is not None and found.flaw is Flaw.TOO_DEEP


def test_each_flaw_has_the_code_a_request_answers_it_with() -> None:
    assert {flaw: flaw.code for flaw in Flaw} == {
        Flaw.NUL_CHARACTER: "invalid-character",
        Flaw.LONE_SURROGATE: "invalid-character",
        Flaw.NOT_FINITE: "invalid-number",
        Flaw.TOO_MANY_DIGITS: "invalid-number",
        Flaw.TOO_DEEP: "too-deep",
    }
