"""Keep a write on the catalog it was checked against, while metadata changes run beside it."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from engine.catalog.compile import Catalog
from engine.database import forget_stale_statements
from engine.errors import SchemaChanged
from metadata.store import hold_revision


def hold_catalog_revision(connection: Connection, catalog: Catalog) -> None:
    """Keep the tenant's metadata from changing until this write transaction ends.

    Run it first in every write transaction, before the transaction touches a tenant
    table. A request compiles (or finds) its catalog before it opens its transaction, so a
    metadata change can commit in between; a write checked against the older catalog
    would then store values the new schema refuses (a text longer than a narrowed
    length, on SQLite) or fail in the database. Holding the revision orders each write
    with each change: a write that got here first commits before the change starts, which
    then sees its rows like any others; one that comes after the change is refused here
    and runs again against the new catalog.

    Raises:
        SchemaChanged: the tenant's revision moved past the catalog's; nothing was written.
    """
    state = catalog.metadata_state
    revision = hold_revision(connection, state.tenant_id)
    forget_stale_statements(connection, schema=state.schema_name, revision=revision)
    if revision != catalog.revision:
        raise SchemaChanged(
            f"the tenant's metadata changed (revision {catalog.revision} to {revision}) "
            "while the request ran; nothing was written, send it again",
            revision=revision,
        )
