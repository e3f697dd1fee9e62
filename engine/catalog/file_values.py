"""The value a file field stores: the file's metadata, beside the key of its blob.

The column holds `{"name", "size", "content_type", "sha256", "uploaded_at", "blob"}`;
records show every key but `blob` (the random part of the blob's storage key, which
only the engine uses), and expressions read the file's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement

#: The keys a record shows for a file, in order.
FILE_KEYS = ("name", "size", "content_type", "sha256", "uploaded_at")
#: The stored key holding the blob id.
BLOB_KEY = "blob"


def stored_file(
    *, name: str, size: int, content_type: str, sha256: str, uploaded_at: datetime, blob_id: str
) -> dict[str, Any]:
    """Return the column value of a file just stored."""
    return {
        "name": name,
        "size": size,
        "content_type": content_type,
        "sha256": sha256,
        "uploaded_at": uploaded_at.astimezone(UTC).isoformat(),
        BLOB_KEY: blob_id,
    }


def render_file(stored: Any) -> Any:
    """Return a stored file as records show it (the blob id left out)."""
    if not isinstance(stored, Mapping):
        return stored
    return {key: stored.get(key) for key in FILE_KEYS}


def file_name(stored: Any) -> str | None:
    """What an expression reads for a file field: the file's name, None without a file."""
    if isinstance(stored, Mapping):
        name = stored.get("name")
        return name if isinstance(name, str) else None
    return None


def file_name_column(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`file_name` in SQL: the name in a file column (for reads through lookups)."""
    name: ColumnElement[Any] = column["name"].as_string()
    return name


def blob_id_of(stored: Any) -> str | None:
    """The blob id a stored file names, or None."""
    if isinstance(stored, Mapping):
        blob = stored.get(BLOB_KEY)
        return blob if isinstance(blob, str) else None
    return None
