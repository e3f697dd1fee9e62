"""Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, …), through boto3.

The client is configured the standard AWS way: credentials, region and endpoint come from
the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` for a store other than AWS) or the shared
AWS config files; boto3 signs every request.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, cast

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from engine.files.storage import CHUNK_BYTES, BlobInfo, StorageUnavailable

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

#: How bucket names go into request URLs: `path` for most S3-compatible servers.
AddressingStyle = Literal["auto", "virtual", "path"]
#: Parts of a streamed upload: each is held in memory while it is sent, `_CONCURRENCY` at
#: a time, so an upload holds at most 32 MiB whatever the file's size.
_PART_BYTES = 8 * 1024 * 1024
_CONCURRENCY = 4
#: S3 deletes at most 1,000 keys per request.
_DELETE_BATCH = 1000
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3FileStorage:
    """Store each blob as an object `<prefix><key>` of one bucket."""

    def __init__(self, bucket: str, *, prefix: str = "", client: S3Client | None = None) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self._client = client

    def __repr__(self) -> str:
        return f"S3FileStorage('s3://{self.bucket}/{self.prefix}')"

    @classmethod
    def from_url(cls, url: str, *, addressing_style: AddressingStyle = "auto") -> S3FileStorage:
        """Return the store of `s3://bucket/prefix`, its client configured from the environment.

        Raises:
            ValueError: the URL names no bucket.
        """
        if not url.startswith("s3://"):
            raise ValueError(f"not an s3:// URL: {url!r}")
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"{url!r} names no bucket; write s3://bucket/prefix")
        config = Config(s3={"addressing_style": addressing_style})
        return cls(bucket, prefix=prefix, client=boto3.client("s3", config=config))

    @property
    def client(self) -> S3Client:
        """The boto3 client (made on first use, from the environment)."""
        if self._client is None:
            self._client = boto3.client("s3")
        return self._client

    def put(self, key: str, chunks: Iterable[bytes]) -> None:
        """Stream the blob up in parts; S3 shows the object only once every part is in."""
        config = TransferConfig(
            multipart_threshold=_PART_BYTES,
            multipart_chunksize=_PART_BYTES,
            max_concurrency=_CONCURRENCY,
        )
        try:
            self.client.upload_fileobj(
                io.BufferedReader(_ChunkReader(chunks), buffer_size=CHUNK_BYTES),
                self.bucket,
                self._key(key),
                Config=config,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"cannot write to s3://{self.bucket}: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        """Return the object's body, read as it is served."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise StorageUnavailable(f"cannot read from s3://{self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot read from s3://{self.bucket}: {exc}") from exc
        return cast(BinaryIO, response["Body"])

    def delete(self, key: str) -> None:
        """Delete the object (S3 answers a missing one the same way)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"cannot delete from s3://{self.bucket}: {exc}") from exc

    def exists(self, key: str) -> bool:
        """Whether the object exists (a HEAD request)."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise StorageUnavailable(f"cannot read from s3://{self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot read from s3://{self.bucket}: {exc}") from exc
        return True

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        """Every object under the prefix, a page of 1,000 at a time."""
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                for item in page.get("Contents", ()):
                    yield BlobInfo(
                        key=item["Key"].removeprefix(self.prefix),
                        size=item["Size"],
                        modified=item["LastModified"],
                    )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"cannot list s3://{self.bucket}: {exc}") from exc

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under the prefix, 1,000 per request."""
        keys = [self._key(blob.key) for blob in self.list(prefix)]
        try:
            for start in range(0, len(keys), _DELETE_BATCH):
                batch = keys[start : start + _DELETE_BATCH]
                self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"cannot delete from s3://{self.bucket}: {exc}") from exc
        return len(keys)

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (what boto3's upload reads from)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _is_missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code", "")) in _MISSING
