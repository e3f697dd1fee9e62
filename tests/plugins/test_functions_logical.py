"""IF, CASE, AND, OR, NOT and the blank functions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugins.functions.logical import AND, BLANKVALUE, CASE, IF, ISBLANK, NOT, NULLVALUE, OR


def test_if_picks_a_branch_and_treats_a_blank_condition_as_false() -> None:
    assert IF(True, "a", "b") == "a"
    assert IF(False, "a", "b") == "b"
    assert IF(None, "a", "b") == "b"


def test_if_refuses_a_condition_that_is_not_true_or_false() -> None:
    with pytest.raises(TypeError, match="IF takes a condition"):
        IF(1, "a", "b")
    with pytest.raises(TypeError, match="not text"):
        IF("yes", "a", "b")


def test_case_matches_pairs_in_order_and_falls_back_to_the_else() -> None:
    assert CASE("b", "a", 1, "b", 2, "b", 3) == 2
    assert CASE("z", "a", 1, "b", 2, 0) == 0
    assert CASE("z", "a", 1, "b", 2) is None
    assert CASE("a", "a", 1) == 1
    assert CASE("z", "a", 1) is None


def test_case_matches_blank_to_none_and_numbers_across_int_and_decimal() -> None:
    assert CASE(None, None, "blank", "other") == "blank"
    assert CASE(None, "", "empty", "other") == "other"
    assert CASE(Decimal("2.0"), 2, "two", "other") == "two"


def test_case_does_not_match_true_with_one() -> None:
    assert CASE(True, 1, "one", "other") == "other"
    assert CASE(1, True, "true", "other") == "other"
    assert CASE(True, True, "true", "other") == "true"


def test_and_or_need_every_or_one_condition() -> None:
    assert AND(True) is True
    assert AND(True, True, True) is True
    assert AND(True, False) is False
    assert OR(False, False, True) is True
    assert OR(False) is False


def test_and_or_treat_blank_as_false() -> None:
    assert AND(True, None) is False
    assert OR(None, None) is False
    assert OR(None, True) is True


def test_and_or_check_every_argument_even_after_the_answer_is_known() -> None:
    with pytest.raises(TypeError, match="AND"):
        AND(False, "x")
    with pytest.raises(TypeError, match="OR"):
        OR(True, 3)


def test_not() -> None:
    assert NOT(True) is False
    assert NOT(False) is True
    assert NOT(None) is True
    with pytest.raises(TypeError):
        NOT(0)


@pytest.mark.parametrize(
    ("value", "blank"),
    [
        (None, True),
        ("", True),
        ("   ", True),
        ("\t\n", True),
        ([], True),
        ("a", False),
        (" a ", False),
        (0, False),
        (Decimal("0"), False),
        (False, False),
        (["x"], False),
    ],
)
def test_isblank(value: object, blank: bool) -> None:
    assert ISBLANK(value) is blank


def test_blankvalue_substitutes_blanks_and_keeps_the_rest() -> None:
    assert BLANKVALUE(None, 5) == 5
    assert BLANKVALUE("  ", "x") == "x"
    assert BLANKVALUE([], ["a"]) == ["a"]
    assert BLANKVALUE(0, 5) == 0
    assert BLANKVALUE(False, True) is False
    assert BLANKVALUE("v", "x") == "v"


def test_nullvalue_substitutes_only_none() -> None:
    assert NULLVALUE(None, 5) == 5
    assert NULLVALUE("", "x") == ""
    assert NULLVALUE("  ", "x") == "  "
    assert NULLVALUE([], ["a"]) == []
    assert NULLVALUE(0, 5) == 0
