"""Files of records: upload into a file field, download, remove.

An upload is checked before a byte of it is read (the object, the file field, the record
in the caller's scope, the version the caller holds), then streamed into the file store
(`engine.files.receive_file`), then attached: the record's field is set through the save
pipeline like any update, so the version, `updated_at`/`updated_by`, validation rules
and after-write hooks all see it. Whatever fails after the bytes are stored removes
them; a replaced or removed file's blob is removed after the commit that let it go.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from engine.access import known_field
from engine.catalog import CompiledField, render_stored
from engine.catalog.file_values import stored_file
from engine.context import RequestContext
from engine.errors import (
    FileStorageFailed,
    NotFound,
    PreconditionFailed,
    Problem,
    RecordValidationError,
)
from engine.files import (
    CHUNK_BYTES,
    ReceivedFile,
    StorageUnavailable,
    UploadLimits,
    blob_key,
    new_blob_id,
    tenant_prefix,
)
from engine.records.file_releases import file_blob_key
from engine.records.object_rights import CallerObject, caller_object, refuse_unwritable
from engine.records.service import editable_record, update_files, visible_record
from metadata.models import DEFAULT_MAX_FILE_SIZE, FieldType, ObjectRight

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadTarget:
    """Where an upload goes, checked before its bytes are read.

    Attributes:
        object_name, record_id, field_name: the record's file field, as the path named it.
        key: the store key the new file's bytes go to (a fresh blob id).
        limits: what the field takes (size, content types).
        expected_version: the record version the caller holds (If-Match), if any.
    """

    object_name: str
    record_id: str
    field_name: str
    key: str
    limits: UploadLimits
    expected_version: int | None


@dataclass(frozen=True)
class FileDownload:
    """A stored file, open for reading: its metadata and a reader of its bytes."""

    name: str
    size: int
    content_type: str
    sha256: str
    reader: BinaryIO

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes, a chunk at a time; the reader is closed at the end."""
        try:
            while chunk := self.reader.read(CHUNK_BYTES):
                yield chunk
        finally:
            self.reader.close()


def prepare_upload(
    context: RequestContext,
    object_name: str,
    record_id: str,
    field_name: str,
    *,
    expected_version: int | None = None,
) -> UploadTarget:
    """Check that the caller may upload into this record's file field; say where it goes.

    Raises:
        NotFound: no such object, file field or record (in the caller's scope).
        PermissionDenied: the caller may not edit the record's object or the field, or
            may read the record but not change it.
        RecordValidationError: the field is not a file field.
        PreconditionFailed: the record is no longer at `expected_version`.
    """
    caller = caller_object(context, object_name, ObjectRight.EDIT)
    catalog, obj = caller.catalog, caller.obj
    compiled = file_field(caller, field_name)
    refuse_unwritable(caller, [{field_name: None}], pointers=[""])
    row = editable_record(context, catalog, obj, record_id)
    if expected_version is not None and row["version"] != expected_version:
        raise PreconditionFailed(
            f"the record is at version {row['version']}; reload it and upload again",
            extra={"current_version": row["version"]},
        )
    key = blob_key(
        tenant_id=context.tenant.id,
        object_id=obj.state.id,
        field_id=compiled.state.id,
        record_id=row["id"],
        blob_id=new_blob_id(),
    )
    return UploadTarget(
        object_name=object_name,
        record_id=record_id,
        field_name=field_name,
        key=key,
        limits=upload_limits(context, compiled),
        expected_version=expected_version,
    )


def upload_limits(context: RequestContext, compiled: CompiledField) -> UploadLimits:
    """What a file field takes on this server: its limits, capped by the server's ceiling."""
    definition = compiled.state.definition
    own = definition.max_size or DEFAULT_MAX_FILE_SIZE
    ceiling = context.engine.max_file_bytes
    return UploadLimits(
        field=compiled.state.api_name,
        max_bytes=min(own, ceiling),
        limit_source="its max_size" if own <= ceiling else "the server's TESSERA_MAX_FILE_BYTES",
        accept=definition.accept,
    )


