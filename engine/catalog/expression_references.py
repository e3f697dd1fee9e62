"""Where an expression names fields and objects: the references, with their text spans.

Every expression of the tenant (formulas, expression defaults, validation rules) is read
as a set of references, each an (object, field) pair with the span of text that names
it: a plain name, one segment of a dotted lookup path, or, in cross-object functions,
the quoted object name, quoted field names and filter keys.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from engine.expressions import CONSTANTS, FunctionSignature, dotted_path, parse_expression
from engine.extensions import ObjectQuery
from metadata.models import (
    REFERENCE_TYPES,
    FieldType,
    ObjectState,
    TenantMetadata,
    default_expression,
)

#: The field of an object-level reference (a cross-object function naming an object).
OBJECT = ""


@dataclass(frozen=True)
class FieldUser:
    """A component of the tenant that reads fields: where it lives, its kind and its name.

    Formulas, expression defaults and validation rules read fields in an expression (each
    is a `Site`, with its text); a roll-up reads its child's fields through its settings
    (aggregated field, filter, link), so it has no text and is a plain `FieldUser`.
    """

    object: str
    kind: str
    name: str
    is_active: bool = True

    def describe(self) -> str:
        """`formula deal.total`, `validation rule deal.positive_amount (inactive)`, …"""
        state = "" if self.is_active else " (inactive)"
        return f"{self.kind} {self.object}.{self.name}{state}"


@dataclass(frozen=True, kw_only=True)
class Site(FieldUser):
    """One expression of the tenant: a field user whose reads are in the text `source`."""

    source: str


@dataclass(frozen=True)
class Reference:
    """A name in an expression that refers to a field (or, with field OBJECT, an object)."""

    object: str
    field: str
    start: int
    end: int
    is_quoted: bool = False


def expression_sites(state: TenantMetadata) -> Iterator[Site]:
    """Every live expression of the tenant, inactive validation rules included."""
    for obj in state.live_objects:
        for field in obj.live_fields:
            definition = field.definition
            if definition.type is FieldType.FORMULA and definition.expression:
                yield Site(obj.api_name, "formula", field.api_name, source=definition.expression)
            source = default_expression(definition)
            if source is not None:
                yield Site(obj.api_name, "default", field.api_name, source=source)
        for rule in obj.validation_rules:
            yield Site(
                obj.api_name,
                "validation rule",
                rule.api_name,
                is_active=rule.definition.active,
                source=rule.definition.expression,
            )


def references(
    state: TenantMetadata, site: Site, functions: Mapping[str, FunctionSignature]
) -> list[Reference]:
    """The fields and objects `site`'s expression refers to, with their spans in its text."""
    obj = state.find_object(site.object)
    if obj is None:
        return []
    try:
        tree = parse_expression(site.source)
    except SyntaxError:
        return []
    offsets = _LineOffsets(site.source)
    found: list[Reference] = []
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    path_parts = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in CONSTANTS:
            if id(node) not in called and id(node) not in path_parts:
                start, end = offsets.span(node)
                found.append(Reference(obj.api_name, node.id, start, end))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            signature = functions.get(node.func.id)
            if signature is not None and signature.queries is not None:
                found += _query_references(node, signature.queries, offsets)
    for path in _outermost_paths(tree):
        found += _path_references(state, obj, path, offsets)
    return found


def rewrite_spans(source: str, spans: list[tuple[int, int]], new: str) -> str:
    """Return `source` with each byte span replaced by `new`."""
    data = source.encode()
    for start, end in sorted(spans, reverse=True):
        data = data[:start] + new.encode() + data[end:]
    return data.decode()


def _outermost_paths(tree: ast.AST) -> list[ast.Attribute]:
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    return [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and id(n) not in inner]


def _path_references(
    state: TenantMetadata, obj: ObjectState, node: ast.Attribute, offsets: _LineOffsets
) -> list[Reference]:
    names = dotted_path(node)
    # Spans of each segment: the root name, then each attribute ends where its node ends.
    segments: list[tuple[int, int]] = []
    chain: list[ast.expr] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        chain.append(current)
        current = current.value
    assert isinstance(current, ast.Name)
    segments.append(offsets.span(current))
    for attribute in reversed(chain):
        _, end = offsets.span(attribute)
        assert isinstance(attribute, ast.Attribute)
        segments.append((end - len(attribute.attr.encode()), end))
    found = []
    current_obj: ObjectState | None = obj
    for name, (start, end) in zip(names, segments, strict=True):
        if current_obj is None:
            break
        found.append(Reference(current_obj.api_name, name, start, end))
        field = current_obj.find_field(name)
        if field is None or field.definition.type not in REFERENCE_TYPES:
            break
        current_obj = state.find_object(field.definition.target or "")
    return found


def _query_references(
    node: ast.Call, queries: ObjectQuery, offsets: _LineOffsets
) -> list[Reference]:
    if queries.object >= len(node.args):
        return []
    target = node.args[queries.object]
    if not (isinstance(target, ast.Constant) and isinstance(target.value, str)):
        return []
    name = target.value
    start, end = offsets.span(target)
    found = [Reference(name, OBJECT, start + 1, end - 1, is_quoted=True)]
    for position in queries.fields:
        if position < len(node.args):
            found += _quoted(node.args[position], name, offsets)
    if queries.filter is not None and queries.filter < len(node.args):
        found += _filter_keys(node.args[queries.filter], name, offsets)
    return found


def _quoted(node: ast.expr, object_name: str, offsets: _LineOffsets) -> list[Reference]:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return []
    start, _ = offsets.span(node)
    field = node.value.split(".")[0]
    return [Reference(object_name, field, start + 1, start + 1 + len(field.encode()), True)]


def _filter_keys(node: ast.expr, object_name: str, offsets: _LineOffsets) -> list[Reference]:
    if not isinstance(node, ast.Dict):
        return []
    found: list[Reference] = []
    for key, value in zip(node.keys, node.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        if key.value in ("and", "or") and isinstance(value, ast.List | ast.Tuple):
            for item in value.elts:
                found += _filter_keys(item, object_name, offsets)
        elif key.value == "not":
            found += _filter_keys(value, object_name, offsets)
        else:
            found += _quoted(key, object_name, offsets)
    return found


class _LineOffsets:
    """Turns AST positions (line, UTF-8 byte column) into byte offsets in the source."""

    def __init__(self, source: str) -> None:
        self.starts = [0]
        for line in source.encode().splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def span(self, node: ast.expr) -> tuple[int, int]:
        start = self.starts[node.lineno - 1] + node.col_offset
        end = self.starts[(node.end_lineno or node.lineno) - 1] + (node.end_col_offset or 0)
        return start, end
