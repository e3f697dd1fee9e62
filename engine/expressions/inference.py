"""Infer the kind of value an expression gives, where the syntax tells (ANY where not)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import TYPE_CHECKING

from engine.expressions.kinds import Kind
from engine.expressions.lookup_paths import PathError, PathResolver, dotted_path

if TYPE_CHECKING:
    from engine.expressions.check import FunctionSignature

_NUMBERS = frozenset({Kind.NUMBER})
_DATES = frozenset({Kind.DATE, Kind.DATETIME})


def infer_kind(
    node: ast.expr,
    fields: Mapping[str, Kind],
    functions: Mapping[str, FunctionSignature],
    paths: PathResolver | None,
) -> Kind:
    """Return the kind `node` evaluates to (ANY when it cannot be told without the values)."""

    def infer(part: ast.expr) -> Kind:
        return infer_kind(part, fields, functions, paths)

    if isinstance(node, ast.Constant):
        return _constant_kind(node.value)
    if isinstance(node, ast.Name):
        return fields.get(node.id, Kind.ANY)
    if isinstance(node, ast.Attribute):
        return _path_kind(node, paths)
    if isinstance(node, ast.Compare | ast.BoolOp) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    ):
        if isinstance(node, ast.BoolOp):
            kinds = {infer(value) for value in node.values}
            return Kind.BOOLEAN if kinds == {Kind.BOOLEAN} else Kind.ANY
        return Kind.BOOLEAN
    if isinstance(node, ast.UnaryOp):
        return Kind.NUMBER
    if isinstance(node, ast.BinOp):
        return _arithmetic_kind(node.op, infer(node.left), infer(node.right))
    if isinstance(node, ast.IfExp):
        body, orelse = infer(node.body), infer(node.orelse)
        return body if body is orelse else Kind.ANY
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        signature = functions.get(node.func.id)
        return signature.returns if signature is not None else Kind.ANY
    if isinstance(node, ast.List | ast.Tuple):
        return Kind.LIST
    return Kind.ANY


def _constant_kind(value: object) -> Kind:
    if isinstance(value, bool):
        return Kind.BOOLEAN
    if isinstance(value, int | float):
        return Kind.NUMBER
    if isinstance(value, str):
        return Kind.TEXT
    return Kind.ANY


def _path_kind(node: ast.Attribute, paths: PathResolver | None) -> Kind:
    if paths is None:
        return Kind.ANY
    try:
        return paths(dotted_path(node))
    except PathError:
        return Kind.ANY


def _arithmetic_kind(operator: ast.operator, left: Kind, right: Kind) -> Kind:
    if Kind.ANY in (left, right):
        return Kind.ANY
    if isinstance(operator, ast.Add):
        if left is Kind.TEXT and right is Kind.TEXT:
            return Kind.TEXT
        if left in _DATES and right is Kind.NUMBER:
            return left
        if right in _DATES and left is Kind.NUMBER:
            return right
    if isinstance(operator, ast.Sub):
        if left in _DATES and right is Kind.NUMBER:
            return left
        if left in _DATES and right in _DATES:
            return Kind.NUMBER
    if left in _NUMBERS and right in _NUMBERS:
        return Kind.NUMBER
    return Kind.ANY
