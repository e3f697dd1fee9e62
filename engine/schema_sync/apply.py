"""Run a plan's data checks, and apply a plan inside the caller's transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnClause

from engine.errors import Conflict, SchemaChangeFailed
from engine.schema_sync.checks import CheckKind, DataCheck
from engine.schema_sync.plan import SchemaPlan
from engine.schema_sync.render import live_operations, render_op

logger = logging.getLogger(__name__)

_DEPENDENT_OBJECTS_STILL_EXIST = "2BP01"

SAMPLE_SIZE = 10


@dataclass(frozen=True)
class BlockingRows:
    """Rows that block a change: how many, and the first few."""

    object_name: str
    field_name: str
    code: str
    message: str
    rows: int
    record_ids: list[str]
    is_forceable: bool
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape used in plans and problem documents."""
        document: dict[str, Any] = {
            "object": self.object_name,
            "field": self.field_name,
            "code": self.code,
            "message": self.message,
            "rows": self.rows,
            "record_ids": self.record_ids,
            "forceable": self.is_forceable,
        }
        if self.duplicates:
            document["duplicates"] = self.duplicates
        return document


@dataclass(frozen=True)
class DataImpact:
    """What a plan does to existing rows."""

    rows_touched: list[dict[str, Any]]
    blocking: list[BlockingRows]
    #: Existing records that new or changed validation rules would refuse (informational).
    rules: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape used in plans (`rules` only when a rule changed)."""
        document: dict[str, Any] = {
            "rows_touched": self.rows_touched,
            "blocking": [rows.as_dict() for rows in self.blocking],
        }
        if self.rules:
            document["rules"] = self.rules
        return document


def measure_impact(connection: Connection, plan: SchemaPlan) -> DataImpact:
    """Count the rows each check of `plan` finds, with samples of blocking record ids."""
    touched = []
    for touch in plan.touches:
        query = select(func.count()).select_from(touch.table)
        if touch.predicate is not None:
            query = query.where(touch.predicate)
        touched.append(
            {
                "object": touch.object_name,
                "field": touch.field_name,
                "reason": touch.reason,
                "rows": connection.execute(query).scalar_one(),
            }
        )
    blocking = [
        found for check in plan.checks if (found := _run_check(connection, check)) is not None
    ]
    return DataImpact(rows_touched=touched, blocking=blocking)


def _run_check(connection: Connection, check: DataCheck) -> BlockingRows | None:
    table = check.table
    if check.kind is CheckKind.DUPLICATES:
        assert check.column is not None
        groups = connection.execute(
            select(check.column.label("value"), func.count().label("rows"))
            .select_from(table)
            .where(check.column.is_not(None))
            .group_by(check.column)
            .having(func.count() > 1)
            .order_by(func.count().desc())
            .limit(SAMPLE_SIZE)
        ).all()
        if not groups:
            return None
        duplicates = []
        for group in groups:
            ids = connection.execute(
                select(table.c.id)
                .where(check.column == group.value)
                .order_by(table.c.id)
                .limit(SAMPLE_SIZE)
            ).scalars()
            duplicates.append(
                {
                    "value": _jsonable(group.value),
                    "rows": group.rows,
                    "record_ids": [str(i) for i in ids],
                }
            )
        return BlockingRows(
            object_name=check.object_name,
            field_name=check.field_name,
            code=check.code,
            message=check.message,
            rows=sum(group.rows for group in groups),
            record_ids=[record for group in duplicates for record in group["record_ids"]][
                :SAMPLE_SIZE
            ],
            is_forceable=check.is_forceable,
            duplicates=duplicates,
        )
    assert check.predicate is not None
    rows = connection.execute(
        select(func.count()).select_from(table).where(check.predicate)
    ).scalar_one()
    if rows == 0:
        return None
    id_column: ColumnClause[Any] = literal_column("id")
    ids = connection.execute(
        select(id_column)
        .select_from(table)
        .where(check.predicate)
        .order_by(id_column)
        .limit(SAMPLE_SIZE)
    ).scalars()
    return BlockingRows(
        object_name=check.object_name,
        field_name=check.field_name,
        code=check.code,
        message=check.message,
        rows=rows,
        record_ids=[_record_id(value) for value in ids],
        is_forceable=check.is_forceable,
    )


def _record_id(value: Any) -> str:
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def apply_plan(connection: Connection, plan: SchemaPlan) -> None:
    """Run every operation of `plan` on `connection`, inside the caller's transaction.

    Raises:
        SchemaChangeFailed: the database refused a statement (the caller rolls back).
        ValueError: the plan rebuilds a table whose extras it was not given.
    """
    if plan.unread_extras:
        # Applying it would lose them: `plan_against_database` reads them.
        raise ValueError(f"the plan lacks the extras of {', '.join(plan.unread_extras)}")
    operations = live_operations(connection)
    for op in plan.ops:
        try:
            render_op(op, operations)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == _DEPENDENT_OBJECTS_STILL_EXIST:
                # A view, function or rule made outside Tessera reads what the change drops.
                reason = " ".join(str(exc.orig).split())
                raise Conflict(
                    f"{op.describe()} is blocked by database objects made outside Tessera "
                    f"that depend on it ({reason}); drop or change them, make the change, "
                    "then create them again",
                    extra={"operation": op.describe()},
                ) from exc
            raise SchemaChangeFailed(
                f"{op.describe()} failed: {exc.orig}", extra={"operation": op.describe()}
            ) from exc
    if plan.dialect == "sqlite" and plan.ops:
        _check_foreign_keys(connection, plan)
    logger.info("applied %d schema operations", len(plan.ops))


def _check_foreign_keys(connection: Connection, plan: SchemaPlan) -> None:
    schemas = {table.schema for table in plan.new_metadata.tables.values() if table.schema}
    for schema in schemas:
        quoted = connection.dialect.identifier_preparer.quote_identifier(schema)
        broken = connection.exec_driver_sql(f"PRAGMA {quoted}.foreign_key_check").all()
        if broken:
            raise SchemaChangeFailed(
                f"the change would leave {len(broken)} references to missing records "
                f"(first in table {broken[0][0]})"
            )
