"""Compiled expressions are safe when they run: no builtins, bounded growth, bounded time."""

from __future__ import annotations

import ast
import builtins
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import CodeType
from typing import Any

import pytest

from engine.expressions import (
    CONTEXT_NAME,
    MAX_LENGTH,
    MAX_NODES,
    EvaluationContext,
    EvaluationError,
    ExpressionCompiler,
    ExpressionTimeout,
    InvalidExpression,
    Kind,
    check_expression,
    policy_violations,
)
from engine.expressions import compiler as compiler_module
from engine.expressions.operators import MAX_TEXT_LENGTH
from engine.extensions import load_extensions
from tests.engine.expressions.test_policy import ESCAPES

REGISTRY = load_extensions()
COMPILER = ExpressionCompiler(REGISTRY.functions)
NOW = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)

# Names of Python builtins a sandbox escape reaches for.
BUILTIN_NAMES = [
    "open",
    "eval",
    "exec",
    "compile",
    "getattr",
    "setattr",
    "globals",
    "vars",
    "type",
    "print",
    "len",
]


def _context(limit: float = 5.0) -> EvaluationContext:
    context = EvaluationContext(now=NOW)
    context.start_clock(limit)
    return context


def evaluate(source: str, **values: Any) -> Any:
    scope: dict[str, Any] = {CONTEXT_NAME: _context(), **values}
    return COMPILER.compile(source).evaluate(scope)


# -- no builtins ----------------------------------------------------------------------------


def test_compiled_code_runs_with_an_empty_builtins_table() -> None:
    expression = COMPILER.compile("IF(amount > 10, UPPER(name), 'small')")
    assert expression.namespace["__builtins__"] == {}
    assert expression.evaluate({"amount": 20, "name": "acme"}) == "ACME"
    # The stand-in for a stored expression that no longer compiles has none either.
    assert COMPILER.compile_stored("missing(1)").namespace["__builtins__"] == {}


def test_everything_an_expression_can_name_in_the_namespace_is_a_library_function() -> None:
    expression = COMPILER.compile("ROUND(amount * 1.5, 2) + LEN(name)")
    reachable = set(expression.namespace) - {"__builtins__"}
    # The policy refuses names starting with '_': the operators cannot be named.
    nameable = {name for name in reachable if not name.startswith("_")}
    assert nameable == set(REGISTRY.functions)
    python_builtins = [id(value) for value in vars(builtins).values()]
    assert not [name for name in reachable if id(expression.namespace[name]) in python_builtins]


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_a_builtin_name_is_not_reachable_as_a_field(name: str) -> None:
    with pytest.raises(EvaluationError, match=f"name '{name}' is not defined"):
        evaluate(name)


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_a_field_named_like_a_builtin_holds_its_value_not_the_builtin(name: str) -> None:
    assert evaluate(name, **{name: "a stored value"}) == "a stored value"
    assert evaluate(f"CONCAT({name}, '!')", **{name: "shout"}) == "shout!"


@pytest.mark.parametrize("name", [*BUILTIN_NAMES, "__import__"])
def test_a_builtin_cannot_be_called(name: str) -> None:
    with pytest.raises(InvalidExpression):
        COMPILER.compile(f"{name}('os')")


def test_a_dunder_name_is_refused_even_when_the_scope_holds_it() -> None:
    with pytest.raises(InvalidExpression, match="names starting with '_'"):
        COMPILER.compile("__import__")
    # A scope key of that name changes nothing for an expression that does not name it.
    assert evaluate("amount + 1", amount=1, __import__=__import__) == 2


# -- the escape corpus is refused by the compiler, and nothing of it runs -------------------


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[CodeType]:
    """Every code object compiled expressions run while the test lasts."""
    seen: list[CodeType] = []

    def spy(code: CodeType, namespace: dict[str, Any], scope: dict[str, Any]) -> Any:
        seen.append(code)
        return eval(code, namespace, scope)

    monkeypatch.setattr(compiler_module, "eval", spy, raising=False)
    return seen


