"""Compile a checked expression into Python bytecode that can only reach the library.

asteval's tree-walking interpreter runs a typical rule at about a twentieth of the
speed of the same expression as bytecode. Because the policy admits no attribute
access, subscripts, loops or definitions, and every call is a library function by
name, the checked tree can be compiled instead: names resolve against the record's
scope, operators go through the blank-safe functions in `operators`, and the code
runs with an empty builtins table. The asteval interpreter stays the reference the
test suite compares this against (tests/engine/expressions/test_reference.py).
"""

from __future__ import annotations

import ast
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import CodeType
from typing import TYPE_CHECKING, Any

from engine.expressions import operators
from engine.expressions.evaluation_context import EvaluationContext, ExpressionTimeout
from engine.expressions.lookup_paths import dotted_path
from engine.expressions.patterns import PatternCache
from engine.expressions.policy import parse_expression, policy_violations

if TYPE_CHECKING:
    from engine.extensions import Example, LibraryFunction

#: The scope key under which context-reading functions receive the evaluation context.
CONTEXT_NAME = "_context"

_BINARY = {
    ast.Add: "_add",
    ast.Sub: "_subtract",
    ast.Mult: "_multiply",
    ast.Div: "_divide",
    ast.Mod: "_modulo",
}
_ORDERING = {
    ast.Lt: "_less",
    ast.LtE: "_less_equal",
    ast.Gt: "_greater",
    ast.GtE: "_greater_equal",
    ast.In: "_is_in",
    ast.NotIn: "_is_not_in",
}
_OPERATORS: dict[str, Any] = {
    "_add": operators.add,
    "_subtract": operators.subtract,
    "_multiply": operators.multiply,
    "_divide": operators.divide,
    "_modulo": operators.modulo,
    "_negate": operators.negate,
    "_plus": operators.plus,
    "_less": operators.less,
    "_less_equal": operators.less_equal,
    "_greater": operators.greater,
    "_greater_equal": operators.greater_equal,
    "_is_in": operators.is_in,
    "_is_not_in": operators.is_not_in,
}


class InvalidExpression(Exception):
    """An expression the policy refuses or that calls an unknown function."""


class EvaluationError(Exception):
    """An expression failed on the values it was given (e.g. text plus a number)."""


@dataclass(frozen=True)
class CompiledExpression:
    """A checked expression as bytecode, and what it reads.

    Attributes:
        source: the expression as written.
        fields: the record's fields it reads (first names of paths included).
        paths: the dotted lookup paths it reads, each as a tuple of names.
        functions: the library functions it calls.
    """

    source: str
    code: CodeType
    namespace: dict[str, Any]
    fields: frozenset[str]
    paths: frozenset[tuple[str, ...]]
    functions: frozenset[str]
    is_costly: bool = False

    def evaluate(self, scope: dict[str, Any]) -> Any:
        """Evaluate against `scope`: field values, path values keyed `a.b`, and the context.

        Raises:
            EvaluationError: the expression failed on these values.
            ExpressionTimeout: it ran past the context's deadline.
        """
        try:
            return eval(self.code, self.namespace, scope)
        except ExpressionTimeout:
            raise
        except NameError as exc:
            raise EvaluationError(f"{self.source}: {exc}") from exc
        except (TypeError, ValueError, ArithmeticError, RecursionError, MemoryError) as exc:
            raise EvaluationError(f"{exc}") from exc


def path_key(path: tuple[str, ...]) -> str:
    """The scope key of a dotted path's value."""
    return ".".join(path)


