"""Answer cross-object predicates with SQL: one indexed query per call, never a row loop."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from engine.budget import RequestBudget
from engine.catalog import Catalog, CompiledObject
from engine.context import RequestContext
from engine.expressions import EvaluationContext
from engine.query import AllFields, AllRows, InvalidQuery, base_condition, build_plan


class SqlRecordSource:
    """Runs COUNT_RECORDS, SUM_RECORDS, EXISTS_RECORD and FETCH_VALUE in the save's transaction."""

    def __init__(self, connection: Connection, catalog: Catalog) -> None:
        self._connection = connection
        self._catalog = catalog

    def _object(self, object_name: str) -> CompiledObject:
        obj = self._catalog.objects.get(object_name)
        if obj is None:
            raise ValueError(f"there is no object {object_name!r}")
        return obj

    def _where(self, obj: CompiledObject, filter: Mapping[str, Any]) -> Any:
        plan = build_plan(
            self._catalog, obj, scope=AllRows(), access=AllFields(), dialect=self._dialect
        )
        try:
            condition = base_condition(plan, as_filter_json(filter))
        except InvalidQuery as exc:
            details = "; ".join(p.detail for p in exc.problems) or str(exc)
            raise ValueError(f"the filter on {obj.state.api_name} is not valid: {details}") from exc
        return plan, condition

    @property
    def _dialect(self) -> str:
        return self._connection.dialect.name

    def count(self, object_name: str, filter: Mapping[str, Any]) -> int:
        """Count the records of `object_name` matching `filter`."""
        obj = self._object(object_name)
        plan, condition = self._where(obj, filter)
        query = select(func.count()).select_from(plan.apply(obj.table))
        if condition is not None:
            query = query.where(condition)
        return int(self._connection.execute(query).scalar_one())

    def total(self, object_name: str, field: str, filter: Mapping[str, Any]) -> Any:
        """Sum `field` over the matching records (None when none match)."""
        obj = self._object(object_name)
        plan, condition = self._where(obj, filter)
        column = plan.resolve(field, pointer="/field").column
        query = select(func.sum(column)).select_from(plan.apply(obj.table))
        if condition is not None:
            query = query.where(condition)
        return self._connection.execute(query).scalar_one()

    def first_value(self, object_name: str, field: str, filter: Mapping[str, Any]) -> Any:
        """Return `field` of the first matching record (oldest first), or None."""
        obj = self._object(object_name)
        plan, condition = self._where(obj, filter)
        column = plan.resolve(field, pointer="/field").read_column
        query = (
            select(column)
            .select_from(plan.apply(obj.table))
            .order_by(obj.table.c.created_at, obj.table.c.id)
            .limit(1)
        )
        if condition is not None:
            query = query.where(condition)
        return self._connection.execute(query).scalar_one_or_none()


def evaluation_contexts(
    connection: Connection,
    context: RequestContext,
    catalog: Catalog,
    *,
    now: datetime,
    budget: RequestBudget | None = None,
) -> Callable[[], EvaluationContext]:
    """A factory of evaluation contexts for one save: clock, caller, tenant, SQL predicates.

    Evaluations charge `budget`, by default the request's (docs/limits.md).
    """
    charged = context.budget if budget is None else budget

    def new_context() -> EvaluationContext:
        return EvaluationContext(
            now=now,
            user=context.actor,
            tenant=context.tenant.name,
            records=SqlRecordSource(connection, catalog),
            budget=charged,
            patterns=context.engine.expressions.patterns,
        )

    return new_context


def as_filter_json(value: Any) -> Any:
    """Turn evaluated filter values into the JSON the filter language takes (ids, dates as text)."""
    if isinstance(value, Mapping):
        return {key: as_filter_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_filter_json(item) for item in value]
    if isinstance(value, UUID | date | Decimal):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value
