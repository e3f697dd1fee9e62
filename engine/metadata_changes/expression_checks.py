"""Check the expressions of formulas, defaults and validation rules when they are saved."""

from __future__ import annotations

import graphlib
from collections.abc import Mapping

from engine.catalog import storage_type
from engine.catalog.expression_scope import field_kinds, object_fields, path_resolver
from engine.errors import Problem
from engine.expressions import (
    FunctionSignature,
    Kind,
    check_expression,
    kind_of_type,
    referenced_names,
)
from engine.suggestions import did_you_mean
from metadata.models import (
    FieldDef,
    FieldType,
    ObjectState,
    TenantMetadata,
    ValidationRuleDef,
    default_expression,
)

Functions = Mapping[str, FunctionSignature]


def _problems(
    source: str,
    *,
    obj: ObjectState,
    state: TenantMetadata,
    functions: Functions,
    usage: str,
    expected: Kind | None,
    pointer: str,
) -> list[Problem]:
    return [
        Problem(pointer, problem.code, problem.describe())
        for problem in check_expression(
            source,
            fields=field_kinds(obj),
            functions=functions,
            paths=path_resolver(state, obj),
            objects=object_fields(state),
            usage=usage,
            expected=expected,
        )
    ]


def check_field_expressions(
    definition: FieldDef,
    *,
    obj: ObjectState,
    state: TenantMetadata,
    functions: Functions,
    pointer: str,
) -> list[Problem]:
    """Problems of a field's formula and of its default when that is an expression."""
    problems: list[Problem] = []
    if definition.type is FieldType.FORMULA and definition.expression:
        if definition.api_name in referenced_names(definition.expression):
            return [
                Problem(
                    f"{pointer}/expression",
                    "formula-cycle",
                    "a formula cannot read its own field",
                )
            ]
        expected = kind_of_type(storage_type(definition.type, definition))
        problems += _problems(
            definition.expression,
            obj=obj,
            state=state,
            functions=functions,
            usage="formula",
            expected=expected,
            pointer=f"{pointer}/expression",
        )
        if not problems:
            problems += _formula_cycle(definition, obj=obj, pointer=f"{pointer}/expression")
    source = default_expression(definition)
    if source is not None:
        expected = kind_of_type(storage_type(definition.type, definition))
        problems += _problems(
            source,
            obj=obj,
            state=state,
            functions=functions,
            usage="default",
            expected=expected,
            pointer=f"{pointer}/default/expression",
        )
    return problems


def _formula_cycle(definition: FieldDef, *, obj: ObjectState, pointer: str) -> list[Problem]:
    reads = {
        field.api_name: referenced_names(field.definition.expression or "")
        for field in obj.live_fields
        if field.definition.type is FieldType.FORMULA
    }
    reads[definition.api_name] = referenced_names(definition.expression or "")
    if definition.api_name in reads[definition.api_name]:
        return [Problem(pointer, "formula-cycle", "a formula cannot read its own field")]
    sorter = graphlib.TopologicalSorter(
        {name: {other for other in names if other in reads} for name, names in reads.items()}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " → ".join(exc.args[1])
        return [Problem(pointer, "formula-cycle", f"formulas read each other in a cycle: {cycle}")]
    return []


def check_rule(
    rule: ValidationRuleDef,
    *,
    obj: ObjectState,
    state: TenantMetadata,
    functions: Functions,
    pointer: str = "",
) -> list[Problem]:
    """Problems of a validation rule: its expression must give true or false; its field exists."""
    problems = _problems(
        rule.expression,
        obj=obj,
        state=state,
        functions=functions,
        usage="validation",
        expected=Kind.BOOLEAN,
        pointer=f"{pointer}/expression",
    )
    if rule.field is not None and obj.find_field(rule.field) is None:
        problems.append(
            Problem(
                f"{pointer}/field",
                "unknown-field",
                f"object {obj.api_name!r} has no field {rule.field!r} to show the message at"
                f"{did_you_mean(rule.field, (f.api_name for f in obj.live_fields))}",
            )
        )
    return problems
