"""Files of records: upload, download and remove the file of a record's file field.

`POST /api/v1/data/{object}/{id}/files/{field}` takes multipart/form-data with one part
named `file` and streams it into the file store while it arrives (the body limit of this
route is the server's file ceiling, not TESSERA_MAX_BODY_BYTES: see size_limits.py);
`GET` streams the file back; `DELETE` removes it. Uploads and removals are record
updates: they answer with the record and honour `If-Match`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from engine import records
from engine.errors import TesseraError
from engine.files import (
    IncomingFile,
    ReceivedFile,
    content_disposition,
    is_inline_safe,
    receive_file,
    release_blobs,
    sanitize_file_name,
    too_large,
)
from runtime.app.api_route import ApiRoute
from runtime.app.auth import InTenant, engine_context, run_engine
from runtime.app.data_routes import IfMatch, expected_version, record_response
from runtime.app.multipart_upload import MultipartFile
from runtime.app.size_limits import MULTIPART_ALLOWANCE

router = APIRouter(prefix="/api/v1/data", tags=["files"], route_class=ApiRoute)

#: How many uploads of one process stream into the store at once; more wait their turn
#: before their file is read (each holds a worker thread while its sender sends).
UPLOAD_THREADS = 16

FILE_PATH = "/{object_name}/{record_id}/files/{field_name}"
Disposition = Annotated[
    Literal["attachment", "inline"],
    Query(description="inline shows PNG, JPEG, GIF and WebP images in the browser"),
]
IfNoneMatch = Annotated[
    str | None, Header(alias="If-None-Match", description="The sha256 ETag you hold: 304")
]


@router.post(FILE_PATH)
async def upload_file(
    run: InTenant,
    request: Request,
    object_name: str,
    record_id: str,
    field_name: str,
    if_match: IfMatch = None,
) -> Response:
    """Upload the file of a record's file field (replacing any); answer with the record."""
    body = MultipartFile(request)
    try:
        version = expected_version(if_match)
        # Checked before a byte of the body is read: a 404 or a 412 costs no upload.
        target = await run(
            lambda context: records.prepare_upload(
                context, object_name, record_id, field_name, expected_version=version
            )
        )
        if _declared_length(request) > target.limits.max_bytes + MULTIPART_ALLOWANCE:
            raise too_large(target.limits)
        part = await body.open()
        incoming = IncomingFile(
            name=sanitize_file_name(part.filename),
            declared_type=part.content_type,
            chunks=body.chunks_in_thread(),
        )
        storage = engine_context(request).files
        received = await anyio.to_thread.run_sync(
            lambda: receive_file(storage, key=target.key, incoming=incoming, limits=target.limits),
            limiter=request.app.state.upload_threads,
        )
    except TesseraError:
        # Read (some of) the rest, so the client hears the answer instead of a reset.
        await body.drain()
        raise
    return record_response(await _attach(run, request, target, received))


def _declared_length(request: Request) -> int:
    value = request.headers.get("content-length", "").strip()
    return int(value) if value.isascii() and value.isdigit() else 0


async def _attach(
    run: InTenant,
    request: Request,
    target: records.UploadTarget,
    received: ReceivedFile,
) -> dict[str, object]:
    """Attach a stored file to its record; remove its bytes if that fails for good."""
    try:
        return await run(lambda context: records.attach_file(context, target, received))
    except BaseException:
        engine = engine_context(request)
        with anyio.CancelScope(shield=True):
            await run_engine(engine, lambda: release_blobs(engine.files, [received.key]))
        raise


@router.get(FILE_PATH)
async def download_file(
    run: InTenant,
    object_name: str,
    record_id: str,
    field_name: str,
    disposition: Disposition = "attachment",
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Stream the file of a record's file field (its sha256 is the ETag)."""
    download = await run(
        lambda context: records.open_file(context, object_name, record_id, field_name)
    )
    etag = f'"{download.sha256}"'
    headers = {
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache",
        # Opened on its own, a file runs nothing and reaches nothing (an HTML upload).
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        await anyio.to_thread.run_sync(download.reader.close)
        return Response(status_code=304, headers=headers)
    is_inline = disposition == "inline" and is_inline_safe(download.content_type)
    headers["Content-Disposition"] = content_disposition(download.name, is_inline=is_inline)
    headers["Content-Length"] = str(download.size)
    return StreamingResponse(download.chunks(), media_type=download.content_type, headers=headers)


@router.delete(FILE_PATH)
async def delete_file(
    run: InTenant,
    object_name: str,
    record_id: str,
    field_name: str,
    if_match: IfMatch = None,
) -> Response:
    """Remove the file of a record's file field; answer with the record."""
    version = expected_version(if_match)
    record = await run(
        lambda context: records.detach_file(
            context, object_name, record_id, field_name, expected_version=version
        )
    )
    return record_response(record)