def test_the_evaluation_spy_sees_an_ordinary_expression(evaluations: list[CodeType]) -> None:
    assert evaluate("LEN(name) + 1", name="Acme") == 5
    assert len(evaluations) == 1


@pytest.mark.parametrize("source", ESCAPES, ids=range(len(ESCAPES)))
def test_a_known_escape_is_refused_by_the_compiler_and_never_evaluated(
    source: str, evaluations: list[CodeType]
) -> None:
    with pytest.raises(InvalidExpression):
        COMPILER.compile(source)
    assert evaluations == []


@pytest.mark.parametrize("source", ESCAPES, ids=range(len(ESCAPES)))
def test_a_known_escape_stored_anyway_fails_when_evaluated_without_running(
    source: str,
) -> None:
    expression = COMPILER.compile_stored(source)
    # What runs is the stand-in that reports the problem, not the stored text.
    assert expression.code.co_names == ("_broken",)
    assert expression.fields == frozenset()
    with pytest.raises(EvaluationError, match="cannot run"):
        expression.evaluate({"amount": 1, "name": "x", "stage": "won", CONTEXT_NAME: _context()})


# -- growth of text and numbers is bounded --------------------------------------------------

LONG = "x" * (MAX_TEXT_LENGTH // 2 + 1)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("CONCAT(long, long)", "CONCAT would build a text longer than 100000 characters"),
        ("long + long", "text longer than 100000 characters"),
        ("SUBSTITUTE(long, 'x', 'xx')", "SUBSTITUTE would build a text longer than 100000"),
        ("LPAD('x', 1000000000)", "LPAD would build a text longer than 100000 characters"),
        ("CONCAT(CONCAT(long, 'a'), CONCAT(long, 'b'))", "CONCAT would build a text longer"),
    ],
)
def test_text_longer_than_the_limit_is_refused_with_a_clear_error(
    source: str, message: str
) -> None:
    with pytest.raises(EvaluationError, match=message):
        evaluate(source, long=LONG)


def test_text_up_to_the_limit_is_built() -> None:
    half = "x" * (MAX_TEXT_LENGTH // 2)
    assert len(evaluate("CONCAT(half, half)", half=half)) == MAX_TEXT_LENGTH
    assert len(evaluate("half + half", half=half)) == MAX_TEXT_LENGTH


def test_a_power_operator_in_a_padding_length_is_refused_before_anything_runs() -> None:
    with pytest.raises(InvalidExpression, match=r"\*\* operator"):
        COMPILER.compile("LPAD(x, 10**9)")


def test_a_huge_number_literal_is_refused_before_it_can_be_written_out() -> None:
    # An 8-character literal written out in full would be 200,001 characters long.
    with pytest.raises(InvalidExpression, match="number literals are below 10\\^30"):
        COMPILER.compile("TEXT(1e200000)")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("POWER(2, 100000)", "exponent between -1000 and 1000"),
        ("POWER(2, -100000)", "exponent between -1000 and 1000"),
        ("POWER(99999, 999)", "more than 1000 digits"),
    ],
)
def test_power_with_a_huge_result_is_refused(source: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(EvaluationError, match=message):
        evaluate(source)
    assert time.monotonic() - started < 0.5


# -- time is bounded ------------------------------------------------------------------------


def test_a_catastrophic_regex_stops_at_the_deadline() -> None:
    context = EvaluationContext(now=NOW)
    expression = COMPILER.compile("REGEX(code, '(a|aa)+b')")
    context.start_clock(0.2)
    started = time.monotonic()
    with pytest.raises(ExpressionTimeout, match="REGEX ran past the time limit"):
        expression.evaluate({"code": "a" * 40, CONTEXT_NAME: context})
    # Unstopped, this match runs for minutes; the bound is loose because the regex
    # module checks its timeout between steps and a loaded machine stretches them.
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "source", ["FLOOR(1e300000) > 0", "CEILING(1e300000) > 0", "LEFT('abc', 1e300000)"]
)
def test_a_huge_decimal_literal_never_reaches_an_evaluation(source: str) -> None:
    # int() of Decimal("1e300000") takes seconds; such literals are refused when saved.
    with pytest.raises(InvalidExpression, match="number literals"):
        COMPILER.compile(source)


