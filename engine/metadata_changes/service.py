"""Apply a metadata change: metadata rows, revision and DDL in one transaction (or a dry run)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from engine.access.upkeep import metadata_changed
from engine.catalog import Catalog, CatalogCache, build_tables
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import Conflict, UnsafePlanError
from engine.extensions import WriteOrigin
from engine.history import drop_purged_history
from engine.metadata_changes.access_audit import record_access_changes
from engine.metadata_changes.component_changes import describe_component_changes
from engine.metadata_changes.dependencies import describe_rewrites
from engine.metadata_changes.rewritten_records import RewrittenRecords
from engine.records.after_write import AfterWrite
from engine.rules.backfill import Refresh, downstream_refreshes, refreshes, run_refreshes
from engine.rules.cascade_writes import CascadeWrites
from engine.rules.record_source import evaluation_contexts
from engine.rules.rule_impact import changed_rules, check_existing_records
from engine.schema_sync import (
    DataImpact,
    apply_plan,
    measure_impact,
    plan_against_database,
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
    #: What to know before applying (a slow change), as `PlanWarning.as_dict()`.
    warnings: list[dict[str, str]] = dataclasses.field(default_factory=list)

    def plan_document(self) -> dict[str, Any]:
        """The plan as JSON: what would run, and what it does to the rows.

        `warnings` is there only when the plan has some.
        """
        document: dict[str, Any] = {
            "summary": self.summary,
            "dry_run": self.is_dry_run,
            "classification": self.classification,
        }
        if self.warnings:
            document["warnings"] = self.warnings
        return document | {
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


def _without_orphans(state: TenantMetadata) -> TenantMetadata:
    """`state` without the components of objects it no longer has (a purged object's)."""
    kept = {obj.id for obj in state.objects}
    components = tuple(c for c in state.components if c.object_id is None or c.object_id in kept)
    if len(components) == len(state.components):
        return state
    return state.model_copy(update={"components": components})


def _at_revision(context: RequestContext, catalog: Catalog) -> RequestContext:
    """The caller's context at the change's new revision, uncommitted yet.

    After-write hooks may write records in the change's transaction; their writes must
    see the new catalog, which no other request may see before the change commits.
    """
    catalogs = CatalogCache(max_tenants=1, compiler=context.engine.catalogs.compiler)
    catalogs.put(catalog)
    return dataclasses.replace(
        context,
        tenant=dataclasses.replace(context.tenant, revision=catalog.revision),
        engine=dataclasses.replace(context.engine, catalogs=catalogs),
    )


def run_change(
    context: RequestContext,
    *,
    summary: str,
    mutate: Callable[[TenantMetadata], tuple[TenantMetadata, Component]],
    render: Callable[[Component], dict[str, Any]],
    dry_run: bool = False,
    force: bool = False,
    guard: Callable[[Connection, TenantMetadata, TenantMetadata], None] | None = None,
) -> ChangeResult:
    """Plan and (unless `dry_run`) apply one metadata change, all or nothing.

    `guard(connection, old, new)` runs in the change's transaction once the new state is
    known, for checks that read the tenant's data (its users) and writes that follow the
    change; it runs on a dry run too, whose transaction is rolled back.

    Records whose stored values the change rewrites (in place, or by recomputing what
    reads them) get a new version, and field history and the after-write hooks see them
    before the commit (origin `metadata-change`). Purged fields and objects lose their
    field history; a change of access components, or of a field's `pii` or
    `track_history` flag, is written to the audit log.

    Raises:
        NotFound, MetadataError, Conflict: from `mutate` or the planner; nothing is written.
        UnsafePlanError: existing rows block the change and it was not (or cannot be) forced.
        SchemaChangeFailed: the database refused a statement; everything is rolled back.
        TesseraError: an after-write hook refused; everything is rolled back.
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
        new = _without_orphans(new)
        if guard is not None:
            guard(connection, old, new)
        plan = plan_against_database(connection, old, new, force=force)
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
            warnings=[warning.as_dict() for warning in plan.warnings],
            operations=plan.describe()
            + describe_component_changes(old, new)
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
        catalog = engine.catalogs.compile(new.model_copy(update={"revision": revision}))
        hooks = AfterWrite(
            engine.after_write_hooks, catalog=catalog, origin=WriteOrigin.METADATA_CHANGE
        )
        in_place = RewrittenRecords.of(plan)
        if hooks.is_listening and in_place.rewrites:
            in_place.read_before(
                connection,
                old=engine.catalogs.get(tenant.id, old.revision, lambda: old),
                new=catalog,
                hooks=hooks,
            )
        in_place.move_versions(connection, now=engine.clock(), actor=context.actor)
        apply_plan(connection, plan)
        drop_purged_history(connection, old=old, new=new)
        record_access_changes(
            connection, context, old=old, new=new, revision=revision, summary=summary
        )
        in_place.report(connection, catalog, hooks)
        if planned:
            now = engine.clock()
            run_refreshes(
                connection,
                catalog,
                planned,
                writes=CascadeWrites(
                    connection, now=now, actor=context.actor, listener=hooks.listener
                ),
                new_context=evaluation_contexts(
                    connection, context, catalog, now=now, budget=context.budget.without_limits()
                ),
            )
        metadata_changed(connection, _at_revision(context, catalog), old=old, new=new)
        if hooks.is_listening:
            hooks.run(connection, _at_revision(context, catalog))
    engine.catalogs.put(catalog)
    logger.info("tenant %s at revision %d: %s", tenant.name, revision, summary)
    return outcome
