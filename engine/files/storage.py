"""Where file contents live: the storage interface, and the keys that name each blob.

A blob's key is built by the engine only, from ids it holds, never from client input:

    <tenant id>/<object id>/<field id>/<record id>/<blob id>

so no request can name another tenant's blob, renames move nothing, and purging a field
or an object removes one prefix. The blob id is random, so a replaced file never shares a
key with its successor (the old blob is removed after the commit that replaced it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol
from uuid import UUID, uuid4

#: How much of a blob one read returns while it is copied or served.
CHUNK_BYTES = 64 * 1024
_BLOB_ID = re.compile(r"[0-9a-f]{32}")


class StorageUnavailable(Exception):
    """The store could not be reached or refused an operation (the caller says what failed)."""


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob as a listing shows it."""

    key: str
    size: int
    modified: datetime


class FileStorage(Protocol):
    """A store of blobs by key: a local folder or an S3-compatible bucket.

    Implementations write a blob under its key only once it is complete: a failed or
    interrupted `put` leaves nothing a reader can open.
    """

    def put(self, key: str, chunks: Iterable[bytes]) -> None:
        """Store the bytes of `chunks` under `key`, streaming (never all in memory).

        An exception raised by `chunks` stops the write; nothing stays under `key`.

        Raises:
            StorageUnavailable: the store failed.
        """
        ...

    def open(self, key: str) -> BinaryIO:
        """Return a reader of the blob (the caller closes it).

        Raises:
            FileNotFoundError: there is no such blob. StorageUnavailable: the store failed.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing one is no error.

        Raises:
            StorageUnavailable: the store failed.
        """
        ...

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        ...

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        """Every blob whose key starts with `prefix` (a key prefix ending in `/`)."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every blob under `prefix`; return how many there were."""
        ...


def new_blob_id() -> str:
    """Return a fresh random blob id (32 hex digits)."""
    return uuid4().hex


def is_blob_id(value: object) -> bool:
    """Whether `value` is a blob id as `new_blob_id` makes them (nothing to escape a key)."""
    return isinstance(value, str) and _BLOB_ID.fullmatch(value) is not None


def tenant_prefix(tenant_id: UUID) -> str:
    """The prefix of every blob of a tenant."""
    return f"{tenant_id.hex}/"


def object_prefix(tenant_id: UUID, object_id: UUID) -> str:
    """The prefix of every blob of an object's records."""
    return f"{tenant_prefix(tenant_id)}{object_id.hex}/"


def field_prefix(tenant_id: UUID, object_id: UUID, field_id: UUID) -> str:
    """The prefix of every blob of one file field."""
    return f"{object_prefix(tenant_id, object_id)}{field_id.hex}/"


def blob_key(
    *, tenant_id: UUID, object_id: UUID, field_id: UUID, record_id: UUID, blob_id: str
) -> str:
    """The key of one blob.

    Raises:
        ValueError: `blob_id` is not one `new_blob_id` made.
    """
    if not is_blob_id(blob_id):
        raise ValueError("not a blob id")
    return f"{field_prefix(tenant_id, object_id, field_id)}{record_id.hex}/{blob_id}"
