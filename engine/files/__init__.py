"""File contents of file fields: the storage interface and its stores, content types, uploads.

The S3-compatible store is `engine.files.s3_storage.S3FileStorage`, imported where it is
configured (boto3 takes a noticeable time to import).
"""

from engine.files.cleanup import release_blobs, release_prefixes
from engine.files.content_types import (
    INLINE_SAFE_TYPES,
    accepted_type,
    detect_content_type,
    is_inline_safe,
    media_range_problem,
)
from engine.files.file_names import MAX_NAME_LENGTH, content_disposition, sanitize_file_name
from engine.files.local_storage import LocalFileStorage, default_file_storage
from engine.files.receive import (
    IncomingFile,
    ReceivedFile,
    UploadLimits,
    receive_file,
    too_large,
)
from engine.files.storage import (
    CHUNK_BYTES,
    BlobInfo,
    FileStorage,
    StorageUnavailable,
    blob_key,
    field_prefix,
    is_blob_id,
    new_blob_id,
    object_prefix,
    tenant_prefix,
)

__all__ = [
    "CHUNK_BYTES",
    "INLINE_SAFE_TYPES",
    "MAX_NAME_LENGTH",
    "BlobInfo",
    "FileStorage",
    "IncomingFile",
    "LocalFileStorage",
    "ReceivedFile",
    "StorageUnavailable",
    "UploadLimits",
    "accepted_type",
    "blob_key",
    "content_disposition",
    "default_file_storage",
    "detect_content_type",
    "field_prefix",
    "is_blob_id",
    "is_inline_safe",
    "media_range_problem",
    "new_blob_id",
    "object_prefix",
    "receive_file",
    "release_blobs",
    "release_prefixes",
    "sanitize_file_name",
    "tenant_prefix",
    "too_large",
]
