"""Expressions are checked when saved: syntax, unknown names, functions, arity, positions."""

from __future__ import annotations

from engine.expressions import Signature, check_expression

FIELDS = {"amount", "stage", "close_date"}
FUNCTIONS = {
    "ROUND": Signature("ROUND", 1, 2),
    "IF": Signature("IF", 3, 3),
    "CONCAT": Signature("CONCAT", 1, None),
}


def codes(source: str) -> list[tuple[str, int, int]]:
    return [
        (p.code, p.line, p.column)
        for p in check_expression(source, fields=FIELDS, functions=FUNCTIONS)
    ]


def test_a_syntax_error_gives_its_position() -> None:
    problems = check_expression("amount * (1 +", fields=FIELDS, functions=FUNCTIONS)
    assert problems[0].code == "syntax-error"
    assert "line 1" in problems[0].describe()


def test_an_unknown_field_suggests_the_closest_one() -> None:
    problems = check_expression("amout * 2", fields=FIELDS, functions=FUNCTIONS)
    assert [(p.code, p.column) for p in problems] == [("unknown-field", 1)]
    assert "did you mean 'amount'" in problems[0].message


def test_unknown_functions_and_wrong_arity_are_reported_with_positions() -> None:
    assert codes("ROUNDUP(amount)") == [("unknown-function", 1, 1)]
    assert codes("amount + IF(stage == 'won', 1)") == [("wrong-arity", 1, 10)]
    assert codes("ROUND()") == [("wrong-arity", 1, 1)]
    assert codes("CONCAT(stage, stage, stage, stage)") == []


def test_every_problem_is_reported_not_only_the_first() -> None:
    assert codes("amout + stag") == [("unknown-field", 1, 1), ("unknown-field", 1, 9)]


def test_a_function_used_as_a_value_is_reported() -> None:
    assert codes("ROUND + 1") == [("function-not-called", 1, 1)]


def test_ordering_text_against_a_number_is_refused_when_saved() -> None:
    from engine.expressions import Kind

    problems = check_expression(
        "stage > 5 or close < 3",
        fields={"stage": Kind.TEXT, "close": Kind.DATE},
        functions=FUNCTIONS,
    )
    assert [(p.code, p.column) for p in problems] == [("incomparable", 1), ("incomparable", 14)]
    assert problems[0].message == "cannot order text against a number"
    assert check_expression("stage > 'm'", fields={"stage": Kind.TEXT}, functions=FUNCTIONS) == []


def test_ordering_values_of_different_kinds_fails_with_a_plain_message() -> None:
    import pytest

    from engine.expressions import EvaluationError, ExpressionCompiler

    compiled = ExpressionCompiler({}).compile("stage > 5")
    with pytest.raises(EvaluationError, match="cannot compare text with a number"):
        compiled.evaluate({"stage": "won"})


def test_a_syntax_error_at_the_end_points_past_the_last_character() -> None:
    problems = check_expression("amount <", fields=FIELDS, functions=FUNCTIONS)
    assert [(p.code, p.line, p.column) for p in problems] == [("syntax-error", 1, 9)]
