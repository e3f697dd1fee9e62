"""Forget the field history of purged fields and objects, in the purge's transaction."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from engine.history.table import history_table
from metadata.models import TenantMetadata


def drop_purged_history(connection: Connection, *, old: TenantMetadata, new: TenantMetadata) -> int:
    """Delete the history rows of every field `old` has and `new` no longer has.

    A purged object takes its fields along, so its rows go too. Deleting a field or an
    object (restorable) keeps them, as deleting a record does. Returns the rows deleted;
    a change that purges nothing runs no statement.
    """
    kept = {field.id for obj in new.objects for field in obj.fields}
    purged = [field.id for obj in old.objects for field in obj.fields if field.id not in kept]
    if not purged:
        return 0
    table = history_table(new.schema_name)
    return connection.execute(delete(table).where(table.c.field_id.in_(purged))).rowcount
