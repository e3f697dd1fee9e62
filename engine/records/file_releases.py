"""The blobs a write lets go: files it replaces or removes, and the files of deleted records.

The save pipeline collects their keys while it writes (`SavePipeline.released`); whoever
commits the transaction removes them after the commit (`engine.files.release_blobs`), so
a rollback never loses a file.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import Catalog, CompiledObject
from engine.catalog.file_values import blob_id_of
from engine.files import blob_key, is_blob_id
from engine.rules.detail_records import DetailRecords
from engine.rules.evaluate import RecordSave
from metadata.models import FieldState, FieldType

_CHUNK = 500


def file_blob_key(
    *, tenant_id: UUID, object_id: UUID, field: FieldState, record_id: UUID, stored: Any
) -> str | None:
    """The key of the blob a stored file value names, or None (no file)."""
    blob = blob_id_of(stored)
    if blob is None or not is_blob_id(blob):
        return None
    return blob_key(
        tenant_id=tenant_id,
        object_id=object_id,
        field_id=field.id,
        record_id=record_id,
        blob_id=blob,
    )


def replaced_files(tenant_id: UUID, obj: CompiledObject, saves: Sequence[RecordSave]) -> list[str]:
    """Keys of the stored files that written records replaced or removed."""
    released = []
    for save in saves:
        for name, value in save.values.items():
            compiled = obj.fields.get(name)
            if compiled is None or compiled.state.definition.type is not FieldType.FILE:
                continue
            prior = save.prior.get(name)
            if blob_id_of(prior) == blob_id_of(value):
                continue
            key = file_blob_key(
                tenant_id=tenant_id,
                object_id=obj.state.id,
                field=compiled.state,
                record_id=save.record_id,
                stored=prior,
            )
            if key is not None:
                released.append(key)
    return released


def files_of_deletion(
    connection: Connection,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    ids: Collection[UUID],
    details: Sequence[DetailRecords],
    tenant_id: UUID,
) -> list[str]:
    """Keys of the files a deletion of `ids` removes: theirs, and those of the records it
    takes along (`details`: master-detail children, lookups deleting with their target).

    Read before the rows go, in the deletion's transaction.
    """
    if not catalog.has_files:
        return []
    keys = _stored_files(connection, tenant_id=tenant_id, obj=obj, ids=list(ids))
    for group in details:
        keys += _stored_files(connection, tenant_id=tenant_id, obj=group.obj, ids=group.ids)
    return keys


def _stored_files(
    connection: Connection, *, tenant_id: UUID, obj: CompiledObject, ids: Sequence[UUID]
) -> list[str]:
    """Keys of the files records `ids` of `obj` hold, in live and deleted file fields."""
    if not obj.file_fields:
        return []
    columns = [obj.table.c[field.column_name] for field in obj.file_fields]
    keys = []
    for start in range(0, len(ids), _CHUNK):
        rows = connection.execute(
            select(obj.table.c.id, *columns).where(obj.table.c.id.in_(ids[start : start + _CHUNK]))
        )
        for row in rows:
            for field, stored in zip(obj.file_fields, row[1:], strict=True):
                key = file_blob_key(
                    tenant_id=tenant_id,
                    object_id=obj.state.id,
                    field=field,
                    record_id=row[0],
                    stored=stored,
                )
                if key is not None:
                    keys.append(key)
    return keys
