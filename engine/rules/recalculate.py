"""The admin `recalculate` operation: rebuild a formula's or roll-up's stored values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engine.catalog import hold_catalog_revision, tenant_catalog
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import MetadataError, NotFound, Problem, unknown_object
from engine.extensions import WriteOrigin
from engine.records.after_write import AfterWrite
from engine.rules.backfill import Refresh, run_refreshes
from engine.rules.cascade_writes import CascadeWrites
from engine.rules.record_source import evaluation_contexts
from engine.suggestions import did_you_mean
from metadata.models import FieldType

_KINDS = {FieldType.FORMULA: "formula", FieldType.ROLLUP_SUMMARY: "roll-up"}


def recalculate_field(
    context: RequestContext, object_name: str, field_name: str, *, dry_run: bool = False
) -> dict[str, Any]:
    """Recompute a computed field for every record, in one transaction.

    Changed values cascade like any save (parents' roll-ups, lookup formulas), and the
    after-write hooks see every record that changed (origin `recalculate`). A dry run
    computes everything, reports how many values would change, and rolls back.

    Raises:
        NotFound: no such object or field.
        MetadataError: the field is not a formula or a roll-up.
    """
    catalog = tenant_catalog(context)
    obj = catalog.objects.get(object_name)
    if obj is None:
        raise unknown_object(object_name, catalog.objects)
    compiled = obj.fields.get(field_name)
    if compiled is None:
        raise NotFound(
            f"object {object_name!r} has no field {field_name!r}"
            f"{did_you_mean(field_name, obj.fields)}",
            extra={"field": field_name},
        )
    kind = _KINDS.get(compiled.state.definition.type)
    if kind is None:
        raise MetadataError(
            f"{field_name!r} is not computed; only formulas and roll-ups are recalculated",
            problems=[Problem("", "not-computed", "recalculate a formula or roll-up field")],
        )
    with (
        tenant_connection(
            context.engine.db, context.tenant.schema_name, is_write=True
        ) as connection,
        connection.begin() as transaction,
    ):
        hold_catalog_revision(connection, catalog)
        now = context.engine.clock()
        # A dry run writes nothing that stays, so no hook hears of it.
        hooks = AfterWrite(
            () if dry_run else context.engine.after_write_hooks,
            catalog=catalog,
            origin=WriteOrigin.RECALCULATE,
        )
        changed = run_refreshes(
            connection,
            catalog,
            [Refresh(object_name, field_name, kind)],
            writes=CascadeWrites(connection, now=now, actor=context.actor, listener=hooks.listener),
            new_context=evaluation_contexts(
                connection, context, catalog, now=now, budget=context.budget.without_limits()
            ),
        )
        records = connection.execute(select(func.count()).select_from(obj.table)).scalar_one()
        if dry_run:
            transaction.rollback()
        else:
            hooks.run(connection, context)
    return {
        "object": object_name,
        "field": field_name,
        "records": records,
        "changed": changed,
        "dry_run": dry_run,
    }
