"""Receive an uploaded file: check its type by content, then stream it into the store.

The file's first bytes decide its type before anything is stored; the rest streams
into the store while it is hashed and counted, and the write stops at the size limit.
No upload is ever held in memory whole, and a refused or failed one leaves nothing
behind in the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from engine.errors import (
    FileStorageFailed,
    FileTooLarge,
    FileTypeRefused,
    InvalidRequest,
    Problem,
)
from engine.files.cleanup import release_blobs
from engine.files.content_types import HEAD_BYTES, accepted_type, detect_content_type
from engine.files.storage import FileStorage, StorageUnavailable


@dataclass(frozen=True)
class UploadLimits:
    """What one file field takes.

    Attributes:
        field: the field's api name (for messages).
        max_bytes: the largest file taken: the field's `max_size`, or less where the
            server's ceiling is lower.
        limit_source: what sets `max_bytes` (`its max_size`, or the server setting).
        accept: the content types (and `type/*` wildcards) taken; None takes any.
    """

    field: str
    max_bytes: int
    limit_source: str
    accept: Sequence[str] | None


@dataclass(frozen=True)
class IncomingFile:
    """A file as a client sends it: its (already sanitized) name and its bytes, streamed.

    Attributes:
        name: the file name to keep.
        declared_type: the content type the client declared (only names a kind of text).
        chunks: the file's bytes, in the order they arrive.
    """

    name: str
    declared_type: str | None
    chunks: Iterable[bytes]


@dataclass(frozen=True)
class ReceivedFile:
    """A file now in the store under `key`, with what was learnt while storing it."""

    key: str
    name: str
    size: int
    content_type: str
    sha256: str


def too_large(limits: UploadLimits) -> FileTooLarge:
    """The error of a file past `limits.max_bytes`, naming the limit and what sets it."""
    return FileTooLarge(
        f"{limits.field!r} takes files of at most {limits.max_bytes} bytes "
        f"({limits.limit_source}); send a smaller file",
        problems=[
            Problem(
                f"/{limits.field}",
                "file-too-large",
                f"at most {limits.max_bytes} bytes ({limits.limit_source})",
            )
        ],
        extra={"max_size": limits.max_bytes},
    )


def receive_file(
    storage: FileStorage, *, key: str, incoming: IncomingFile, limits: UploadLimits
) -> ReceivedFile:
    """Check and store one uploaded file under `key`; return what was stored.

    Raises:
        InvalidRequest: the file is empty.
        FileTooLarge: the file is larger than `limits.max_bytes` (nothing stored).
        FileTypeRefused: its content is not of a type `limits.accept` takes (nothing stored).
        FileStorageFailed: the store failed (nothing stored).
        whatever reading `incoming.chunks` raises (a client gone; nothing stored).
    """
    chunks = iter(incoming.chunks)
    head = _read_head(chunks, min(HEAD_BYTES, limits.max_bytes + 1))
    if not head:
        raise InvalidRequest(
            "the file is empty; send a file with content",
            problems=[Problem(f"/{limits.field}", "empty-file", "the file has no bytes")],
        )
    if len(head) > limits.max_bytes:
        raise too_large(limits)
    detected = detect_content_type(head, declared=incoming.declared_type)
    content_type = accepted_type(detected, limits.accept)
    if content_type is None:
        raise FileTypeRefused(
            f"{limits.field!r} takes {', '.join(limits.accept or ())}; the file's content is "
            f"{detected.content_type} (told from its bytes, not its name)",
            problems=[
                Problem(
                    f"/{limits.field}",
                    "file-type-not-accepted",
                    f"content is {detected.content_type}; accepted: "
                    f"{', '.join(limits.accept or ())}",
                )
            ],
            extra={"content_type": detected.content_type, "accept": list(limits.accept or ())},
        )
    digest = hashlib.sha256()
    size = 0

    def counted() -> Iterator[bytes]:
        nonlocal size
        for chunk in _chain(head, chunks):
            size += len(chunk)
            if size > limits.max_bytes:
                raise too_large(limits)
            digest.update(chunk)
            yield chunk

    try:
        storage.put(key, counted())
    except StorageUnavailable as exc:
        # Stores leave nothing of a failed put; removing the key makes sure.
        release_blobs(storage, [key])
        raise FileStorageFailed(f"the file could not be stored: {exc}") from exc
    except BaseException:
        release_blobs(storage, [key])
        raise
    return ReceivedFile(
        key=key,
        name=incoming.name,
        size=size,
        content_type=content_type,
        sha256=digest.hexdigest(),
    )


def _read_head(chunks: Iterator[bytes], size: int) -> bytes:
    """Read at least `size` bytes (fewer at the end of the file)."""
    head = bytearray()
    while len(head) < size:
        chunk = next(chunks, None)
        if chunk is None:
            break
        head += chunk
    return bytes(head)


def _chain(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from rest
