"""Check an expression when it is saved: syntax, policy, names, functions, arity and kinds."""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from engine.expressions.foreign_syntax import CONSTANTS as FOREIGN_CONSTANTS
from engine.expressions.foreign_syntax import foreign_operators, rewritten_call
from engine.expressions.inference import infer_kind
from engine.expressions.kinds import Kind, fits
from engine.expressions.lookup_paths import PathError, PathResolver, dotted_path
from engine.expressions.policy import parse_expression, policy_violations
from engine.suggestions import did_you_mean

if TYPE_CHECKING:
    from engine.extensions import ObjectQuery

#: Names every expression may use besides fields and functions.
CONSTANTS = frozenset({"True", "False", "None"})


class FunctionSignature(Protocol):
    """What the checker needs to know of a library function."""

    @property
    def name(self) -> str: ...
    @property
    def minimum(self) -> int: ...
    @property
    def maximum(self) -> int | None: ...
    @property
    def returns(self) -> Kind: ...
    @property
    def field_arguments(self) -> tuple[int, ...]: ...
    @property
    def usages(self) -> frozenset[str]: ...
    @property
    def queries(self) -> ObjectQuery | None: ...
    @property
    def literal_checks(self) -> Mapping[int, Callable[[Any], str | None]]: ...


@dataclass(frozen=True)
class Signature:
    """A bare function signature (`maximum` None: any number of arguments)."""

    name: str
    minimum: int
    maximum: int | None
    returns: Kind = Kind.ANY
    field_arguments: tuple[int, ...] = ()
    usages: frozenset[str] = frozenset({"formula", "default", "validation", "condition"})
    queries: ObjectQuery | None = None
    literal_checks: Mapping[int, Callable[[Any], str | None]] = field(default_factory=dict)


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


_KIND_NAMES = {
    Kind.TEXT: "text",
    Kind.NUMBER: "a number",
    Kind.BOOLEAN: "true/false",
    Kind.DATE: "a date",
    Kind.DATETIME: "a date-time",
    Kind.LIST: "a list",
    Kind.ID: "a record id",
    Kind.ANY: "a value",
}

_USAGE_NAMES = {
    "formula": "a formula field",
    "default": "a default",
    "validation": "a validation rule",
    "condition": "a condition",
}


#: Returns the field names of an object of the tenant, or None when there is no such object.
ObjectFields = Callable[[str], Collection[str] | None]


def check_expression(
    source: str,
    *,
    fields: Mapping[str, Kind] | Collection[str],
    functions: Mapping[str, FunctionSignature],
    paths: PathResolver | None = None,
    objects: ObjectFields | None = None,
    usage: str | None = None,
    expected: Kind | None = None,
) -> list[ExpressionProblem]:
    """Return every problem of `source` against what it may use; empty when it is sound.

    `fields` maps the record's field names to their kinds (a plain collection means
    kinds are unknown). `paths` resolves dotted lookup paths; without it a path is
    checked by its first name only. With `usage`, functions not allowed there are
    refused; with `expected`, an inferable result kind that does not fit is refused.
    With `objects`, cross-object functions must name an object and its fields in quotes.
    """
    kinds = fields if isinstance(fields, Mapping) else dict.fromkeys(fields, Kind.ANY)
    try:
        tree = parse_expression(source)
    except SyntaxError as error:
        # What another formula language writes (`=`, `&&`, `<>`) is the likeliest cause:
        # name Tessera's spelling rather than the parser's "invalid syntax".
        foreign = foreign_operators(source)
        if foreign:
            return [
                ExpressionProblem(f.line, f.column, "syntax-error", f"syntax error: {f.message()}")
                for f in foreign
            ]
        line, column = _syntax_position(source, error)
        return [ExpressionProblem(line, column, "syntax-error", f"syntax error: {error.msg}")]
    problems = [
        ExpressionProblem(v.line, v.column, "not-allowed", v.message)
        for v in policy_violations(source, tree)
    ]
    if problems:
        return problems
    checker = _Checker(kinds, functions, paths, usage, objects)
    checker.visit(tree)
    problems = sorted(checker.problems, key=lambda p: (p.line, p.column))
    if not problems and expected is not None:
        problems += _check_result(tree, kinds, functions, paths, expected, usage)
    return problems


