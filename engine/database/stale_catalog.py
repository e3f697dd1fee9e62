"""A read built from a catalog a schema change has overtaken: `SchemaChanged`, not a 500.

A read looks its tenant's catalog up before it runs its statements, and a metadata change
can commit in between: the statements then name a column or table that the change dropped
or renamed aside, and the database refuses them (PostgreSQL's undefined_column and
undefined_table, SQLite's "no such column/table"). Nothing was written, and the same read
on the new catalog has an answer, so the refusal becomes a `SchemaChanged`: the request
runs again (a 503 with `Retry-After` if the schema changes under it once more).

Only an overtaken catalog gets that: the connection carries the schema and revision its
statements were built from (`stamp_catalog`, done by `tenant_connection`), and the hook
reads the tenant's revision again. A statement that fails under the current catalog keeps
its database error, a fault to see rather than a 503 that no retry cures.

Writes need none of this: they hold their catalog's revision first
(`hold_catalog_revision`), so no change commits while they run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import SchemaChanged
from metadata.store import schema_revision

logger = logging.getLogger(__name__)

CATALOG_OPTION = "tessera_catalog"


@dataclass(frozen=True)
class CatalogStamp:
    """The tenant schema and catalog revision a connection's statements are built from."""

    schema: str
    revision: int


def stamp_catalog(connection: Connection, *, schema: str, revision: int) -> None:
    """Mark `connection`'s statements as built from `schema`'s catalog at `revision`."""
    connection.execution_options(**{CATALOG_OPTION: CatalogStamp(schema, revision)})


def install_stale_catalog_hook(
    engine: Engine,
    *,
    is_missing_table_or_column: Callable[[BaseException], bool],
    revision_engine: Engine,
) -> None:
    """Make a stamped statement that names what a newer revision removed raise `SchemaChanged`.

    `revision_engine` reads the tenant's revision on a connection outside `engine`'s pool:
    the failed connection is still checked out, and requests failing together must not
    wait on each other for the pool's last connections.
    """

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        connection = context.connection
        if connection is None or not is_missing_table_or_column(context.original_exception):
            return None
        stamp = connection.get_execution_options().get(CATALOG_OPTION)
        if not isinstance(stamp, CatalogStamp):
            return None
        current = _current_revision(revision_engine, stamp.schema)
        if current is None or current <= stamp.revision:
            return None
        logger.warning(
            "a read built at revision %d met a table or column gone at revision %d; "
            "the request runs again",
            stamp.revision,
            current,
        )
        return SchemaChanged(
            f"the tenant's metadata changed (revision {stamp.revision} to {current}) while "
            "the request ran; nothing was written, send it again",
            revision=current,
        )


def _current_revision(engine: Engine, schema: str) -> int | None:
    try:
        with engine.connect() as connection:
            return schema_revision(connection, schema)
    except SQLAlchemyError:
        # Without the revision the error cannot be told apart from a fault: it stays as is.
        logger.warning("could not read the revision of %s after a refused statement", schema)
        return None