# -- size and nesting -----------------------------------------------------------------------


def test_an_over_long_expression_is_refused_by_the_compiler() -> None:
    source = "'" + "x" * MAX_LENGTH + "'"
    with pytest.raises(InvalidExpression, match=f"at most {MAX_LENGTH} characters"):
        COMPILER.compile(source)
    with pytest.raises(InvalidExpression, match="too complex"):
        COMPILER.compile(" + ".join(["1"] * (MAX_NODES // 2)))


def _deepest(build: Callable[[int], str]) -> int:
    """The deepest nesting of `build` the policy still allows."""
    depth = 1
    while True:
        source = build(depth + 1)
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError:  # the parser's own nesting limit
            return depth
        if policy_violations(source, tree):
            return depth
        depth += 1


def _nested_if(depth: int) -> str:
    source = "1"
    for _ in range(depth):
        source = f"IF(True, {source}, 0)"
    return source


# Each kind of nesting: how to build it `depth` deep, and what it then gives.
NESTINGS: dict[str, tuple[Callable[[int], str], Callable[[int], Any]]] = {
    "function-calls": (lambda depth: "ABS(" * depth + "-1" + ")" * depth, lambda _: 1),
    "unary-minus": (lambda depth: "-" * depth + "1", lambda depth: (-1) ** depth),
    "not": (lambda depth: "not " * depth + "True", lambda depth: depth % 2 == 0),
    "conditions": (_nested_if, lambda _: 1),
    "sums": (lambda depth: " + ".join(["1"] * depth), lambda depth: depth),
    "right-nested-sums": (lambda depth: "1 + (" * depth + "1" + ")" * depth, lambda d: d + 1),
}


@pytest.mark.parametrize("kind", sorted(NESTINGS))
def test_the_deepest_nesting_the_policy_allows_is_saved_and_evaluates(kind: str) -> None:
    build, result = NESTINGS[kind]
    depth = _deepest(build)
    source = build(depth)
    assert check_expression(source, fields=(), functions=REGISTRY.functions) == []
    assert COMPILER.compile(source).evaluate({}) == result(depth)


def test_a_formula_nested_as_deep_as_allowed_is_checked_at_save_and_then_compiles() -> None:
    build = NESTINGS["function-calls"][0]
    source = build(_deepest(build)).replace("-1", "amount")
    problems = check_expression(
        source, fields={"amount": Kind.NUMBER}, functions=REGISTRY.functions, usage="formula"
    )
    assert problems == []
    # A catalog compiles what was saved: it must not fail with something other than
    # InvalidExpression (which compile_stored turns into an evaluation error).
    assert COMPILER.compile_stored(source).evaluate({"amount": -3}) == 3


# -- a stored expression whose function disappeared -----------------------------------------


def test_a_stored_expression_whose_function_disappeared_fails_when_evaluated() -> None:
    without_upper = ExpressionCompiler(
        {name: f for name, f in REGISTRY.functions.items() if name != "UPPER"}
    )
    with pytest.raises(InvalidExpression, match="unknown function UPPER"):
        without_upper.compile("UPPER(name)")
    expression = without_upper.compile_stored("UPPER(name)")
    assert expression.source == "UPPER(name)"
    with pytest.raises(EvaluationError) as error:
        expression.evaluate({"name": "acme"})
    assert "UPPER(name)" in str(error.value)
    assert "cannot run: unknown function UPPER" in str(error.value)


def test_a_stored_expression_whose_function_exists_evaluates_normally() -> None:
    assert COMPILER.compile_stored("UPPER(name)").evaluate({"name": "acme"}) == "ACME"
