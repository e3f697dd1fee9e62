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


SPELLING_FIELDS = {"stage", "amount", "closed", "hot", "urgent", "email", "tags"}
SPELLING_FUNCTIONS = {
    "ISBLANK": Signature("ISBLANK", 1, 1),
    "AND": Signature("AND", 1, None),
    "NOT": Signature("NOT", 1, 1),
    "IF": Signature("IF", 3, 3),
}


def spelling_problems(source: str) -> list[tuple[str, int, str]]:
    return [
        (p.code, p.column, p.message)
        for p in check_expression(source, fields=SPELLING_FIELDS, functions=SPELLING_FUNCTIONS)
    ]


def test_other_formula_languages_operators_get_tesseras_spelling() -> None:
    assert spelling_problems('stage = "won"') == [
        (
            "syntax-error",
            7,
            "syntax error: '=' is not an operator of Tessera expressions; "
            "write '==', as in stage == 'won'",
        )
    ]
    for source, written, tessera in (
        ("hot && urgent", "&&", "and"),
        ("hot || urgent", "||", "or"),
        ("stage <> 'lost'", "<>", "!="),
        ("hot AND urgent", "AND", "and"),
        ("hot OR urgent", "OR", "or"),
        ("!hot", "!", "not"),
        ("NOT hot", "NOT", "not"),
        ("stage === 'won'", "===", "=="),
        ("IF(stage = 'won', 1, 0)", "=", "=="),
    ):
        (problem,) = spelling_problems(source)
        assert problem[0] == "syntax-error"
        assert f"{written!r} is not an operator" in problem[2]
        assert f"write {tessera!r}" in problem[2], source


def test_every_foreign_operator_in_an_expression_is_reported_where_it_is() -> None:
    assert [(code, column) for code, column, _ in spelling_problems("stage = 'won' && hot")] == [
        ("syntax-error", 7),
        ("syntax-error", 15),
    ]


def test_foreign_operators_inside_text_are_left_alone() -> None:
    assert spelling_problems("stage == 'a && b = c'") == []
    # Text that does not parse for another reason keeps the parser's message.
    assert spelling_problems("stage == 'a = b' and")[0][2] == "syntax error: invalid syntax"


def test_ispickval_and_other_foreign_functions_are_rewritten_in_the_hint() -> None:
    assert spelling_problems('ISPICKVAL(stage, "won")') == [
        ("unknown-function", 1, "unknown function ISPICKVAL; write stage == 'won'")
    ]
    assert spelling_problems("INCLUDES(tags, 'vip')")[0][2].endswith("write 'vip' in tags")
    assert spelling_problems("ISNULL(email)")[0][2].endswith("write ISBLANK(email)")
    # AND, OR and NOT are functions of the library: no hint where they are known.
    assert spelling_problems("AND(hot, NOT(urgent))") == []


def test_lower_case_constants_of_other_languages_are_spelled_as_tessera_spells_them() -> None:
    assert spelling_problems("hot == true") == [
        ("unknown-field", 8, "unknown field 'true'; write True")
    ]
    assert spelling_problems("stage == null")[0][2] == "unknown field 'null'; write None"


def test_a_keyword_argument_is_refused_once_with_how_to_compare() -> None:
    assert spelling_problems("IF(hot, 1, stage = 'won')") == [
        (
            "not-allowed",
            1,
            "functions take positional arguments only; "
            "to compare, write == as in IF(stage == 'won', 1, 0)",
        )
    ]


def test_each_documented_spelling_gets_its_hint_and_its_tessera_form_checks_clean() -> None:
    from engine.expressions.foreign_syntax import FUNCTIONS, OPERATORS

    for spelling in OPERATORS.values():
        assert spelling_problems(spelling.example) == [], spelling
        hints = [message for _, _, message in spelling_problems(spelling.written_example)]
        assert any(f"write {spelling.tessera!r}" in hint for hint in hints), spelling
    for function in FUNCTIONS.values():
        assert spelling_problems(function.tessera) == [], function
        (hint,) = [message for _, _, message in spelling_problems(function.example)]
        assert hint.endswith(f"write {function.tessera}"), function
