"""Keep roll-up summaries right: recompute a parent's value from its children with SQL.

After children change, the parents they belong to (before and after a re-parenting)
are locked in id order, then recomputed with one aggregate query in a new statement.
Under READ COMMITTED, a concurrent writer of children of the same parent waits for
that lock and its own recomputation then sees the first writer's committed children,
so the last one to commit always stores the full count.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Numeric,
    and_,
    bindparam,
    case,
    column,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import Select

from engine.catalog import (
    Catalog,
    CompiledObject,
    ExactDecimal,
    ValueProblem,
    decimal_shape,
    storage_type,
    update_stamp,
)
from engine.catalog.computed_values import computed_value_converter
from engine.catalog.rules import RollupLink
from engine.errors import Problem, RecordValidationError
from engine.query import AllFields, AllRows, JoinPlan, base_condition
from engine.query.filter_keys import filter_fields
from engine.rules.cascade_writes import CascadeWrites
from engine.rules.stored_rows import lock_rows
from metadata.models import DECIMAL_TYPES, MAX_PRECISION, FieldDef, FieldType, RollupFunction

_CHUNK = 500


def rollup_expression(
    catalog: Catalog, child: CompiledObject, parent: CompiledObject, link: RollupLink
) -> ColumnElement[Any]:
    """The correlated subquery that computes `link`'s value for each parent row.

    The children are read through an alias: in a hierarchy (a lookup from an object to
    itself) child and parent are the same table, and only the alias tells them apart.
    """
    rows = child.table.alias("rollup_children")
    plan = JoinPlan(
        catalog=catalog, base=child, scope=AllRows(), access=AllFields(), root=rows, dialect=""
    )
    condition = rows.c[child.fields[link.link].column.name] == parent.table.c.id
    extra = base_condition(plan, dict(link.filter)) if link.filter else None
    if extra is not None:
        condition = and_(condition, extra)
    if link.function is RollupFunction.COUNT:
        aggregate: ColumnElement[Any] = func.count()
    else:
        column = rows.c[child.fields[link.child_field or ""].column.name]
        if link.function is RollupFunction.SUM:
            aggregate = func.sum(column)
        elif link.function is RollupFunction.MIN:
            aggregate = func.min(column)
        else:
            aggregate = func.max(column)
    query = select(aggregate).select_from(plan.apply(rows)).where(condition)
    subquery = query.correlate(parent.table).scalar_subquery()
    if link.function is RollupFunction.SUM:
        return func.coalesce(subquery, 0)
    return subquery


def refresh_rollups(
    connection: Connection,
    catalog: Catalog,
    *,
    child: CompiledObject,
    links: Sequence[RollupLink],
    parent_ids: Collection[UUID],
    writes: CascadeWrites,
) -> dict[UUID, set[str]]:
    """Recompute `links` (roll-ups of one parent object) for `parent_ids`.

    Returns the fields that changed, by parent id; changed parents get a new version.

    Raises:
        RecordValidationError: a value does not fit its roll-up field (see `overflow`).
    """
    if not links or not parent_ids:
        return {}
    parent = catalog.objects[links[0].parent]
    lock_rows(connection, parent, parent_ids)
    expressions = [rollup_expression(catalog, child, parent, link) for link in links]
    columns = [parent.fields[link.field].column for link in links]
    converters = [
        computed_value_converter(parent.fields[link.field].state.definition) for link in links
    ]
    changed: dict[UUID, set[str]] = {}
    ordered = sorted(parent_ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        query = select(parent.table.c.id, *columns, *expressions)
        pending: list[tuple[UUID, dict[str, Any]]] = []
        for row in _aggregate_rows(connection, query, parent, links, expressions, chunk):
            stored = row[1 : 1 + len(links)]
            fresh = []
            for link, convert, value in zip(links, converters, row[1 + len(links) :], strict=True):
                try:
                    fresh.append(convert(value))
                except ValueProblem as exc:
                    # Past the column's range is an overflow; anything else (a text too
                    # long for a min/max) is reported the same way, under its own code.
                    code = "rollup-overflow" if exc.code == "out-of-range" else "rollup-invalid"
                    raise overflow(parent, link, row[0], exc.message, code=code) from exc
            updates = {
                link.field: value
                for link, old, value in zip(links, stored, fresh, strict=True)
                if old != value
            }
            if not updates:
                continue
            changed[row[0]] = set(updates)
            pending.append((row[0], updates))
        writes.update_many(parent, pending)
    return changed


def _aggregate_rows(
    connection: Connection,
    query: Select[Any],
    parent: CompiledObject,
    links: Sequence[RollupLink],
    expressions: Sequence[ColumnElement[Any]],
    ids: Sequence[UUID],
) -> list[Row[Any]]:
    """Run the aggregate `query` for the parents `ids`.

    SQLite's integer `sum()` stops with "integer overflow" past 64 bits instead of
    returning a value; each parent's roll-ups are then computed one by one to name the
    one that overflows. (Statement errors do not end a SQLite transaction.)
    """
    table = parent.table
    try:
        return list(connection.execute(query.where(table.c.id.in_(ids))))
    except OperationalError as exc:
        if not _is_integer_overflow(exc):
            raise
    for record_id in ids:
        for link, expression in zip(links, expressions, strict=True):
            try:
                connection.execute(select(expression).where(table.c.id == record_id)).all()
            except OperationalError as exc:
                if not _is_integer_overflow(exc):
                    raise
                raise overflow(parent, link, record_id, "the sum exceeds 64 bits") from exc
    raise AssertionError("an aggregate overflowed for the chunk but for none of its parents")


def _is_integer_overflow(exc: OperationalError) -> bool:
    return "integer overflow" in str(exc.orig)


def overflow(
    parent: CompiledObject,
    link: RollupLink,
    record_id: Any,
    reason: str,
    *,
    code: str = "rollup-overflow",
) -> RecordValidationError:
    """The 422 of a roll-up value its field cannot hold, naming the field and the record.

    Nothing is written: the error ends the save's (or recalculation's) transaction.
    """
    definition = parent.fields[link.field].state.definition
    shape = _capacity(definition)
    name = f"{parent.state.api_name}.{link.field}"
    return RecordValidationError(
        f"the roll-up {name} of {parent.state.api_name} record {record_id} no longer fits "
        f"its field ({reason}; it holds {shape}): give the roll-up a wider type "
        f"(precision up to {MAX_PRECISION}), or change the children that feed it",
        problems=[
            Problem(
                f"/{link.field}",
                code,
                f"{name} of record {record_id} does not fit {shape}: {reason}",
            )
        ],
        extra={"object": parent.state.api_name, "field": link.field, "record": str(record_id)},
    )


def _capacity(definition: FieldDef) -> str:
    stored = storage_type(definition.type, definition)
    if stored in DECIMAL_TYPES:
        precision, scale = decimal_shape(definition, stored)
        return f"{precision - scale} whole digits and {scale} decimals"
    return "a 64-bit integer" if stored is FieldType.INTEGER else str(stored.value)


def is_additive(
    child: CompiledObject, parent: CompiledObject, link: RollupLink, dialect: str
) -> bool:
    """Whether new children can be folded into the stored value without re-aggregating.

    Only when that is exact: a child value never needs rounding to the stored scale (a
    sum of 0.005s rounded per child would drift), and on SQLite, where decimals are
    scaled integers, both sides are stored alike.
    """
    stored = parent.fields[link.field].column.type
    if link.function is RollupFunction.COUNT:
        return dialect == "postgresql" or not isinstance(stored, ExactDecimal)
    source = child.fields[link.child_field or ""].column.type
    stored_scale, source_scale = _scale(stored), _scale(source)
    if stored_scale is None or source_scale is None:
        return type(stored) is type(source)
    if source_scale > stored_scale:
        return False
    if dialect == "postgresql":
        return True
    if isinstance(stored, ExactDecimal) or isinstance(source, ExactDecimal):
        return (
            isinstance(stored, ExactDecimal)
            and isinstance(source, ExactDecimal)
            and stored_scale == source_scale
        )
    return True


def _ids_condition(column: Any) -> ColumnElement[bool]:
    return column.in_(bindparam("child_ids", expanding=True))  # type: ignore[no-any-return]


def _scale(column_type: Any) -> int | None:
    """Decimal places a numeric column keeps (0 for integers); None for other types."""
    if isinstance(column_type, Integer):
        return 0
    if isinstance(column_type, ExactDecimal | Numeric):
        return int(column_type.scale or 0)
    return None


def add_new_children(
    connection: Connection,
    catalog: Catalog,
    *,
    child: CompiledObject,
    links: Sequence[RollupLink],
    children: Sequence[tuple[UUID, Mapping[str, Any]]],
    writes: CascadeWrites,
) -> dict[UUID, set[str]]:
    """Fold freshly inserted children into their parents' roll-ups, one UPDATE per link field.

    Each parent row is updated from its stored value (`count + new`, the smaller of the
    stored and the new minimum, …), so concurrent writers serialize on the parent's row
    lock and each adds its own children. `children` are (id, values by field) of the new
    records. Returns the fields that changed, by parent id.
    """
    changed: dict[UUID, set[str]] = {}
    by_link: dict[str, list[RollupLink]] = {}
    for link in links:
        by_link.setdefault(link.link, []).append(link)
    dialect = connection.dialect.name
    for link_field, group in by_link.items():
        shape = _fold_shape(child, link_field, group, count=len(children), dialect=dialect)
        key = ("add-children", child.state.api_name, tuple(link.field for link in group), shape)
        statement = catalog.statements.get_or_build(
            key,
            partial(
                _fold_statement, catalog, child, link_field, group, shape=shape, dialect=dialect
            ),
        )
        parameters = {
            **_fold_parameters(child, shape, children),
            "now": writes.now,
            "actor": writes.actor,
        }
        try:
            rows = connection.execute(statement, parameters).all()
        except OperationalError as exc:
            if not _is_integer_overflow(exc):
                raise
            # SQLite's sum of the new children overflowed; recounting names the parent.
            parents = {
                values[link_field] for _, values in children if values.get(link_field) is not None
            }
            refresh_rollups(
                connection, catalog, child=child, links=group, parent_ids=parents, writes=writes
            )
            raise
        parent = catalog.objects[group[0].parent]
        for row in rows:
            # A sum out of its field's range is folded to NULL (see `_fold_statement`).
            for link, value in zip(group, row[1:], strict=True):
                if value is None and link.function in (RollupFunction.COUNT, RollupFunction.SUM):
                    raise overflow(parent, link, row[0], "the sum exceeds it")
            changed[row[0]] = {link.field for link in group}
    return changed


#: How the new children reach the fold: by one id, by an id list, or (PostgreSQL) as
#: arrays of the values the fold reads, so the just-written rows are not read back.
_ONE_ID, _IDS = "one-id", "ids"


def _fold_shape(
    child: CompiledObject,
    link_field: str,
    links: Sequence[RollupLink],
    *,
    count: int,
    dialect: str,
) -> str | tuple[str, ...]:
    if count == 1:
        return _ONE_ID
    if dialect != "postgresql":
        return _IDS
    needed = {link_field}
    for link in links:
        if link.child_field:
            needed.add(link.child_field)
        if link.filter:
            needed |= filter_fields(link.filter)
    if not needed <= set(child.fields):
        return _IDS
    if any(child.fields[name].column.type._type_affinity is JSON for name in needed):
        return _IDS
    return tuple(sorted(needed))


def _fold_parameters(
    child: CompiledObject,
    shape: str | tuple[str, ...],
    children: Sequence[tuple[UUID, Mapping[str, Any]]],
) -> dict[str, Any]:
    if shape == _ONE_ID:
        return {"child_id": children[0][0]}
    if shape == _IDS:
        return {"child_ids": [record_id for record_id, _ in children]}
    return {f"c_{name}": [values.get(name) for _, values in children] for name in shape}


def _fold_statement(
    catalog: Catalog,
    child: CompiledObject,
    link_field: str,
    links: Sequence[RollupLink],
    *,
    shape: str | tuple[str, ...],
    dialect: str,
) -> Any:
    """The UPDATE that folds new children into their parents' stored roll-ups.

    A count or sum that would leave its column's range is written as NULL instead of
    failing the statement (PostgreSQL) or turning into a float (SQLite, whose integer
    arithmetic overflows to REAL); the caller sees the NULL it returns and refuses the
    save, and the transaction's rollback takes the NULL back.
    """
    parent = catalog.objects[links[0].parent]
    rows: Any
    if isinstance(shape, tuple):
        rows = (
            func.unnest(
                *[
                    bindparam(f"c_{name}", type_=ARRAY(child.fields[name].column.type))
                    for name in shape
                ]
            )
            .table_valued(
                *[
                    column(child.fields[name].column.name, child.fields[name].column.type)
                    for name in shape
                ]
            )
            .render_derived(name="new_children")
        )
        where = None
    else:
        rows = child.table.alias("new_children")
        where = (
            rows.c.id == bindparam("child_id") if shape == _ONE_ID else _ids_condition(rows.c.id)
        )
    plan = JoinPlan(
        catalog=catalog, base=child, scope=AllRows(), access=AllFields(), root=rows, dialect=""
    )
    link_column = rows.c[child.fields[link_field].column.name]
    conditions = [
        base_condition(plan, dict(link.filter)) if link.filter else None for link in links
    ]
    columns: list[ColumnElement[Any]] = [link_column.label("parent_id")]
    for index, (link, condition) in enumerate(zip(links, conditions, strict=True)):
        source: ColumnElement[Any] = (
            literal(1)
            if link.function is RollupFunction.COUNT
            else rows.c[child.fields[link.child_field or ""].column.name]
        )
        value = source if condition is None else case((condition, source), else_=None)
        aggregate: ColumnElement[Any]
        if link.function in (RollupFunction.COUNT, RollupFunction.SUM):
            aggregate = func.sum(value)
        elif link.function is RollupFunction.MIN:
            aggregate = func.min(value)
        else:
            aggregate = func.max(value)
        columns.append(aggregate.label(f"v{index}"))
    query = select(*columns).select_from(plan.apply(rows)).where(link_column.is_not(None))
    if where is not None:
        query = query.where(where)
    query = query.group_by(link_column)
    filters = [condition for condition in conditions if condition is not None]
    if len(filters) == len(conditions):
        # A parent changes when a new child matches any filter. Each filter is tested in
        # its own aggregate: OR-ing the filters themselves flattens them into one chain,
        # past SQLite's expression depth with a few filters at their size limit.
        query = query.having(
            or_(*(func.max(case((condition, 1), else_=0)) == 1 for condition in filters))
        )
    delta = query.subquery("delta")
    table = parent.table
    values: dict[str, Any] = {
        "version": table.c.version + 1,
        **update_stamp(now=bindparam("now"), actor=bindparam("actor")),
    }
    for index, link in enumerate(links):
        stored = table.c[parent.fields[link.field].column.name]
        fresh = delta.c[f"v{index}"]
        if link.function in (RollupFunction.COUNT, RollupFunction.SUM):
            total = func.coalesce(stored, 0) + func.coalesce(fresh, 0)
            low, high = _raw_range(parent.fields[link.field].column.type, dialect)
            values[stored.name] = case(
                (and_(total >= literal_column(low), total <= literal_column(high)), total),
                else_=null(),
            )
        elif link.function is RollupFunction.MIN:
            values[stored.name] = case(
                (stored.is_(None), fresh), (fresh < stored, fresh), else_=stored
            )
        else:
            values[stored.name] = case(
                (stored.is_(None), fresh), (fresh > stored, fresh), else_=stored
            )
    returned = [table.c[parent.fields[link.field].column.name] for link in links]
    return (
        update(table)
        .where(table.c.id == delta.c.parent_id)
        .values(values)
        .returning(table.c.id, *returned)
    )


def _raw_range(column_type: Any, dialect: str) -> tuple[str, str]:
    """The smallest and largest value a roll-up column stores, as SQL literals.

    On SQLite an exact decimal is compared as the scaled integer it is stored as.
    """
    if isinstance(column_type, ExactDecimal):
        largest = Decimal(10**column_type.precision - 1)
        if dialect != "sqlite":
            largest = largest.scaleb(-column_type.scale)
        return f"-{largest}", str(largest)
    return str(-(2**63)), str(2**63 - 1)
