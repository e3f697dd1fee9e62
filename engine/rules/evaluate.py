"""Evaluate an object's expression defaults, formulas and validation rules on one record."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from engine.budget import RequestBudget
from engine.catalog import CompiledObject, ValueProblem
from engine.catalog.file_values import file_name
from engine.catalog.rules import CompiledRule
from engine.errors import Problem
from engine.expressions import (
    CONTEXT_NAME,
    CompiledExpression,
    EvaluationContext,
    EvaluationError,
    ExpressionTimeout,
)

#: The problem code of a validation rule whose expression could not be evaluated.
RULE_FAILED = "rule-failed"


@dataclass(slots=True)
class RecordSave:
    """One record on its way through the save pipeline.

    Attributes:
        record_id: the record's id (assigned before evaluation on create).
        is_new: whether the record is being created.
        values: field values to write, by api name: input, defaults, computed values.
        prior: the stored values before this save, by api name (empty when new).
        given: the keys the caller sent.
        pointer: where the record sits in the request (`/records/3` in a bulk body).
        problems: everything wrong with it, reported together.
        verified: lookups whose target record was read during the save (they exist).
        refused: fields whose given value was refused (or that have none to read): the
            expressions reading them are not evaluated, the others still are, so one
            answer lists a bad value and a failed rule together.
    """

    record_id: UUID
    is_new: bool
    values: dict[str, Any]
    prior: Mapping[str, Any] = field(default_factory=dict)
    given: frozenset[str] = frozenset()
    pointer: str = ""
    problems: list[Problem] = field(default_factory=list)
    verified: Collection[str] = frozenset()
    refused: frozenset[str] = frozenset()

    def reads_refused(self, expression: CompiledExpression) -> bool:
        """Whether `expression` reads a value this save refused (then it is not evaluated)."""
        return bool(self.refused) and not self.refused.isdisjoint(expression.fields)

    def scope(self, obj: CompiledObject, *, budget: RequestBudget | None = None) -> dict[str, Any]:
        """The names expressions read: every field, the stored values, then the new ones.

        With `budget`, other requests may run first (it is built for each record of a batch).
        """
        if budget is not None:
            budget.checkpoint()
        scope = obj.rules.blank_scope.copy()
        scope.update(self.prior)
        scope.update(self.values)
        scope["id"] = self.record_id
        for name in obj.rules.file_reads:
            scope[name] = file_name(scope[name])
        return scope

    def prior_as_read(self, obj: CompiledObject) -> Mapping[str, Any]:
        """The stored values as expressions read them (PRIORVALUE, ISCHANGED): file names."""
        if not obj.rules.file_reads or not self.prior:
            return self.prior
        return {
            **self.prior,
            **{name: file_name(self.prior.get(name)) for name in obj.rules.file_reads},
        }


def evaluate_expression(
    expression: CompiledExpression, scope: dict[str, Any], context: EvaluationContext
) -> Any:
    """Evaluate on a record's scope, charging the time to the request's budget.

    Costly expressions (REGEX, cross-object queries) also get a deadline: the
    per-evaluation cap, or the request's remaining expression time when that is less.

    Raises:
        EvaluationError, ExpressionTimeout: the expression failed on this record.
        RequestBudgetExceeded: the request's expressions have taken too long in all.
    """
    started = time.monotonic()
    # Only costly functions read the deadline; starting the clock for the rest is waste.
    if expression.is_costly:
        context.start_clock(started=started)
    try:
        return expression.evaluate(scope)
    finally:
        # Charged even when it fails: a timeout is the costliest evaluation of all.
        context.budget.charge_evaluation(time.monotonic() - started)


def bind_context(
    scope: dict[str, Any], context: EvaluationContext, save: RecordSave, *, obj: CompiledObject
) -> None:
    """Point the context at this record's save (prior values, new or not) and the scope."""
    context.is_new = save.is_new
    context.prior = save.prior_as_read(obj)
    context.current = scope
    scope[CONTEXT_NAME] = context


def apply_expression_defaults(
    obj: CompiledObject, save: RecordSave, scope: dict[str, Any], context: EvaluationContext
) -> None:
    """On create, fill the fields the caller left out whose default is an expression.

    A default that gives no value leaves its field null: whether it may be is for the
    required-field check that follows (`engine/records/required_fields.py`).
    """
    if not save.is_new:
        return
    for default in obj.rules.defaults:
        if save.reads_refused(default.expression):
            continue
        if default.field in save.given:
            continue
        try:
            value = default.convert(evaluate_expression(default.expression, scope, context))
        except (EvaluationError, ExpressionTimeout, ValueProblem) as exc:
            save.problems.append(
                Problem(
                    f"{save.pointer}/{default.field}",
                    "default-failed",
                    f"the default of {default.field!r} failed: {exc}",
                )
            )
            continue
        save.values[default.field] = value
        scope[default.field] = value


def apply_formulas(
    obj: CompiledObject, save: RecordSave, scope: dict[str, Any], context: EvaluationContext
) -> None:
    """Compute every formula field, in dependency order, into the values and the scope."""
    for formula in obj.rules.formulas:
        if save.reads_refused(formula.expression):
            # Formulas reading this one are skipped in turn (they come after it).
            save.refused |= {formula.field}
            continue
        try:
            value = formula.convert(evaluate_expression(formula.expression, scope, context))
        except (EvaluationError, ExpressionTimeout, ValueProblem) as exc:
            save.problems.append(
                Problem(
                    f"{save.pointer}/{formula.field}",
                    "formula-failed",
                    f"the formula {formula.field!r} failed: {exc}",
                )
            )
            value = None
        scope[formula.field] = value
        if save.is_new or save.prior.get(formula.field) != value:
            save.values[formula.field] = value


def run_validations(
    obj: CompiledObject, save: RecordSave, scope: dict[str, Any], context: EvaluationContext
) -> None:
    """Evaluate every active rule; each rule whose expression is true adds its message."""
    for rule in obj.rules.validations:
        if save.reads_refused(rule.expression):
            continue
        try:
            failed = evaluate_expression(rule.expression, scope, context)
        except (EvaluationError, ExpressionTimeout) as exc:
            save.problems.append(
                Problem(
                    _rule_pointer(save, rule),
                    RULE_FAILED,
                    f"validation rule {rule.api_name!r} could not be evaluated: {exc}",
                    rule=rule.api_name,
                )
            )
            continue
        if failed:
            save.problems.append(
                Problem(
                    _rule_pointer(save, rule), "validation-rule", rule.message, rule=rule.api_name
                )
            )


def _rule_pointer(save: RecordSave, rule: CompiledRule) -> str:
    return f"{save.pointer}/{rule.field}" if rule.field else save.pointer