def attach_file(
    context: RequestContext, target: UploadTarget, received: ReceivedFile
) -> dict[str, Any]:
    """Point the record's file field at a stored file; return the record.

    The caller removes the received blob when this raises (it may be retried with a
    fresh context, so it never removes it itself).

    Raises:
        NotFound, RecordValidationError, PreconditionFailed: as for any update.
    """
    if not received.key.startswith(tenant_prefix(context.tenant.id)):
        raise NotFound(f"there is no {target.object_name} record {target.record_id!r}")
    value = stored_file(
        name=received.name,
        size=received.size,
        content_type=received.content_type,
        sha256=received.sha256,
        uploaded_at=context.engine.clock(),
        blob_id=received.key.rsplit("/", 1)[-1],
    )
    return update_files(
        context,
        target.object_name,
        target.record_id,
        {target.field_name: value},
        expected_version=target.expected_version,
    )


def detach_file(
    context: RequestContext,
    object_name: str,
    record_id: str,
    field_name: str,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Remove the file of a record's file field; return the record.

    Raises:
        NotFound: no such object, file field or record, or no file in the field.
        PermissionDenied: the caller may not edit the record's object or the field.
        PreconditionFailed: the record is no longer at `expected_version`.
    """
    caller = caller_object(context, object_name, ObjectRight.EDIT)
    catalog, obj = caller.catalog, caller.obj
    file_field(caller, field_name)
    refuse_unwritable(caller, [{field_name: None}], pointers=[""])
    row = visible_record(context, catalog, obj, record_id)
    if row[obj.fields[field_name].state.column_name] is None:
        raise _no_file(object_name, record_id, field_name)
    return update_files(
        context, object_name, record_id, {field_name: None}, expected_version=expected_version
    )


def open_file(
    context: RequestContext, object_name: str, record_id: str, field_name: str
) -> FileDownload:
    """Open the file of a record's file field for reading, if the caller's scope shows it.

    Raises:
        NotFound: no such object, file field (or one the caller may not read) or
            record, or no file in the field.
        FileStorageFailed: the store could not be read.
    """
    caller = caller_object(context, object_name, ObjectRight.READ)
    catalog, obj = caller.catalog, caller.obj
    compiled = file_field(caller, field_name)
    row = visible_record(context, catalog, obj, record_id)
    stored = row[compiled.state.column_name]
    key = file_blob_key(
        tenant_id=context.tenant.id,
        object_id=obj.state.id,
        field=compiled.state,
        record_id=row["id"],
        stored=stored,
    )
    if key is None:
        raise _no_file(object_name, record_id, field_name)
    storage = context.engine.files
    try:
        reader = context.budget.run_blocking(lambda: storage.open(key))
    except FileNotFoundError as exc:
        logger.warning(
            "blob %s of %s %s is missing from the file store", key, object_name, row["id"]
        )
        raise NotFound(
            f"the content of {field_name!r} is missing from the file store; upload it again"
        ) from exc
    except StorageUnavailable as exc:
        raise FileStorageFailed(f"the file could not be read: {exc}") from exc
    shown = render_stored(compiled.state.definition, stored)
    return FileDownload(
        name=shown["name"],
        size=shown["size"],
        content_type=shown["content_type"],
        sha256=shown["sha256"],
        reader=reader,
    )


def file_field(caller: CallerObject, field_name: str) -> CompiledField:
    """Return a live file field of the caller's object.

    Raises:
        NotFound: no such field, or one the caller may not read (answered alike).
        RecordValidationError: the field is not a file field.
    """
    obj = caller.obj
    compiled = known_field(obj, caller.access, field_name)
    if compiled is None:
        raise NotFound(f"{obj.state.api_name!r} has no field {field_name!r}")
    if compiled.state.definition.type is not FieldType.FILE:
        raise RecordValidationError(
            f"{field_name!r} is {compiled.state.definition.type}, not a file field",
            problems=[
                Problem(
                    f"/{field_name}",
                    "not-a-file-field",
                    f"files are uploaded to file fields; {field_name!r} is "
                    f"{compiled.state.definition.type}",
                )
            ],
        )
    return compiled


def _no_file(object_name: str, record_id: str, field_name: str) -> NotFound:
    return NotFound(
        f"{object_name} record {record_id!r} has no file in {field_name!r}",
        extra={"field": field_name},
    )
