"""Compile an object's formulas, expression defaults, validation rules and roll-up links."""

from __future__ import annotations

import graphlib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from engine.catalog.computed_values import Converter, computed_value_converter
from engine.catalog.system_columns import SYSTEM_COLUMNS
from engine.catalog.tables import is_foreign_key, on_delete_sql
from engine.catalog.values import value_coercer
from engine.expressions import CompiledExpression, ExpressionCompiler
from metadata.models import (
    NUMBER_TYPES,
    REFERENCE_TYPES,
    FieldState,
    FieldType,
    ObjectState,
    RollupFunction,
    TenantMetadata,
    default_expression,
)


@dataclass(frozen=True)
class CompiledFormula:
    """A formula field: its expression and how its result is stored."""

    field: str
    column: str
    expression: CompiledExpression
    convert: Converter


@dataclass(frozen=True)
class CompiledDefault:
    """A default given as an expression, evaluated when a record is created."""

    field: str
    expression: CompiledExpression
    convert: Converter


@dataclass(frozen=True)
class CompiledRule:
    """An active validation rule: the record fails it when the expression is true."""

    api_name: str
    field: str | None
    message: str
    expression: CompiledExpression


@dataclass(frozen=True)
class RollupLink:
    """A roll-up summary of a parent object that this (child) object feeds."""

    parent: str
    field: str
    link: str
    function: RollupFunction
    child_field: str | None
    filter: Mapping[str, Any] | None


@dataclass(frozen=True)
class FormulaWatch:
    """Formulas of `source` that read this object through the lookups `chain`.

    When a record of this object changes one of `fields`, the `source` records that
    reach it through `chain` have their formulas recomputed.
    """

    source: str
    chain: tuple[str, ...]
    fields: frozenset[str]


@dataclass(frozen=True)
class ReferenceLink:
    """A reference field `field` of object `child` that points at this object."""

    child: str
    field: str


@dataclass(frozen=True)
class ObjectRules:
    """Everything the save pipeline evaluates for one object, compiled once per revision."""

    defaults: tuple[CompiledDefault, ...] = ()
    formulas: tuple[CompiledFormula, ...] = ()
    validations: tuple[CompiledRule, ...] = ()
    paths: frozenset[tuple[str, ...]] = frozenset()
    reads: frozenset[str] = frozenset()
    #: The file fields among `reads`: expressions read their file names, not what they store.
    file_reads: tuple[str, ...] = ()
    rollups: tuple[RollupLink, ...] = ()
    watchers: tuple[FormulaWatch, ...] = ()
    #: The references whose records a deletion of this object's records deletes too:
    #: master-detail fields and lookups with `on_delete: cascade` (ON DELETE CASCADE).
    details: tuple[ReferenceLink, ...] = ()
    #: The references a deletion of this object's records empties: lookups with
    #: `on_delete: set_null`, the default of optional ones (ON DELETE SET NULL).
    cleared: tuple[ReferenceLink, ...] = ()
    #: Every system column and field name with no value: the start of each record's
    #: expression scope.
    blank_scope: dict[str, Any] = dataclass_field(default_factory=dict)

    @property
    def evaluates(self) -> bool:
        """Whether saving a record evaluates any expression."""
        return bool(self.defaults or self.formulas or self.validations)

    @property
    def needs_prior(self) -> bool:
        """Whether an update must read the stored record first (to evaluate or cascade)."""
        return self.evaluates or bool(self.rollups or self.watchers)


def compile_rules(state: TenantMetadata, compiler: ExpressionCompiler) -> dict[str, ObjectRules]:
    """Return the rules of every live object of `state`, by api name (pure)."""
    own = {obj.api_name: _own_rules(obj, compiler) for obj in state.live_objects}
    by_name = {obj.api_name: obj for obj in state.live_objects}
    rollups: dict[str, list[RollupLink]] = {}
    watchers: dict[str, list[FormulaWatch]] = {}
    details: dict[str, list[ReferenceLink]] = {}
    cleared: dict[str, list[ReferenceLink]] = {}
    for obj in state.live_objects:
        for field in obj.live_fields:
            link = _rollup_link(state, obj, field)
            if link is not None:
                rollups.setdefault(field.definition.rollup.child, []).append(link)  # type: ignore[union-attr]
            if is_foreign_key(field):
                target = field.definition.target or ""
                reference = ReferenceLink(obj.api_name, field.api_name)
                # Read from the foreign key's own ON DELETE, so the two cannot disagree.
                action = on_delete_sql(field)
                if action == "CASCADE":
                    details.setdefault(target, []).append(reference)
                elif action == "SET NULL":
                    cleared.setdefault(target, []).append(reference)
        for watched, watch in _watches(state, obj, own[obj.api_name]):
            watchers.setdefault(watched, []).append(watch)
    return {
        name: ObjectRules(
            defaults=rules.defaults,
            formulas=rules.formulas,
            validations=rules.validations,
            paths=rules.paths,
            reads=rules.reads,
            file_reads=rules.file_reads,
            rollups=tuple(rollups.get(name, ())),
            watchers=tuple(watchers.get(name, ())),
            details=tuple(details.get(name, ())),
            cleared=tuple(cleared.get(name, ())),
            blank_scope=dict.fromkeys(
                [*SYSTEM_COLUMNS, *(f.api_name for f in by_name[name].live_fields)]
            ),
        )
        for name, rules in own.items()
    }


