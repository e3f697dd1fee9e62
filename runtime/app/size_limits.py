"""Refuse requests too large to serve, before the application reads them.

A URL (path and query string) longer than `SizeLimits.max_url_bytes` is answered 414,
a body longer than `SizeLimits.max_body_bytes` 413, both as problem documents. A body
whose Content-Length is too large is refused before a byte of it is read; a chunked body
is counted as it arrives and refused at the first chunk past the limit, so no request
holds more than the limit in memory.

File uploads (`POST …/files/{field}`, `UPLOAD_PATH`) are the one exception: their body is
a file streamed into the file store, never held, so it may be as large as the server's
largest file (`SizeLimits.max_file_bytes`, TESSERA_MAX_FILE_BYTES) plus the multipart
framing; the route itself stops each upload at its field's `max_size`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.context import DEFAULT_MAX_FILE_BYTES
from runtime.app.problems import http_problem

MEBIBYTE = 1024 * 1024
#: 10 MiB: a bulk body of 10,000 records of about 1 KiB each fits.
DEFAULT_MAX_BODY_BYTES = 10 * MEBIBYTE
DEFAULT_MAX_URL_BYTES = 8 * 1024
#: What multipart framing adds to a file (boundaries, the part's headers).
MULTIPART_ALLOWANCE = 64 * 1024
#: The path of the file upload route (runtime/app/file_routes.py).
UPLOAD_PATH = re.compile(r"/api/v1/data/[^/]+/[^/]+/files/[^/]+/?")
#: How much of a refused body is read and dropped, so the client can read the answer
#: (a server that closes while the client still sends makes the client see a reset).
_DRAIN_BYTES = 16 * MEBIBYTE


@dataclass(frozen=True)
class SizeLimits:
    """The largest request the API serves (TESSERA_MAX_BODY_BYTES, TESSERA_MAX_URL_BYTES,
    and TESSERA_MAX_FILE_BYTES for file uploads)."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_url_bytes: int = DEFAULT_MAX_URL_BYTES
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    def body_limit(self, scope: Scope) -> int:
        """The largest body of this request: a file upload's, or any other's."""
        if scope.get("method") == "POST" and UPLOAD_PATH.fullmatch(scope["path"]):
            return max(self.max_body_bytes, self.max_file_bytes + MULTIPART_ALLOWANCE)
        return self.max_body_bytes


class BodyTooLarge(HTTPException):
    """A body past the limit, raised from `receive` while the application reads it."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)


def body_too_large_detail(limit: int, *, is_upload: bool = False) -> str:
    """Say what the body limit is and how to stay within it."""
    if is_upload:
        return (
            f"the upload is larger than {limit} bytes (TESSERA_MAX_FILE_BYTES and the "
            "multipart framing); send a smaller file"
        )
    return (
        f"the request body is larger than {limit} bytes (TESSERA_MAX_BODY_BYTES); "
        "send fewer records per request"
    )


class SizeLimitMiddleware:
    """ASGI middleware enforcing `SizeLimits` on every HTTP request."""

    def __init__(self, app: ASGIApp, *, limits: SizeLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversized request, or run the application with a counting `receive`."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = self.limits
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope.get("query_string", b"")
        )
        if url_bytes > limits.max_url_bytes:
            detail = (
                f"the URL has {url_bytes} bytes; at most {limits.max_url_bytes} are served "
                "(TESSERA_MAX_URL_BYTES): send long filters as shorter ones, or in pages"
            )
            await self._refuse(scope, receive, send, status=414, detail=detail)
            return
        headers = Headers(scope=scope)
        declared = _content_length(headers)
        limit = limits.body_limit(scope)
        detail = body_too_large_detail(limit, is_upload=limit != limits.max_body_bytes)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, status=413, detail=detail)
            return
        received = 0
        is_started = is_refused = False

        async def counting_receive() -> Message:
            nonlocal received, is_refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    is_refused = True
                    raise BodyTooLarge(detail)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal is_started
            if message["type"] == "http.response.start":
                is_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:
            # Raised where no handler renders it (outside a route); answer if still possible.
            if is_started:
                raise
            await self._refuse(scope, receive, send, status=413, detail=str(exc.detail))
            return
        if is_refused:
            await _drain(receive)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, *, status: int, detail: str
    ) -> None:
        response = http_problem(Request(scope), status=status, detail=detail)
        await response(scope, receive, send)
        if "100-continue" not in Headers(scope=scope).get("expect", "").lower():
            await _drain(receive)


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None or not (value.strip().isascii() and value.strip().isdigit()):
        return None
    return int(value)


async def _drain(receive: Receive) -> None:
    """Read and drop what is left of a refused body, up to `_DRAIN_BYTES`."""
    dropped = 0
    while dropped <= _DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
