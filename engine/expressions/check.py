"""Check an expression when it is saved: syntax, policy, names, functions and arity."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from engine.expressions.policy import parse_expression, policy_violations

#: Names every expression may use besides fields and functions.
CONSTANTS = frozenset({"True", "False", "None"})


@dataclass(frozen=True)
class Signature:
    """How many arguments a library function takes (`maximum` None: any number)."""

    name: str
    minimum: int
    maximum: int | None


@dataclass(frozen=True)
class ExpressionProblem:
    """One problem of an expression, at a 1-based line and column."""

    line: int
    column: int
    code: str
    message: str

    def describe(self) -> str:
        """`message (line L, column C)`, for problem documents."""
        return f"{self.message} (line {self.line}, column {self.column})"


def check_expression(
    source: str,
    *,
    fields: Collection[str],
    functions: Mapping[str, Signature],
) -> list[ExpressionProblem]:
    """Return every problem of `source` against the fields and functions it may use.

    A dotted path (`account.industry`) is checked by its first name here; the engine
    resolves the hops through lookups.
    """
    try:
        tree = parse_expression(source)
    except SyntaxError as error:
        return [
            ExpressionProblem(
                error.lineno or 1, error.offset or 1, "syntax-error", f"syntax error: {error.msg}"
            )
        ]
    problems = [
        ExpressionProblem(v.line, v.column, "not-allowed", v.message)
        for v in policy_violations(source, tree)
    ]
    if problems:
        return problems
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            problems += _check_call(node, node.func.id, functions)
        elif isinstance(node, ast.Name) and id(node) not in called:
            problems += _check_name(node, fields, functions)
    return sorted(problems, key=lambda p: (p.line, p.column))


def _position(node: ast.expr) -> tuple[int, int]:
    return node.lineno, node.col_offset + 1


def _check_call(
    node: ast.Call, name: str, functions: Mapping[str, Signature]
) -> list[ExpressionProblem]:
    line, column = _position(node)
    signature = functions.get(name)
    if signature is None:
        hint = _did_you_mean(name, functions)
        return [
            ExpressionProblem(line, column, "unknown-function", f"unknown function {name}{hint}")
        ]
    count = len(node.args)
    if count < signature.minimum or (signature.maximum is not None and count > signature.maximum):
        expected = (
            f"{signature.minimum}"
            if signature.maximum == signature.minimum
            else f"{signature.minimum} or more"
            if signature.maximum is None
            else f"{signature.minimum} to {signature.maximum}"
        )
        return [
            ExpressionProblem(
                line, column, "wrong-arity", f"{name} takes {expected} argument(s), not {count}"
            )
        ]
    return []


def _check_name(
    node: ast.Name, fields: Collection[str], functions: Mapping[str, Signature]
) -> list[ExpressionProblem]:
    name = node.id
    if name in fields or name in CONSTANTS:
        return []
    line, column = _position(node)
    if name in functions:
        return [
            ExpressionProblem(
                line,
                column,
                "function-not-called",
                f"{name} is a function; call it, as in {name}(…)",
            )
        ]
    hint = _did_you_mean(name, fields)
    return [ExpressionProblem(line, column, "unknown-field", f"unknown field {name!r}{hint}")]


def _did_you_mean(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
