"""PostgreSQL specifics: prepared statements that a schema change has made stale.

psycopg prepares a statement once it ran a few times on a connection, and PostgreSQL fixes
the result columns of a prepared statement: after a field's column changes type (or
length), the next run of a prepared `SELECT` or `... RETURNING` over it fails with "cached
plan must not change result type". The SQL text does not change with the column's type, so
psycopg would keep reusing the stale statement, on every pooled connection that prepared it
and, outside a transaction (reads run in autocommit), for as long as the connection lives.

Two measures keep that from reaching a user:

- Each connection remembers, per tenant schema, the metadata revision it last ran
  statements under. Used at a newer revision, it forgets its prepared statements first
  (they are prepared again after a few runs), so a schema change costs one re-preparation
  per connection, never an error.
- A statement that still meets a changed result type (it ran under a revision read just
  before a change committed) raises `SchemaChanged`, which the caller answers by running
  the request again against the new catalog; nothing was written.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, ExceptionContext

from engine.errors import SchemaChanged

logger = logging.getLogger(__name__)

_REVISIONS_SEEN = "tessera_revisions"
_FEATURE_NOT_SUPPORTED = "0A000"
_STALE_PLAN = "cached plan must not change result type"
#: undefined_column and undefined_table: a statement names a column or table that is gone.
_MISSING_TABLE_OR_COLUMN = frozenset({"42703", "42P01"})


def install_postgresql_hooks(engine: Engine) -> None:
    """Make a statement that met a changed table raise `SchemaChanged` instead of a driver error."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        error = context.original_exception
        if getattr(error, "sqlstate", None) != _FEATURE_NOT_SUPPORTED or _STALE_PLAN not in str(
            error
        ):
            return None
        if context.connection is not None and not context.connection.invalidated:
            # Whatever this connection prepared may be stale: forget it before its next use.
            _forget_prepared(context.connection)
        logger.warning("a statement met a table changed under it; the request runs again")
        return SchemaChanged(
            "the object's fields changed while the request ran; nothing was written, send it again"
        )


def is_missing_table_or_column(error: BaseException) -> bool:
    """Whether the database refused a statement for naming a column or table it lacks."""
    return getattr(error, "sqlstate", None) in _MISSING_TABLE_OR_COLUMN


def forget_stale_statements(connection: Connection, *, schema: str, revision: int) -> None:
    """Forget the connection's prepared statements if `schema` moved past the revision it knew.

    A connection that never ran statements of `schema` has nothing to forget; one that ran
    them under an older revision may hold statements whose result types have changed.
    """
    if connection.dialect.name != "postgresql":
        return
    seen: dict[str, int] = connection.connection.info.setdefault(_REVISIONS_SEEN, {})
    last = seen.get(schema)
    if last is not None and last >= revision:
        return
    seen[schema] = revision
    if last is not None:
        _forget_prepared(connection)


def _forget_prepared(connection: Connection) -> None:
    # psycopg has no public call for this; it is what psycopg itself does after a ROLLBACK
    # or a DDL statement: the next statements run unprepared and psycopg sends DEALLOCATE
    # ALL after the next one.
    driver: Any = connection.connection.driver_connection
    driver._prepared.clear()
