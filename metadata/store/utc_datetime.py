"""A timestamp column type that is always UTC and timezone-aware, on every dialect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC and returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return _as_utc(value)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], datetime | None]:
        """Return the driver's conversion, if any, followed by `_as_utc`.

        TypeDecorator's own processor calls two Python functions per value (its wrapper,
        then `process_result_value`); a page of records reads hundreds of timestamps, and
        on PostgreSQL, where the driver's value needs no conversion, this reads each with
        one.
        """
        parse = self.impl_instance.result_processor(dialect, coltype)
        if parse is None:
            return _as_utc

        def parse_as_utc(value: Any) -> datetime | None:
            return _as_utc(parse(value))

        return parse_as_utc


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is datetime and value.tzinfo is UTC:
        # PostgreSQL sessions run in UTC, so this is how psycopg's values come.
        return value
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
