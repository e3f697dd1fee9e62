"""Apply a metadata change: metadata rows, revision and DDL in one transaction (or a dry run)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from engine.catalog import build_tables, update_stamp
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import Conflict, UnsafePlanError
from engine.metadata_changes.dependencies import describe_rewrites
from engine.rules.backfill import Refresh, downstream_refreshes, refreshes, run_refreshes
from engine.rules.cascade_writes import CascadeWrites
from engine.rules.record_source import evaluation_contexts
from engine.rules.rule_impact import changed_rules, check_existing_records
from engine.schema_sync import (
    DataImpact,
    SchemaPlan,
    apply_plan,
    measure_column_slots,
    measure_impact,
    plan_schema_change,
    render_sql,
)
from metadata.models import TenantMetadata
from metadata.store import StaleRevision, load_tenant_metadata, save_tenant_metadata

logger = logging.getLogger(__name__)

Component = TypeVar("Component")


@dataclass(frozen=True)
class ChangeResult:
    """The outcome of a change, or of its dry run: the plan, its impact and the result."""

    summary: str
    is_dry_run: bool
    revision: int
    classification: str
    operations: list[str]
    ddl: list[str]
    impact: DataImpact
    is_forced: bool
    result: dict[str, Any]

    def plan_document(self) -> dict[str, Any]:
        """The plan as JSON: what would run, and what it does to the rows."""
        return {
            "summary": self.summary,
            "dry_run": self.is_dry_run,
            "classification": self.classification,
            "forced": self.is_forced,
            "operations": self.operations,
            "ddl": self.ddl,
            "impact": self.impact.as_dict(),
        }


def _computed_rows(
    connection: Connection, old: TenantMetadata, planned: list[Refresh]
) -> list[dict[str, Any]]:
    """The existing records each planned computation rewrites, as `impact.rows_touched` says."""
    _, tables = build_tables(old)
    touched = []
    for refresh in planned:
        obj = old.find_object(refresh.object)
        if obj is None:
            continue
        rows = connection.execute(select(func.count()).select_from(tables[obj.id])).scalar_one()
        if not rows:
            continue
        touched.append(
            {
                "object": refresh.object,
                "field": refresh.field,
                "reason": refresh.reason,
                "rows": rows,
            }
        )
    return touched


def _move_versions_of_emptied_rows(
    connection: Connection, plan: SchemaPlan, *, now: Any, actor: str
) -> None:
    """Give the records whose values a forced change empties a new version.

    Their stored values change, so a client holding the old version must get 412; the
    rows are the ones the plan's forceable checks find, marked before the DDL runs.
    """
    if not plan.is_forced:
        return
    for check in plan.checks:
        if check.is_forceable and check.predicate is not None:
            table = check.table
            connection.execute(
                update(table)
                .where(check.predicate)
                .values(version=table.c.version + 1, **update_stamp(now=now, actor=actor))
            )


def run_change(
    context: RequestContext,
    *,
    summary: str,
    mutate: Callable[[TenantMetadata], tuple[TenantMetadata, Component]],
    render: Callable[[Component], dict[str, Any]],
    dry_run: bool = False,
    force: bool = False,
) -> ChangeResult:
    """Plan and (unless `dry_run`) apply one metadata change, all or nothing.

    Raises:
        NotFound, MetadataError, Conflict: from `mutate` or the planner; nothing is written.
        UnsafePlanError: existing rows block the change and it was not (or cannot be) forced.
        SchemaChangeFailed: the database refused a statement; everything is rolled back.
    """
    engine = context.engine
    tenant = context.tenant
    with (
        tenant_connection(
            engine.db, tenant.schema_name, is_schema_change=not dry_run
        ) as connection,
        connection.begin() as transaction,
    ):
        old = load_tenant_metadata(connection, tenant.id, lock=not dry_run)
        new, component = mutate(old)
        plan = plan_schema_change(
            old,
            new,
            dialect=engine.dialect_name,
            force=force,
            column_slots=measure_column_slots(connection, old.schema_name),
        )
        impact = measure_impact(connection, plan)
        planned = refreshes(old, new, engine.expressions.functions)
        # A field whose stored values the change rewrites (a conversion, removed picklist
        # values, a default filling empty values) has its readers recomputed too.
        rewritten = [(t.object_name, t.field_name) for t in plan.touches if t.field_name]
        planned += [
            refresh
            for refresh in downstream_refreshes(old, new, rewritten, engine.expressions.functions)
            if (refresh.object, refresh.field) not in {(r.object, r.field) for r in planned}
        ]
        impact.rows_touched.extend(_computed_rows(connection, old, planned))
        # Only a change without DDL (a rule's own change) can read the records as they are.
        rules = [] if plan.ops else changed_rules(old, new)
        if rules:
            draft = engine.catalogs.compile(new)
            impact = dataclasses.replace(
                impact,
                rules=check_existing_records(
                    connection,
                    draft,
                    rules,
                    evaluation_contexts(
                        connection,
                        context,
                        draft,
                        now=engine.clock(),
                        budget=context.budget.without_limits(),
                    ),
                ),
            )
        outcome = ChangeResult(
            summary=summary,
            is_dry_run=dry_run,
            revision=old.revision if dry_run else old.revision + 1,
            classification=plan.classification.value,
            operations=plan.describe()
            + describe_rewrites(old, new)
            + [refresh.describe() for refresh in planned],
            ddl=render_sql(plan.ops, dialect=engine.dialect_name),
            impact=impact,
            is_forced=force,
            result=render(component),
        )
        if dry_run:
            transaction.rollback()
            return outcome
        blocking = [rows for rows in impact.blocking if not (force and rows.is_forceable)]
        if blocking:
            hint = (
                " (add force=true to convert anyway; those values become empty)"
                if all(rows.is_forceable for rows in blocking)
                else ""
            )
            first = blocking[0]
            raise UnsafePlanError(
                f"{first.rows} record(s) of {first.object_name} block the change of "
                f"{first.field_name}: {first.message}{hint}",
                extra={
                    "plan": outcome.plan_document(),
                    "blocking": [rows.as_dict() for rows in blocking],
                },
            )
        try:
            revision = save_tenant_metadata(
                connection,
                old=old,
                new=new,
                actor=context.actor,
                summary=summary,
                changes=[
                    {"operations": outcome.operations, "classification": outcome.classification}
                ],
                now=engine.clock(),
            )
        except StaleRevision as exc:
            raise Conflict("another metadata change was committed meanwhile; retry") from exc
        _move_versions_of_emptied_rows(connection, plan, now=engine.clock(), actor=context.actor)
        apply_plan(connection, plan)
        catalog = engine.catalogs.compile(new.model_copy(update={"revision": revision}))
        if planned:
            now = engine.clock()
            run_refreshes(
                connection,
                catalog,
                planned,
                writes=CascadeWrites(connection, now=now, actor=context.actor),
                new_context=evaluation_contexts(
                    connection, context, catalog, now=now, budget=context.budget.without_limits()
                ),
            )
    engine.catalogs.put(catalog)
    logger.info("tenant %s at revision %d: %s", tenant.name, revision, summary)
    return outcome
