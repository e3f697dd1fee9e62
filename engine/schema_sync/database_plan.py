"""Plan a change for the database it runs on: with what only the database knows."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from engine.schema_sync.column_slots import measure_column_slots
from engine.schema_sync.plan import SchemaPlan, plan_schema_change
from engine.schema_sync.table_extras import read_table_extras
from engine.search import has_search_index, measure_search_support
from metadata.models import TenantMetadata


def plan_against_database(
    connection: Connection, old: TenantMetadata, new: TenantMetadata, *, force: bool = False
) -> SchemaPlan:
    """Return the plan that turns `old` into `new` on the database of `connection`.

    Run it in the change's transaction. It measures what the database offers search
    indexes (when the new state has one) and the column slots of the tenant's tables;
    when the plan rebuilds a table to reclaim them, it reads what that table has beyond
    Tessera's making and plans again with it, so the rebuild carries it over (or the
    change is refused, naming what it could not carry).

    Raises:
        MetadataError, Conflict, SearchUnavailable: as `plan_schema_change`.
    """
    dialect = connection.dialect.name
    slots = measure_column_slots(connection, old.schema_name)
    search = measure_search_support(connection) if has_search_index(new) else None
    plan = plan_schema_change(
        old, new, dialect=dialect, force=force, column_slots=slots, search_support=search
    )
    if not plan.unread_extras:
        return plan
    return plan_schema_change(
        old,
        new,
        dialect=dialect,
        force=force,
        column_slots=slots,
        table_extras=read_table_extras(connection, old.schema_name, plan.unread_extras),
        search_support=search,
    )
