"""Dotted lookup paths in expressions (`account.owner.region`)."""

from __future__ import annotations

import ast
from collections.abc import Callable

from engine.expressions.kinds import Kind

#: The most lookups a path may follow.
MAX_HOPS = 3


class PathError(Exception):
    """A dotted path that does not lead through lookups to a field."""


#: Resolves a dotted path (`("account", "industry")`) to the kind of value it reaches.
PathResolver = Callable[[tuple[str, ...]], Kind]


def dotted_path(node: ast.Attribute) -> tuple[str, ...]:
    """Return the names of a dotted path (`account.owner.region`)."""
    names: list[str] = []
    value: ast.expr = node
    while isinstance(value, ast.Attribute):
        names.append(value.attr)
        value = value.value
    assert isinstance(value, ast.Name)
    names.append(value.id)
    return tuple(reversed(names))
