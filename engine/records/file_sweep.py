"""Sweep a tenant's file store: remove the blobs no record refers to.

Blobs are removed after the commit that lets them go; when that removal fails (the store
was down, the process stopped), or an upload was interrupted between storing its bytes
and attaching them, a blob is left that no record names. The sweep lists the tenant's
blobs and removes those that no file field of any record (deleted fields and objects
included: they can be restored) refers to, once they are older than a grace period, so
an upload between its two steps is never taken for an orphan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.files import release_blobs, tenant_prefix
from engine.records.file_releases import file_blob_key
from metadata.models import FieldType

#: How old an unreferenced blob must be before a sweep removes it.
DEFAULT_GRACE = timedelta(hours=1)


@dataclass
class SweepResult:
    """What a sweep found and did."""

    tenant: str
    blobs: int = 0
    referenced: int = 0
    recent: int = 0
    removed: list[str] = field(default_factory=list)
    is_dry_run: bool = False

    def as_dict(self) -> dict[str, object]:
        """The result as JSON."""
        return {
            "tenant": self.tenant,
            "blobs": self.blobs,
            "referenced": self.referenced,
            "recent": self.recent,
            "removed": len(self.removed),
            "removed_keys": self.removed,
            "dry_run": self.is_dry_run,
        }


def referenced_blobs(context: RequestContext) -> set[str]:
    """Keys of every blob a record of the tenant refers to, in any file field."""
    catalog = tenant_catalog(context)
    state = catalog.metadata_state
    keys: set[str] = set()
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, revision=catalog.revision
    ) as connection:
        for obj in state.objects:
            table = catalog.tables_by_id[obj.id]
            for file_field in obj.fields:
                if file_field.definition.type is not FieldType.FILE:
                    continue
                column = table.c[file_field.column_name]
                rows = connection.execution_options(yield_per=1000).execute(
                    select(table.c.id, column).where(column.is_not(None))
                )
                for record_id, stored in rows:
                    key = file_blob_key(
                        tenant_id=context.tenant.id,
                        object_id=obj.id,
                        field=file_field,
                        record_id=record_id,
                        stored=stored,
                    )
                    if key is not None:
                        keys.add(key)
    return keys


def sweep_files(
    context: RequestContext, *, grace: timedelta = DEFAULT_GRACE, dry_run: bool = False
) -> SweepResult:
    """Remove the tenant's blobs that no record refers to and that are older than `grace`."""
    result = SweepResult(tenant=context.tenant.name, is_dry_run=dry_run)
    # References are read before the listing: a blob attached in between is younger
    # than the grace period, so it is kept.
    referenced = referenced_blobs(context)
    cutoff = context.engine.clock() - grace
    storage = context.engine.files
    for blob in storage.list(tenant_prefix(context.tenant.id)):
        result.blobs += 1
        if blob.key in referenced:
            result.referenced += 1
        elif blob.modified > cutoff:
            result.recent += 1
        else:
            result.removed.append(blob.key)
    if not dry_run:
        release_blobs(storage, result.removed)
    return result
