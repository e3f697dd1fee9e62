"""The same contract, run against every store: the local folder and an S3-compatible server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from engine.files import (
    FileStorage,
    LocalFileStorage,
    blob_key,
    field_prefix,
    new_blob_id,
    object_prefix,
    tenant_prefix,
)
from engine.files.s3_storage import S3FileStorage

TENANT, OTHER_TENANT, OBJECT, FIELD = uuid4(), uuid4(), uuid4(), uuid4()


def new_key(tenant=TENANT, obj=OBJECT, field=FIELD) -> str:
    return blob_key(
        tenant_id=tenant, object_id=obj, field_id=field, record_id=uuid4(), blob_id=new_blob_id()
    )


def read_all(storage: FileStorage, key: str) -> bytes:
    reader = storage.open(key)
    try:
        return reader.read()
    finally:
        reader.close()


class Interrupted(Exception):
    pass


def test_a_stored_blob_reads_back_exactly(storage: FileStorage) -> None:
    key = new_key()
    storage.put(key, [b"%PDF-1.4 ", b"licence ", "执照".encode()])
    assert storage.exists(key)
    assert read_all(storage, key) == b"%PDF-1.4 licence " + "执照".encode()


def test_a_blob_of_many_parts_streams_in_and_out(storage: FileStorage) -> None:
    # 20 MiB in 1 MiB chunks: several parts of a multipart upload on S3.
    chunk = bytes(range(256)) * 4096
    key = new_key()
    storage.put(key, (chunk for _ in range(20)))
    reader = storage.open(key)
    try:
        total = 0
        while piece := reader.read(1024 * 1024):
            assert piece == chunk[: len(piece)] or len(piece) < len(chunk)
            total += len(piece)
    finally:
        reader.close()
    assert total == 20 * len(chunk)


def test_a_write_interrupted_by_its_source_leaves_nothing(storage: FileStorage) -> None:
    key = new_key()

    def failing() -> Iterator[bytes]:
        yield b"x" * (9 * 1024 * 1024)  # past one S3 part
        raise Interrupted

    with pytest.raises(Interrupted):
        storage.put(key, failing())
    assert not storage.exists(key)
    record_folder = key.rsplit("/", 1)[0] + "/"
    assert [blob.key for blob in storage.list(record_folder)] == []
    with pytest.raises(FileNotFoundError):
        storage.open(key)
    if isinstance(storage, S3FileStorage):
        # The parts already sent are dropped with the upload, not kept (and billed).
        uploads = storage.client.list_multipart_uploads(Bucket=storage.bucket)
        assert uploads.get("Uploads", []) == []


def test_a_missing_blob_is_not_found_and_deleting_it_is_no_error(storage: FileStorage) -> None:
    key = new_key()
    assert not storage.exists(key)
    with pytest.raises(FileNotFoundError):
        storage.open(key)
    storage.delete(key)


def test_a_deleted_blob_is_gone(storage: FileStorage) -> None:
    key = new_key()
    storage.put(key, [b"scan"])
    storage.delete(key)
    assert not storage.exists(key)


def test_listing_shows_the_blobs_under_a_prefix_only(storage: FileStorage) -> None:
    mine = [new_key(), new_key()]
    other_field = new_key(field=uuid4())
    other_tenant = new_key(tenant=OTHER_TENANT)
    for key in [*mine, other_field, other_tenant]:
        storage.put(key, [b"x" * 3])
    listed = {blob.key: blob for blob in storage.list(field_prefix(TENANT, OBJECT, FIELD))}
    assert set(listed) == set(mine)
    assert all(blob.size == 3 for blob in listed.values())
    assert {blob.key for blob in storage.list(tenant_prefix(TENANT))} == {*mine, other_field}


def test_deleting_a_prefix_removes_its_blobs_and_no_other(storage: FileStorage) -> None:
    doomed = [new_key(), new_key()]
    kept = [new_key(obj=uuid4()), new_key(tenant=OTHER_TENANT)]
    for key in [*doomed, *kept]:
        storage.put(key, [b"blob"])
    assert storage.delete_prefix(object_prefix(TENANT, OBJECT)) == 2
    assert not any(storage.exists(key) for key in doomed)
    assert all(storage.exists(key) for key in kept)
    assert storage.delete_prefix(object_prefix(TENANT, OBJECT)) == 0


def test_a_blob_being_written_is_not_readable_until_complete(storage: FileStorage) -> None:
    key = new_key()
    started, release = threading.Event(), threading.Event()

    def slow() -> Iterator[bytes]:
        yield b"first half "
        started.set()
        release.wait(10)
        yield b"second half"

    writer = threading.Thread(target=lambda: storage.put(key, slow()))
    writer.start()
    assert started.wait(10)
    assert not storage.exists(key)
    release.set()
    writer.join(10)
    assert read_all(storage, key) == b"first half second half"


def test_keys_are_built_from_ids_only() -> None:
    with pytest.raises(ValueError, match="not a blob id"):
        blob_key(
            tenant_id=TENANT, object_id=OBJECT, field_id=FIELD, record_id=uuid4(), blob_id="../x"
        )


@pytest.mark.parametrize("key", ["../escape", "a/../../b", "/etc/passwd", "a//b", ".hidden"])
def test_the_local_store_refuses_a_key_that_could_leave_its_folder(
    tmp_path: Path, key: str
) -> None:
    storage = LocalFileStorage(tmp_path / "files")
    with pytest.raises(ValueError, match="not a blob key"):
        storage.put(key, [b"x"])
    with pytest.raises(ValueError, match="not a blob key"):
        storage.open(key)
    assert not (tmp_path / "escape").exists()


def test_an_s3_url_names_its_bucket_and_prefix() -> None:
    store = S3FileStorage.from_url("s3://evidence/tessera/prod", addressing_style="path")
    assert (store.bucket, store.prefix) == ("evidence", "tessera/prod/")
    with pytest.raises(ValueError, match="names no bucket"):
        S3FileStorage.from_url("s3:///prefix")