def _syntax_position(source: str, error: SyntaxError) -> tuple[int, int]:
    """Where a syntax error is; Python gives no column when the text ends too early."""
    line = error.lineno or 1
    if error.offset:
        return line, error.offset
    lines = source.splitlines() or [""]
    return line, len(lines[min(line, len(lines)) - 1]) + 1


def _check_result(
    tree: ast.Expression,
    kinds: Mapping[str, Kind],
    functions: Mapping[str, FunctionSignature],
    paths: PathResolver | None,
    expected: Kind,
    usage: str | None,
) -> list[ExpressionProblem]:
    actual = infer_kind(tree.body, kinds, functions, paths)
    if fits(actual, expected):
        return []
    what = _USAGE_NAMES.get(usage or "", "the expression")
    if expected is Kind.BOOLEAN:
        message = f"{what} must be true or false, but this expression gives {actual.value}"
    else:
        message = f"{what} must give {expected.value}, but this expression gives {actual.value}"
    return [ExpressionProblem(1, 1, "wrong-kind", message)]


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1


class _Checker(ast.NodeVisitor):
    def __init__(
        self,
        kinds: Mapping[str, Kind],
        functions: Mapping[str, FunctionSignature],
        paths: PathResolver | None,
        usage: str | None,
        objects: ObjectFields | None = None,
    ) -> None:
        self.objects = objects
        self.kinds = kinds
        self.functions = functions
        self.paths = paths
        self.usage = usage
        self.problems: list[ExpressionProblem] = []

    def problem(self, node: ast.AST, code: str, message: str) -> None:
        line, column = _position(node)
        self.problems.append(ExpressionProblem(line, column, code, message))

    def visit_Call(self, node: ast.Call) -> None:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        signature = self.functions.get(name)
        if signature is None:
            rewritten = rewritten_call(node)
            hint = (
                f"; write {rewritten}"
                if rewritten is not None
                else did_you_mean(name, self.functions)
            )
            self.problem(node, "unknown-function", f"unknown function {name}{hint}")
        else:
            self._check_signature(node, signature)
            self._check_literals(node, signature)
            if signature.queries is not None and self.objects is not None:
                self._check_query(node, signature.queries)
            field_positions = set(signature.field_arguments)
            for position, argument in enumerate(node.args):
                if position in field_positions:
                    self._check_field_argument(name, argument)
                else:
                    self.visit(argument)
            return
        for argument in node.args:
            self.visit(argument)

    def _check_signature(self, node: ast.Call, signature: FunctionSignature) -> None:
        name = signature.name
        count = len(node.args)
        minimum, maximum = signature.minimum, signature.maximum
        if count < minimum or (maximum is not None and count > maximum):
            expected = (
                f"{minimum}"
                if maximum == minimum
                else f"{minimum} or more"
                if maximum is None
                else f"{minimum} to {maximum}"
            )
            self.problem(node, "wrong-arity", f"{name} takes {expected} argument(s), not {count}")
        if self.usage is not None and self.usage not in signature.usages:
            allowed = ", ".join(sorted(_USAGE_NAMES[u] for u in signature.usages))
            self.problem(
                node,
                "not-allowed-here",
                f"{name} cannot be used in {_USAGE_NAMES[self.usage]} (only in {allowed})",
            )

    def _check_literals(self, node: ast.Call, signature: FunctionSignature) -> None:
        """Run the function's checks of arguments written as literals (a REGEX pattern)."""
        for position, check in signature.literal_checks.items():
            if position >= len(node.args):
                continue
            argument = node.args[position]
            if not isinstance(argument, ast.Constant):
                continue
            problem = check(argument.value)
            if problem is not None:
                self.problem(argument, "invalid-argument", problem)

    def _check_query(self, node: ast.Call, query: ObjectQuery) -> None:
        assert isinstance(node.func, ast.Name) and self.objects is not None
        name = node.func.id
        if query.object >= len(node.args):
            return
        target = node.args[query.object]
        if not (isinstance(target, ast.Constant) and isinstance(target.value, str)):
            self.problem(target, "object-expected", f"{name} takes an object name in quotes first")
            return
        fields = self.objects(target.value)
        if fields is None:
            self.problem(target, "unknown-object", f"there is no object {target.value!r}")
            return
        for position in query.fields:
            if position >= len(node.args):
                continue
            argument = node.args[position]
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                self.problem(argument, "field-expected", f"{name} takes a field name in quotes")
            elif argument.value.split(".")[0] not in fields:
                hint = did_you_mean(argument.value, fields)
                self.problem(
                    argument,
                    "unknown-field",
                    f"{target.value!r} has no field {argument.value!r}{hint}",
                )
        if query.filter is not None and query.filter < len(node.args):
            self._check_filter_keys(node.args[query.filter], target.value, fields)

    def _check_filter_keys(self, node: ast.expr, object_name: str, fields: Collection[str]) -> None:
        if not isinstance(node, ast.Dict):
            return
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            if key.value in ("and", "or") and isinstance(value, ast.List | ast.Tuple):
                for item in value.elts:
                    self._check_filter_keys(item, object_name, fields)
            elif key.value == "not":
                self._check_filter_keys(value, object_name, fields)
            elif key.value.split(".")[0] not in fields:
                hint = did_you_mean(key.value, fields)
                self.problem(
                    key, "unknown-field", f"{object_name!r} has no field {key.value!r}{hint}"
                )

    def _check_field_argument(self, function: str, argument: ast.expr) -> None:
        if isinstance(argument, ast.Name) and argument.id in self.kinds:
            return
        if isinstance(argument, ast.Name):
            self._check_name(argument)
            return
        self.problem(
            argument,
            "field-expected",
            f"{function} takes a field of this record, as in {function}(amount)",
        )

    def visit_Name(self, node: ast.Name) -> None:
        self._check_name(node)

    def _check_name(self, node: ast.Name) -> None:
        name = node.id
        if name in self.kinds or name in CONSTANTS:
            return
        if name in self.functions:
            self.problem(
                node, "function-not-called", f"{name} is a function; call it, as in {name}(…)"
            )
            return
        constant = FOREIGN_CONSTANTS.get(name.lower())
        hint = f"; write {constant}" if constant is not None else did_you_mean(name, self.kinds)
        self.problem(node, "unknown-field", f"unknown field {name!r}{hint}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        path = dotted_path(node)
        if path[0] not in self.kinds:
            hint = did_you_mean(path[0], self.kinds)
            self.problem(node, "unknown-field", f"unknown field {path[0]!r}{hint}")
            return
        if self.paths is None:
            return
        try:
            self.paths(path)
        except PathError as error:
            self.problem(node, "unknown-path", str(error))

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        kinds = [infer_kind(o, self.kinds, self.functions, self.paths) for o in operands]
        for index, operator in enumerate(node.ops):
            if not isinstance(operator, ast.Lt | ast.LtE | ast.Gt | ast.GtE):
                continue
            left, right = kinds[index], kinds[index + 1]
            if Kind.ANY in (left, right) or left is right:
                continue
            self.problem(
                operands[index],
                "incomparable",
                f"cannot order {_KIND_NAMES[left]} against {_KIND_NAMES[right]}",
            )
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key in node.keys:
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                self.problem(
                    key or node, "not-allowed", "a filter's keys are field names in quotes"
                )
        for value in node.values:
            self.visit(value)


def referenced_names(source: str) -> set[str]:
    """The record names an expression reads: fields, first names of paths, field arguments.

    Returns an empty set for text that does not parse (its problems are reported elsewhere).
    """
    try:
        tree = parse_expression(source)
    except SyntaxError:
        return set()
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in called and node.id not in CONSTANTS:
            names.add(node.id)
    return names
