"""What an expression may contain: a whitelist of Python syntax, checked before evaluation.

Expressions are Python expression syntax. Only the constructs a formula needs are
allowed: literals, field names, dotted lookup paths, arithmetic, comparisons, boolean
logic, conditional expressions and calls of library functions by name. Everything
else (imports, attribute access on values, subscripts, lambdas, comprehensions,
f-strings, walrus, starred arguments, dunder and private names) is refused with its
position, before the interpreter ever sees the expression.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

MAX_LENGTH = 4_000
MAX_NODES = 500
#: How deeply parts may nest (calls in calls, operators in operators).
MAX_DEPTH = 40
#: The largest magnitude of a number literal, as a power of ten.
MAX_LITERAL_EXPONENT = 30

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Mod,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Constant,
    ast.List,
    ast.Tuple,
    # Filters of cross-object functions; the checker requires quoted field names as keys.
    ast.Dict,
)


@dataclass(frozen=True)
class PolicyViolation:
    """One construct the policy refuses, with its 1-based line and column."""

    line: int
    column: int
    message: str


def parse_expression(source: str) -> ast.Expression:
    """Parse `source` as a single Python expression.

    Raises:
        SyntaxError: the text is not one expression (with its position), or it nests so
            deeply that Python's parser gives up (`"-" * 3999 + "1"`).
    """
    try:
        return ast.parse(source, mode="eval")
    except (RecursionError, MemoryError) as exc:
        raise SyntaxError(
            f"the expression nests too deeply (at most {MAX_DEPTH} levels)",
            ("<expression>", 1, 1, ""),
        ) from exc


def policy_violations(source: str, tree: ast.Expression) -> list[PolicyViolation]:
    """Return every construct of `tree` the policy refuses (empty when it is allowed)."""
    problems: list[PolicyViolation] = []
    if len(source) > MAX_LENGTH:
        problems.append(PolicyViolation(1, 1, f"an expression is at most {MAX_LENGTH} characters"))
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        problems.append(
            PolicyViolation(
                1, 1, f"the expression is too complex ({len(nodes)} > {MAX_NODES} parts)"
            )
        )
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        problems.append(
            PolicyViolation(1, 1, f"the expression nests too deeply ({depth} > {MAX_DEPTH} levels)")
        )
    filters = _filter_dicts(nodes)
    for node in nodes:
        if isinstance(node, ast.keyword):
            continue  # its call is refused, with what to write instead
        problem = _violation(node)
        if isinstance(node, ast.Dict) and id(node) not in filters:
            problem = "a dict literal is only allowed as the filter of a cross-object function"
        if problem is not None:
            line = getattr(node, "lineno", 1)
            column = getattr(node, "col_offset", 0) + 1
            problems.append(PolicyViolation(line, column, problem))
    return problems


def _depth(tree: ast.AST) -> int:
    """How deeply the tree nests, measured without recursion."""
    deepest = 0
    pending = [(tree, 0)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        pending += [(child, level + 1) for child in ast.iter_child_nodes(node)]
    return deepest


def _filter_dicts(nodes: list[ast.AST]) -> set[int]:
    """Ids of dict literals passed to a function, and of dicts nested in their values."""
    pending = [
        argument
        for node in nodes
        if isinstance(node, ast.Call)
        for argument in node.args
        if isinstance(argument, ast.Dict)
    ]
    found: set[int] = set()
    while pending:
        current = pending.pop()
        found.add(id(current))
        pending += [value for value in current.values if isinstance(value, ast.Dict)]
    return found


def _violation(node: ast.AST) -> str | None:
    if not isinstance(node, _ALLOWED_NODES):
        return f"{_describe(node)} is not allowed in an expression"
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        return f"names starting with '_' are not allowed ({node.id!r})"
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            return f"attributes starting with '_' are not allowed ({node.attr!r})"
        if not _is_path(node):
            return "'.' only follows a lookup field, as in account.industry"
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            return "only library functions can be called, by name, as in ROUND(amount, 2)"
        if node.keywords:
            return (
                "functions take positional arguments only; "
                "to compare, write == as in IF(stage == 'won', 1, 0)"
            )
    if isinstance(node, ast.Constant) and not isinstance(
        node.value, str | int | float | bool | type(None)
    ):
        return f"{type(node.value).__name__} literals are not allowed"
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        value = node.value
        if not isinstance(value, bool) and not abs(value) < 10**MAX_LITERAL_EXPONENT:
            return f"number literals are below 10^{MAX_LITERAL_EXPONENT} in size"
    return None


def _is_path(node: ast.Attribute) -> bool:
    """Whether `node` is a dotted path of plain names (`account.owner.region`)."""
    value: ast.expr = node
    while isinstance(value, ast.Attribute):
        value = value.value
    return isinstance(value, ast.Name)


_DESCRIPTIONS = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Subscript: "indexing with []",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.Starred: "a starred argument",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Set: "a set literal",
    ast.Pow: "the ** operator (use POWER)",
    ast.FloorDiv: "the // operator (use FLOOR)",
    ast.BitAnd: "the & operator (write and instead)",
    ast.BitOr: "the | operator (write or instead)",
    ast.BitXor: "a bitwise operator",
    ast.LShift: "a shift operator",
    ast.RShift: "a shift operator",
    ast.Invert: "the ~ operator",
    ast.MatMult: "the @ operator",
    ast.Is: "'is' (use == or ISBLANK)",
    ast.IsNot: "'is not' (use != or ISBLANK)",
}


def _describe(node: ast.AST) -> str:
    return _DESCRIPTIONS.get(type(node), f"{type(node).__name__} syntax")
