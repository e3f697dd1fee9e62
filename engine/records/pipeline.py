"""The save pipeline every write goes through: API, bulk, import, and later forms and workflows.

The order follows DESIGN decision 7; docs/save-pipeline.md describes each stage:

1. permissions (the caller's scope; record sharing plugs in here)
2. type coercion and literal defaults (`parse_record_input`, before the pipeline runs)
3. expression defaults and auto-numbers
4. before-save field updates (workflows, when they arrive)
5. formulas, in dependency order
6. validation: every failing rule and unknown lookup reported together
7. write, with the version check
8. roll-ups of parents and formulas reading the record through lookups (the cascade)
9. after-save actions and audit (with workflows)
10. commit, by the caller's transaction
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject, creation_stamp, update_stamp
from engine.context import RequestContext
from engine.database import bind_budget
from engine.expressions import EvaluationContext
from engine.query import QueryScope
from engine.records.auto_number import advance_counter, format_auto_number
from engine.rules.cascade import Cascade, RecordChange
from engine.rules.evaluate import (
    RecordSave,
    apply_expression_defaults,
    apply_formulas,
    bind_context,
    run_validations,
)
from engine.rules.path_values import load_path_values
from engine.rules.record_source import evaluation_contexts
from engine.rules.stored_rows import load_rows
from metadata.models import FieldType


@dataclass
class SavePipeline:
    """Runs the stages of the save pipeline for records of one object, in one transaction."""

    connection: Connection
    context: RequestContext
    catalog: Catalog
    obj: CompiledObject
    #: The rows the caller may read and write (stage 1); required, never "all" by default.
    scope: QueryScope
    now: Any = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.context.engine.clock()
        # Every statement of the save, the rules' and the cascade's included, is charged.
        bind_budget(self.connection, self.context.budget)

    @property
    def needs_prior(self) -> bool:
        """Whether updates must read (and lock) the stored records before the write."""
        return self.obj.rules.needs_prior

    def evaluation_context(self) -> EvaluationContext:
        """A context for this save: clock, caller, tenant, and SQL for cross-object functions."""
        return evaluation_contexts(self.connection, self.context, self.catalog, now=self.now)()

    @property
    def visible(self) -> ColumnElement[bool] | None:
        """The scope's condition on the object's table (None: every row is visible)."""
        return self.scope.predicate(self.obj, self.obj.table)

    def load_prior(self, ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]:
        """Read and lock the stored records about to be updated, those the scope shows."""
        rows = load_rows(self.connection, self.obj, list(ids), lock=True)
        condition = self.visible
        if condition is None or not rows:
            return rows
        table = self.obj.table
        shown = set(
            self.connection.execute(
                select(table.c.id).where(table.c.id.in_(list(rows)), condition)
            ).scalars()
        )
        return {key: row for key, row in rows.items() if key in shown}

    def prepare(self, saves: Sequence[RecordSave]) -> None:
        """Stages 3 to 6 for records that passed coercion; problems land on each save."""
        rules = self.obj.rules
        numbered = [
            name
            for name in rules.reads
            if name in self.obj.fields
            and self.obj.fields[name].state.definition.type is FieldType.AUTO_NUMBER
        ]
        active = [save for save in saves if not save.problems]
        if numbered:
            self.number([save.values for save in active if save.is_new], only=numbered)
        if not rules.evaluates or not active:
            return
        context = self.evaluation_context()
        scopes = [save.scope(self.obj, budget=self.context.budget) for save in active]
        # Expressions see the record as it will be stored, system columns included.
        created = creation_stamp(now=self.now, actor=self.context.actor)
        updated = update_stamp(now=self.now, actor=self.context.actor)
        for save, scope in zip(active, scopes, strict=True):
            if save.is_new:
                scope.update(created)
            else:
                scope.update(updated)
                scope["version"] = (save.prior.get("version") or 0) + 1
        if rules.defaults:
            for save, scope in zip(active, scopes, strict=True):
                bind_context(scope, context, save)
                apply_expression_defaults(self.obj, save, scope, context)
        if rules.paths:
            found = load_path_values(self.connection, self.catalog, self.obj, scopes, rules.paths)
            if len(active) == 1:  # a batch checks its lookups with one query per lookup anyway
                save = active[0]
                save.verified = {
                    name for name, ids in found.items() if save.values.get(name) in ids
                }
        for save, scope in zip(active, scopes, strict=True):
            bind_context(scope, context, save)
            apply_formulas(self.obj, save, scope, context)
            run_validations(self.obj, save, scope, context)

    @property
    def has_stages(self) -> bool:
        """Whether records of this object need anything beyond coercion and the write."""
        rules = self.obj.rules
        return rules.evaluates or rules.needs_prior

    def number(
        self, records: Sequence[dict[str, Any]], *, only: Iterable[str] | None = None
    ) -> None:
        """Give new records (their values by field) auto-numbers not drawn yet, in order."""
        wanted = set(only) if only is not None else None
        for name, compiled in self.obj.fields.items():
            definition = compiled.state.definition
            if definition.type is not FieldType.AUTO_NUMBER:
                continue
            if wanted is not None and name not in wanted:
                continue
            pending = [values for values in records if name not in values]
            if not pending:
                continue
            last = advance_counter(
                self.connection,
                tenant_id=self.context.tenant.id,
                field_id=compiled.state.id,
                by=len(pending),
            )
            first = last - len(pending) + 1
            for offset, values in enumerate(pending):
                values[name] = format_auto_number(
                    definition.format or "{0}", counter=first + offset, now=self.now
                )

    def cascade(self) -> Cascade:
        """The cascade that follows this save into roll-ups and lookup formulas."""
        return Cascade(
            connection=self.connection,
            catalog=self.catalog,
            now=self.now,
            new_context=self.evaluation_context,
        )

    def after_write(self, saves: Sequence[RecordSave]) -> set[tuple[str, UUID]]:
        """Stage 8 for written records: parents' roll-ups and formulas that read them.

        Returns the records the cascade changed, as (object, id): a saved record can be
        among them (its formula reads a roll-up it feeds).
        """
        rules = self.obj.rules
        if not (rules.rollups or rules.watchers):
            return set()
        changes = [
            RecordChange(save.record_id, before=None, after=save.values)
            if save.is_new
            else RecordChange(
                save.record_id,
                before=save.prior,
                after={**save.prior, **save.values},
                changed=frozenset(
                    name for name, value in save.values.items() if save.prior.get(name) != value
                ),
            )
            for save in saves
        ]
        cascade = self.cascade()
        cascade.follow(self.obj, changes)
        return cascade.touched


def changed_columns(obj: CompiledObject, values: dict[str, Any]) -> dict[str, Any]:
    """Column values of `values`, keyed by column name."""
    columns = obj.input.columns
    return {columns.get(name, name): value for name, value in values.items()}