class ExpressionCompiler:
    """Compiles expressions against one function library; caches by source text.

    It also owns the cache of REGEX patterns its expressions compile while they run
    (`patterns`), which evaluation contexts of the process share.
    """

    def __init__(self, functions: Mapping[str, LibraryFunction], *, cache_size: int = 4096) -> None:
        self.functions = functions
        self.patterns = PatternCache()
        self._library: dict[str, Any] = {
            "__builtins__": {},
            **_OPERATORS,
            **{name: function.implementation for name, function in functions.items()},
        }
        self._cache: OrderedDict[str, CompiledExpression] = OrderedDict()
        self._cache_size = cache_size
        # Catalogs compile on whichever thread first needs them (server workers, the CLI).
        self._lock = threading.Lock()

    def compile(self, source: str) -> CompiledExpression:
        """Return `source` compiled (from the cache when it was compiled before).

        Compiling is pure, so it runs outside the lock: two threads compiling the same
        source both get a correct result, and the cache keeps one.

        Raises:
            InvalidExpression: the policy refuses it or it calls an unknown function.
        """
        with self._lock:
            cached = self._cache.get(source)
            if cached is not None:
                self._cache.move_to_end(source)
                return cached
        compiled = self._compile(source)
        with self._lock:
            self._cache[source] = compiled
            self._cache.move_to_end(source)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return compiled

    def compile_stored(self, source: str) -> CompiledExpression:
        """Compile an expression that was checked when saved.

        Should it no longer compile (its plugin was uninstalled, say), the result fails
        when evaluated, naming the reason, so the rest of the catalog keeps working.
        """
        try:
            return self.compile(source)
        except (InvalidExpression, RecursionError) as exc:
            reason = f"the expression {source!r} cannot run: {exc}"

            def broken() -> None:
                raise EvaluationError(reason)

            return CompiledExpression(
                source=source,
                code=compile("_broken()", "<expression>", "eval"),
                namespace={"__builtins__": {}, "_broken": broken},
                fields=frozenset(),
                paths=frozenset(),
                functions=frozenset(),
            )

    def _compile(self, source: str) -> CompiledExpression:
        try:
            tree = parse_expression(source)
        except SyntaxError as exc:
            raise InvalidExpression(f"syntax error: {exc.msg}") from exc
        violations = policy_violations(source, tree)
        if violations:
            raise InvalidExpression("; ".join(v.message for v in violations))
        rewriter = _Rewriter(source, self.functions)
        # The rewriter changes the tree it walks: give it the parsed one, not a shared copy.
        body = rewriter.visit(tree)
        ast.fix_missing_locations(body)
        code = compile(body, "<expression>", "eval")
        return CompiledExpression(
            source=source,
            code=code,
            namespace={**self._library, **rewriter.constants},
            fields=frozenset(rewriter.fields),
            paths=frozenset(rewriter.paths),
            functions=frozenset(rewriter.called),
            is_costly=any(self.functions[name].is_costly for name in rewriter.called),
        )

    def evaluate_example(self, example: Example, context: EvaluationContext) -> Any:
        """Evaluate a library example on its record (fields it does not give are blank)."""
        compiled = self.compile(example.expression)
        context.is_new = example.prior is None
        context.prior = example.prior or {}
        scope: dict[str, Any] = {name: example.record.get(name) for name in compiled.fields}
        for path in compiled.paths:
            scope[path_key(path)] = example.record.get(path_key(path))
        context.current = scope
        scope[CONTEXT_NAME] = context
        return compiled.evaluate(scope)


class _Rewriter(ast.NodeTransformer):
    """Turns a policy-checked tree into one whose every operation is safe to run as bytecode."""

    def __init__(self, source: str, functions: Mapping[str, LibraryFunction]) -> None:
        self.source = source
        self.functions = functions
        self.fields: set[str] = set()
        self.paths: set[tuple[str, ...]] = set()
        self.called: set[str] = set()
        self.constants: dict[str, Decimal] = {}

    def visit_Name(self, node: ast.Name) -> ast.expr:
        self.fields.add(node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        path = dotted_path(node)
        self.fields.add(path[0])
        self.paths.add(path)
        return ast.Name(id=path_key(path), ctx=ast.Load())

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        if not isinstance(node.value, float):
            return node
        # A decimal literal is exact: 0.1 means Decimal("0.1"), not the nearest binary float.
        text = ast.get_source_segment(self.source, node) or repr(node.value)
        name = f"_decimal_{len(self.constants)}"
        self.constants[name] = Decimal(text)
        return ast.Name(id=name, ctx=ast.Load())

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        helper = _BINARY[type(node.op)]
        return _call(helper, [self.visit(node.left), self.visit(node.right)])

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.USub):
            return _call("_negate", [operand])
        if isinstance(node.op, ast.UAdd):
            return _call("_plus", [operand])
        return ast.UnaryOp(op=node.op, operand=operand)

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        operands = [self.visit(node.left), *(self.visit(c) for c in node.comparators)]
        pairs: list[ast.expr] = []
        for index, operator in enumerate(node.ops):
            left, right = operands[index], operands[index + 1]
            helper = _ORDERING.get(type(operator))
            if helper is None:
                pairs.append(ast.Compare(left=left, ops=[operator], comparators=[right]))
            else:
                pairs.append(_call(helper, [left, right]))
        return pairs[0] if len(pairs) == 1 else ast.BoolOp(op=ast.And(), values=pairs)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        assert isinstance(node.func, ast.Name)
        function = self.functions.get(node.func.id)
        if function is None:
            raise InvalidExpression(f"unknown function {node.func.id}")
        self.called.add(function.name)
        arguments: list[ast.expr] = []
        for position, argument in enumerate(node.args):
            if position in function.field_arguments and isinstance(argument, ast.Name):
                self.fields.add(argument.id)
                arguments.append(ast.Constant(value=argument.id))
            else:
                arguments.append(self.visit(argument))
        if function.needs_context:
            arguments.insert(0, ast.Name(id=CONTEXT_NAME, ctx=ast.Load()))
        return ast.Call(func=node.func, args=arguments, keywords=[])


def _call(helper: str, arguments: list[ast.expr]) -> ast.Call:
    return ast.Call(func=ast.Name(id=helper, ctx=ast.Load()), args=arguments, keywords=[])
