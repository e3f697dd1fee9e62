"""The rows sharing rules put in `_access_shares`, computed in the database.

A rule's filter compiles to SQL once (the one filter language, on the object's own
fields); its rows are then one INSERT … SELECT over the object's table: for the whole
table when the rule changes, for the records a save wrote when they change.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, Uuid, delete, literal, select
from sqlalchemy.engine import Connection

from engine.access.sharing_settings import SharingRule, SharingSettings
from engine.access.sharing_tables import AccessTables, refresh_statistics
from engine.catalog import Catalog, CompiledObject
from engine.errors import Problem
from engine.query import AllFields, AllRows, InvalidQuery, build_plan, compile_filter

#: Record ids per statement: a bulk write's whole batch fits in one.
_IDS_PER_STATEMENT = 10_000


def rule_condition(
    catalog: Catalog, obj: CompiledObject, rule: SharingRule, *, dialect: str
) -> ColumnElement[bool]:
    """The SQL condition of a rule's filter on the object's table.

    Raises:
        InvalidQuery: the filter does not compile (unknown fields, wrong values), or
            follows a lookup (a rule reads the record's own fields only).
    """
    plan = build_plan(catalog, obj, scope=AllRows(), access=AllFields(), dialect=dialect)
    condition = compile_filter(rule.definition.filter, plan)
    if plan.joins:
        path = ".".join(next(iter(plan.joins)))
        message = (
            f"a sharing rule's filter uses the record's own fields, not a path through "
            f"{path!r}: the rule is not evaluated again when the looked-up record changes; "
            f"add a formula field to {obj.state.api_name!r} that reads it and filter on that"
        )
        raise InvalidQuery(message, problems=[Problem("/filter", "path-in-filter", message)])
    return condition


def recompute_rule(
    connection: Connection,
    *,
    catalog: Catalog,
    settings: SharingSettings,
    tables: AccessTables,
    rule: SharingRule,
) -> int:
    """Replace a rule's rows with those its filter selects now; return how many there are."""
    shares = tables.shares
    removed = connection.execute(
        delete(shares).where(shares.c.cause == rule.cause, shares.c.object_id == rule.object_id)
    ).rowcount
    added = _insert(connection, catalog=catalog, settings=settings, tables=tables, rule=rule)
    refresh_statistics(connection, shares, changed=(removed or 0) + added)
    return added


def forget_rule(connection: Connection, tables: AccessTables, *, cause: str) -> None:
    """Remove every row a (removed) rule made."""
    connection.execute(delete(tables.shares).where(tables.shares.c.cause == cause))


def reevaluate_records(
    connection: Connection,
    *,
    catalog: Catalog,
    settings: SharingSettings,
    tables: AccessTables,
    obj: CompiledObject,
    ids: Sequence[UUID],
) -> None:
    """Bring the rule rows of records just written up to date: per rule, one DELETE and
    one INSERT … SELECT for the whole batch."""
    shares = tables.shares
    for rule in settings.rules.get(obj.state.id, ()):
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            chunk = list(ids[start : start + _IDS_PER_STATEMENT])
            connection.execute(
                delete(shares).where(
                    shares.c.object_id == obj.state.id,
                    shares.c.record_id.in_(chunk),
                    shares.c.cause == rule.cause,
                )
            )
            _insert(
                connection,
                catalog=catalog,
                settings=settings,
                tables=tables,
                rule=rule,
                ids=chunk,
            )


def forget_records(
    connection: Connection, tables: AccessTables, *, object_id: UUID, ids: Sequence[UUID]
) -> None:
    """Remove every share of deleted records (rule and manual ones)."""
    shares = tables.shares
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        connection.execute(
            delete(shares).where(
                shares.c.object_id == object_id,
                shares.c.record_id.in_(list(ids[start : start + _IDS_PER_STATEMENT])),
            )
        )


def _insert(
    connection: Connection,
    *,
    catalog: Catalog,
    settings: SharingSettings,
    tables: AccessTables,
    rule: SharingRule,
    ids: list[UUID] | None = None,
) -> int:
    grantee = settings.grantee(rule.definition)
    obj = next((o for o in catalog.objects.values() if o.state.id == rule.object_id), None)
    if grantee is None or obj is None:
        return 0
    table = obj.table
    condition = rule_condition(catalog, obj, rule, dialect=connection.dialect.name)
    rows = select(
        literal(rule.object_id, Uuid),
        table.c.id,
        literal(grantee),
        literal(rule.definition.access.value),
        literal(rule.cause),
    ).where(condition)
    if ids is not None:
        rows = rows.where(table.c.id.in_(ids))
    shares = tables.shares
    statement = shares.insert().from_select(
        ["object_id", "record_id", "grantee", "access", "cause"], rows
    )
    return int(connection.execute(statement).rowcount or 0)
