"""Text functions, REGEX's time limit included."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from engine.budget import RequestBudget
from engine.expressions.evaluation_context import ExpressionTimeout
from engine.expressions.patterns import PatternCache
from plugins.functions.text import (
    BEGINS,
    CONCAT,
    CONTAINS,
    ENDS,
    LEFT,
    LEN,
    LOWER,
    LPAD,
    MAX_TEXT_LENGTH,
    MID,
    REGEX,
    RIGHT,
    SUBSTITUTE,
    TEXT,
    TRIM,
    UPPER,
    VALUE,
)
from tests.plugins import make_context


def test_len_counts_characters_and_blank_is_zero() -> None:
    assert LEN("abc") == 3
    assert LEN("") == 0
    assert LEN(None) == 0
    assert LEN("é✓") == 2


def test_text_functions_refuse_other_kinds_with_a_hint() -> None:
    with pytest.raises(TypeError, match=r"LEN takes text, not a number; convert it with TEXT"):
        LEN(42)
    with pytest.raises(TypeError, match="UPPER takes text, not a date"):
        UPPER(date(2026, 1, 1))


def test_left_right_cut_and_clamp_counts() -> None:
    assert LEFT("Tessera", 3) == "Tes"
    assert LEFT("Tessera", 0) == ""
    assert LEFT("Tessera", -2) == ""
    assert LEFT("Tessera", 99) == "Tessera"
    assert LEFT("Tessera", Decimal("2")) == "Te"
    assert RIGHT("Tessera", 3) == "era"
    assert RIGHT("Tessera", 0) == ""
    assert RIGHT("Tessera", -1) == ""
    assert RIGHT("Tessera", 99) == "Tessera"
    assert LEFT(None, 2) is None
    assert RIGHT(None, 2) is None


def test_counts_must_be_whole_numbers() -> None:
    with pytest.raises(ValueError, match="whole number"):
        LEFT("abc", Decimal("1.5"))
    with pytest.raises(TypeError, match="not blank"):
        LEFT("abc", None)
    with pytest.raises(TypeError, match="not true/false"):
        RIGHT("abc", True)


def test_mid_is_one_based_and_clamps() -> None:
    assert MID("Tessera", 1, 3) == "Tes"
    assert MID("Tessera", 2, 3) == "ess"
    assert MID("Tessera", 6, 10) == "ra"
    assert MID("Tessera", 0, 2) == "Te"
    assert MID("Tessera", -5, 2) == "Te"
    assert MID("Tessera", 20, 2) == ""
    assert MID("Tessera", 2, -1) == ""
    assert MID(None, 1, 2) is None


def test_case_and_trim() -> None:
    assert UPPER("straße") == "STRASSE"
    assert LOWER("ÀB") == "àb"
    assert TRIM(" \t a b \n") == "a b"
    assert UPPER(None) is None
    assert LOWER(None) is None
    assert TRIM(None) is None


def test_contains_begins_ends() -> None:
    assert CONTAINS("Acme Ltd", "me L") is True
    assert CONTAINS("Acme Ltd", "ltd") is False
    assert CONTAINS("Acme", "") is True
    assert CONTAINS("Acme", None) is True
    assert CONTAINS(None, "a") is False
    assert CONTAINS(None, None) is False
    assert BEGINS("INV-1", "INV") is True
    assert BEGINS("INV-1", "inv") is False
    assert BEGINS(None, "") is False
    assert ENDS("a.pdf", ".pdf") is True
    assert ENDS("a.pdf", "") is True
    assert ENDS(None, ".pdf") is False


def test_substitute() -> None:
    assert SUBSTITUTE("a-b-c", "-", "/") == "a/b/c"
    assert SUBSTITUTE("a-b-c", "-", None) == "abc"
    assert SUBSTITUTE("abc", "", "x") == "abc"
    assert SUBSTITUTE("abc", None, "x") == "abc"
    assert SUBSTITUTE(None, "a", "b") is None


def test_substitute_refuses_to_grow_text_without_bound() -> None:
    text = "a" * 1000
    with pytest.raises(ValueError, match="longer than"):
        SUBSTITUTE(text, "a", "b" * 200)
    assert len(SUBSTITUTE(text, "a", "bb") or "") == 2000


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("x", "x"),
        (42, "42"),
        (-7, "-7"),
        (10**30, "1" + "0" * 30),
        (Decimal("2.50"), "2.50"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.5E-7"), "0.00000015"),
        (0.1, "0.1"),
        (True, "true"),
        (False, "false"),
        (date(2026, 3, 15), "2026-03-15"),
        (datetime(2026, 3, 15, 10, 30, tzinfo=UTC), "2026-03-15T10:30:00+00:00"),
        (["a", "b"], "a, b"),
        (UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    ],
)
def test_text_converts_every_kind(value: object, text: str) -> None:
    assert TEXT(value) == text


def test_text_refuses_unknown_values() -> None:
    with pytest.raises(TypeError, match="TEXT cannot convert"):
        TEXT(object())


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("42", 42),
        (" -7 ", -7),
        ("+3", 3),
        ("3.50", Decimal("3.50")),
        (".5", Decimal("0.5")),
        ("0", 0),
    ],
)
def test_value_reads_whole_numbers_as_int_and_others_as_decimal(
    text: str, number: int | Decimal
) -> None:
    result = VALUE(text)
    assert result == number
    assert type(result) is type(number)


def test_value_of_blank_is_blank() -> None:
    assert VALUE(None) is None
    assert VALUE("") is None
    assert VALUE("   ") is None


@pytest.mark.parametrize("text", ["abc", "1,000", "1e3", "NaN", "Infinity", "1_000", "٣", "--1"])
def test_value_refuses_what_is_not_a_plain_number(text: str) -> None:
    with pytest.raises(ValueError, match=r"VALUE: .* is not a number"):
        VALUE(text)


def test_value_shortens_long_text_in_its_message() -> None:
    with pytest.raises(ValueError, match="…"):
        VALUE("x" * 500)


def test_regex_matches_the_whole_text() -> None:
    context = make_context()
    assert REGEX(context, "AB-1234", "[A-Z]{2}-[0-9]{4}") is True
    assert REGEX(context, "xAB-1234", "[A-Z]{2}-[0-9]{4}") is False
    assert REGEX(context, "AB-12345", "[A-Z]{2}-[0-9]{4}") is False
    assert REGEX(context, None, "a*") is False


def test_regex_reports_an_invalid_pattern_as_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid pattern"):
        REGEX(make_context(), "a", "(")
    with pytest.raises(ValueError, match="needs a pattern"):
        REGEX(make_context(), "a", "")


def test_regex_works_without_a_deadline() -> None:
    # The regex module reads an infinite timeout as already expired.
    context = make_context()
    assert context.deadline == float("inf")
    assert REGEX(context, "aaa", "a+") is True


def test_the_regex_module_answers_nested_quantifiers_at_once() -> None:
    # The textbook catastrophic pattern: the regex module recognises it and does not
    # backtrack exponentially, so it fails fast instead of timing out.
    context = make_context()
    context.start_clock(0.2)
    assert REGEX(context, "a" * 30 + "!", "(a+)+$") is False


@pytest.mark.parametrize("pattern", ["(a|aa)+$", "(a|a)+$"])
def test_a_catastrophic_regex_stops_at_the_deadline(pattern: str) -> None:
    context = make_context()
    context.start_clock(0.2)
    started = time.monotonic()
    with pytest.raises(ExpressionTimeout, match="REGEX ran past the time limit"):
        REGEX(context, "a" * 40 + "!", pattern)
    assert time.monotonic() - started < 1.0


def test_regex_after_the_deadline_times_out_at_once() -> None:
    context = make_context(deadline=time.monotonic() - 1)
    with pytest.raises(ExpressionTimeout):
        REGEX(context, "a", "a")


class OffLoopRecorder:
    """A scheduler that notes each call it is asked to run off the event loop."""

    def __init__(self) -> None:
        self.calls = 0

    def pause(self) -> None:
        pass

    def run_blocking(self, call):  # type: ignore[no-untyped-def]
        self.calls += 1
        return call()


def test_a_quick_match_runs_in_place_and_a_slow_one_moves_off_the_loop() -> None:
    scheduler = OffLoopRecorder()
    context = make_context(budget=RequestBudget(scheduler=scheduler))
    context.start_clock(0.2)
    assert REGEX(context, "AB-1234", "[A-Z]{2}-[0-9]{4}") is True
    assert scheduler.calls == 0
    with pytest.raises(ExpressionTimeout, match="REGEX ran past the time limit"):
        REGEX(context, "a" * 40 + "!", "(a|aa)+$")
    assert scheduler.calls == 1


def test_regex_compiles_each_pattern_once_in_the_contexts_cache() -> None:
    patterns = PatternCache()
    first, second = make_context(patterns=patterns), make_context(patterns=patterns)
    assert REGEX(first, "abc", "[a-c]+") is True
    assert REGEX(second, "abd", "[a-c]+") is False
    assert len(patterns) == 1


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(?:c{1000}){3000}", "expands to 3003000 items"),
        ("(" * 25 + "a" + ")" * 25, "nests groups 25 deep"),
        ("a" * 1001, "1001 characters"),
    ],
)
def test_a_pattern_past_a_limit_is_an_error_naming_the_limit(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"REGEX: .*{message}"):
        REGEX(make_context(), "c", pattern)


def test_concat_converts_parts_and_blanks_are_empty() -> None:
    assert CONCAT("a") == "a"
    assert CONCAT("INV-", 42, "-", Decimal("1.50")) == "INV-42-1.50"
    assert CONCAT(None, "x", None) == "x"
    assert CONCAT(None) == ""
    assert CONCAT(True, date(2026, 1, 2)) == "true2026-01-02"


def test_concat_is_bounded() -> None:
    half = "a" * (MAX_TEXT_LENGTH // 2 + 1)
    with pytest.raises(ValueError, match="longer than"):
        CONCAT(half, half)


def test_lpad() -> None:
    assert LPAD("42", 5, "0") == "00042"
    assert LPAD("7", 3) == "  7"
    assert LPAD("7", 6, "ab") == "ababa7"
    assert LPAD("123456", 4) == "1234"
    assert LPAD("abc", 0) == ""
    assert LPAD("abc", -3) == ""
    assert LPAD("", 2, "x") == "xx"
    assert LPAD(None, 5, "0") is None


def test_lpad_refuses_an_empty_pad_and_huge_lengths() -> None:
    with pytest.raises(ValueError, match="pad"):
        LPAD("a", 3, "")
    with pytest.raises(ValueError, match="pad"):
        LPAD("a", 3, None)
    with pytest.raises(ValueError, match="longer than"):
        LPAD("a", MAX_TEXT_LENGTH + 1)
