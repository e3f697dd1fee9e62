"""Every example of every registered function, checked and evaluated by the real compiler."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from engine.expressions import ExpressionCompiler, check_expression
from engine.expressions.library_docs import EXAMPLE_RECORDS, example_context
from engine.extensions import Example, LibraryFunction, load_extensions
from tests.plugins import MemoryRecords

REGISTRY = load_extensions()
COMPILER = ExpressionCompiler(REGISTRY.functions)
CASES = [
    pytest.param(function, example, id=f"{name}-{index}")
    for name, function in sorted(REGISTRY.functions.items())
    for index, example in enumerate(function.examples)
]


@pytest.mark.parametrize(("function", "example"), CASES)
def test_example_gives_its_result(function: LibraryFunction, example: Example) -> None:
    context = example_context()
    context.records = MemoryRecords(EXAMPLE_RECORDS)
    context.start_clock(5.0)
    result: Any = COMPILER.evaluate_example(example, context)
    assert result == example.result
    assert type(result) is type(example.result)


@pytest.mark.parametrize(("function", "example"), CASES)
def test_example_passes_the_save_time_check(function: LibraryFunction, example: Example) -> None:
    # Checked wherever every function it calls may be used (TODAY() keeps it out of formulas).
    tree = ast.parse(example.expression, mode="eval")
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    usages = set(function.usages)
    for name in called:
        usages &= REGISTRY.functions[name].usages
    assert usages, "the example cannot be used anywhere"
    for usage in usages:
        problems = check_expression(
            example.expression,
            fields=set(example.record),
            functions=REGISTRY.functions,
            usage=usage,
        )
        assert problems == [], [problem.describe() for problem in problems]
