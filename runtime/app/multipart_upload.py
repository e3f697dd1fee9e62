"""Read the one part named `file` of a multipart/form-data body, as the body arrives.

Starlette's form parser spools every file to a temporary file before the route runs; an
upload instead streams straight into the file store, so this reader feeds the body to
python-multipart's push parser chunk by chunk and hands out the file's bytes as they
come. Nothing but the current chunk of the body is ever in memory.
"""

from __future__ import annotations

import email.message
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import anyio.from_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser
from starlette.requests import Request

from engine.errors import InvalidRequest, Problem, UnsupportedMediaType

#: The form field the file travels in.
FILE_PART = "file"
#: How much of a refused upload is read and dropped so the client can read the answer.
DRAIN_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class FilePart:
    """The file part's headers: the name the client gave the file and its declared type."""

    filename: str | None
    content_type: str | None


def _refused(detail: str, code: str = "invalid-upload") -> InvalidRequest:
    return InvalidRequest(detail, problems=[Problem(f"/{FILE_PART}", code, detail)])


class MultipartFile:
    """The part named `file` of a request's multipart/form-data body.

    `open()` reads up to the end of the part's headers; `read()` then returns the file's
    bytes a chunk at a time (b"" at its end), and checks that no other part follows.
    `drain()` reads and drops what is left, after any refusal.

    Raises (from each method):
        UnsupportedMediaType: the body is not multipart/form-data.
        InvalidRequest: the body is not well-formed, or holds another part than `file`.
    """

    def __init__(self, request: Request) -> None:
        self._request = request
        self._body: AsyncIterator[bytes] = request.stream().__aiter__()
        self._parser: MultipartParser | None = None
        self._parts = 0
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[str, str] = {}
        self._part: FilePart | None = None
        self._data: deque[bytes] = deque()
        self._is_part_over = False
        self._is_body_over = False
        self._is_parser_done = False

    async def open(self) -> FilePart:
        """Read up to the end of the file part's headers."""
        self._parser = MultipartParser(
            _boundary(self._request.headers.get("content-type")),
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )
        while self._part is None:
            if self._is_parser_done:
                raise _refused(f"the body has no part named {FILE_PART!r}; send the file in it")
            await self._feed()
        return self._part

    async def read(self) -> bytes:
        """Return the next bytes of the file (b"" once it is all read)."""
        while not self._data:
            if self._is_part_over:
                await self._finish()
                return b""
            if self._is_parser_done:
                raise _refused("the body ends inside the file part")
            await self._feed()
        return self._data.popleft()

    def chunks_in_thread(self) -> Iterator[bytes]:
        """The file's bytes, for a worker thread started by anyio (`to_thread.run_sync`)."""
        while chunk := anyio.from_thread.run(self.read):
            yield chunk

    async def drain(self, limit: int = DRAIN_BYTES) -> None:
        """Read and drop what is left of the body, up to `limit` bytes (a refused upload)."""
        dropped = 0
        while not self._is_body_over and dropped <= limit:
            chunk = await anext(self._body, None)
            if chunk is None:
                self._is_body_over = True
                return
            dropped += len(chunk)

    async def _finish(self) -> None:
        """Read the rest of the body: nothing but the closing boundary may follow."""
        while not self._is_parser_done:
            await self._feed()

    async def _feed(self) -> None:
        assert self._parser is not None, "open() first"
        chunk = await anext(self._body, None)
        if chunk is None:
            self._is_body_over = True
            try:
                self._parser.finalize()
            except MultipartParseError as exc:
                raise _refused(f"the multipart body is not well-formed: {exc}") from exc
            self._is_parser_done = True
            return
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise _refused(f"the multipart body is not well-formed: {exc}") from exc

    # -- parser callbacks -----------------------------------------------------------------

    def _on_part_begin(self) -> None:
        self._parts += 1
        self._headers = {}
        if self._parts > 1:
            raise _refused(
                f"send one part only, named {FILE_PART!r}, with the file", "unexpected-part"
            )

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        name = self._field.decode("latin-1").strip().lower()
        # RFC 7578: file names travel as UTF-8 in the header (browsers send them so).
        self._headers[name] = self._value.decode("utf-8", "replace")
        self._field.clear()
        self._value.clear()

    def _on_headers_finished(self) -> None:
        disposition = email.message.Message()
        disposition["content-disposition"] = self._headers.get("content-disposition", "")
        name = disposition.get_param("name", header="content-disposition")
        if name != FILE_PART:
            raise _refused(
                f"the part is named {name!r}; send the file in a part named {FILE_PART!r}",
                "unexpected-part",
            )
        self._part = FilePart(
            filename=disposition.get_filename(),
            content_type=self._headers.get("content-type"),
        )

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._data.append(bytes(data[start:end]))

    def _on_part_end(self) -> None:
        self._is_part_over = True

    def _on_end(self) -> None:
        self._is_parser_done = True


def _boundary(content_type: str | None) -> bytes:
    """The boundary of a multipart/form-data body.

    Raises:
        UnsupportedMediaType: the body is of another type, or names no boundary.
    """
    message = email.message.Message()
    message["content-type"] = content_type or ""
    boundary = message.get_param("boundary")
    if message.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        raise UnsupportedMediaType(
            "send the file as multipart/form-data with one part named file "
            "(curl -F file=@scan.pdf …)",
            extra={"content_type": content_type},
        )
    return boundary.encode("latin-1", "replace")