def _own_rules(obj: ObjectState, compiler: ExpressionCompiler) -> ObjectRules:
    defaults = []
    formulas = {}
    for field in obj.live_fields:
        definition = field.definition
        source = default_expression(definition)
        if source is not None:
            defaults.append(
                CompiledDefault(
                    field=field.api_name,
                    expression=compiler.compile_stored(source),
                    convert=_default_converter(field),
                )
            )
        if definition.type is FieldType.FORMULA and definition.expression:
            formulas[field.api_name] = CompiledFormula(
                field=field.api_name,
                column=field.column_name,
                expression=compiler.compile_stored(definition.expression),
                convert=computed_value_converter(definition),
            )
    validations = tuple(
        CompiledRule(
            api_name=rule.api_name,
            field=rule.definition.field,
            message=rule.definition.message,
            expression=compiler.compile_stored(rule.definition.expression),
        )
        for rule in obj.validation_rules
        if rule.definition.active
    )
    try:
        ordered = formula_order({name: f.expression.fields for name, f in formulas.items()})
    except graphlib.CycleError:  # refused when saved; keep declaration order if one slipped by
        ordered = list(formulas)
    expressions = [d.expression for d in defaults] + [f.expression for f in formulas.values()]
    expressions += [r.expression for r in validations]
    reads = frozenset(name for e in expressions for name in e.fields)
    return ObjectRules(
        defaults=tuple(defaults),
        formulas=tuple(formulas[name] for name in ordered),
        validations=validations,
        paths=frozenset(path for e in expressions for path in e.paths),
        reads=reads,
        file_reads=tuple(
            sorted(
                field.api_name
                for field in obj.live_fields
                if field.api_name in reads and field.definition.type is FieldType.FILE
            )
        ),
    )


def formula_order(reads: Mapping[str, frozenset[str]]) -> list[str]:
    """Order formulas so each comes after the formulas it reads.

    Raises:
        graphlib.CycleError: formulas read each other in a cycle (refused when saved).
    """
    sorter = graphlib.TopologicalSorter(
        {name: {other for other in fields if other in reads} for name, fields in reads.items()}
    )
    return list(sorter.static_order())


def _default_converter(field: FieldState) -> Converter:
    """Convert a default's result like a formula's, then hold it to the field's range."""
    definition = field.definition
    convert = computed_value_converter(definition)
    if definition.type not in NUMBER_TYPES or (definition.min is None and definition.max is None):
        return convert
    check = value_coercer(definition)

    def bounded(value: Any) -> Any:
        converted = convert(value)
        return None if converted is None else check(converted, False)

    return bounded


def _rollup_link(state: TenantMetadata, obj: ObjectState, field: FieldState) -> RollupLink | None:
    rollup = field.definition.rollup
    if field.definition.type is not FieldType.ROLLUP_SUMMARY or rollup is None:
        return None
    child = state.find_object(rollup.child)
    if child is None:
        return None
    link = rollup_link_field(child, obj.api_name, link=rollup.link)
    if link is None:
        return None
    return RollupLink(
        parent=obj.api_name,
        field=field.api_name,
        link=link.api_name,
        function=rollup.function,
        child_field=rollup.field,
        filter=rollup.filter,
    )


def rollup_link_field(child: ObjectState, parent: str, *, link: str | None) -> FieldState | None:
    """The child's field a roll-up follows to its parent.

    The field the roll-up names as its `link` (None when that is no longer a lookup or
    master-detail to the parent); without one, the first master-detail, then lookup.
    """
    links = [
        f
        for f in child.live_fields
        if f.definition.type in REFERENCE_TYPES and f.definition.target == parent
    ]
    if link is not None:
        return next((f for f in links if f.api_name == link), None)
    links.sort(key=lambda f: f.definition.type is not FieldType.MASTER_DETAIL)
    return links[0] if links else None


def _watches(
    state: TenantMetadata, obj: ObjectState, rules: ObjectRules
) -> list[tuple[str, FormulaWatch]]:
    """Which objects' changes reach `obj`'s formulas through lookup paths."""
    read_paths = {path for f in rules.formulas for path in f.expression.paths}
    by_target: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    for path in read_paths:
        current = obj
        for depth, hop in enumerate(path[:-1]):
            field = current.find_field(hop)
            target = state.find_object(field.definition.target or "") if field else None
            if target is None:
                break
            chain = path[: depth + 1]
            by_target.setdefault((target.api_name, chain), set()).add(path[depth + 1])
            current = target
    return [
        (target, FormulaWatch(source=obj.api_name, chain=chain, fields=frozenset(fields)))
        for (target, chain), fields in sorted(by_target.items())
    ]
