"""Upload files through the engine, as the files endpoint does, for engine-level tests."""

from __future__ import annotations

from typing import Any

from engine import records
from engine.context import RequestContext
from engine.files import IncomingFile, receive_file, tenant_prefix
from tests.engine.files.samples import PDF


def upload(
    context: RequestContext,
    object_name: str,
    record_id: str,
    field_name: str,
    content: bytes = PDF,
    *,
    name: str = "licence.pdf",
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Prepare, receive and attach one file; return the record."""
    target = records.prepare_upload(
        context, object_name, record_id, field_name, expected_version=expected_version
    )
    received = receive_file(
        context.engine.files,
        key=target.key,
        incoming=IncomingFile(name, None, [content]),
        limits=target.limits,
    )
    return records.attach_file(context, target, received)


def stored_blobs(context: RequestContext) -> list[str]:
    """The keys of every blob the tenant has in the store."""
    return sorted(blob.key for blob in context.engine.files.list(tenant_prefix(context.tenant.id)))


def read_file(context: RequestContext, object_name: str, record_id: str, field: str) -> bytes:
    """The bytes of a record's file, as a download streams them."""
    download = records.open_file(context, object_name, record_id, field)
    return b"".join(download.chunks())
