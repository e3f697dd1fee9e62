"""An upload is typed by its first bytes, then streamed into the store, hashed and counted."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from engine.errors import FileTooLarge, FileTypeRefused, InvalidRequest
from engine.files import (
    FileStorage,
    IncomingFile,
    LocalFileStorage,
    UploadLimits,
    blob_key,
    new_blob_id,
    receive_file,
    tenant_prefix,
)
from tests.engine.files.samples import CSV, EXE, PDF

MIB = 1024 * 1024
TENANT = uuid4()


def new_key() -> str:
    return blob_key(
        tenant_id=TENANT,
        object_id=uuid4(),
        field_id=uuid4(),
        record_id=uuid4(),
        blob_id=new_blob_id(),
    )


def limits(max_bytes: int = 10 * MIB, accept: list[str] | None = None) -> UploadLimits:
    return UploadLimits(
        field="scan", max_bytes=max_bytes, limit_source="its max_size", accept=accept
    )


def stored_keys(storage: FileStorage) -> list[str]:
    return [blob.key for blob in storage.list(tenant_prefix(TENANT))]


def test_a_file_is_stored_with_its_size_hash_and_type(storage: FileStorage) -> None:
    content = PDF + b"x" * (3 * MIB)
    key = new_key()
    received = receive_file(
        storage,
        key=key,
        incoming=IncomingFile("licence.pdf", "application/pdf", [content[:1000], content[1000:]]),
        limits=limits(accept=["application/pdf"]),
    )
    assert (received.size, received.content_type) == (len(content), "application/pdf")
    assert received.sha256 == hashlib.sha256(content).hexdigest()
    with storage.open(key) as reader:
        assert reader.read() == content


def test_a_huge_upload_stops_at_the_limit_and_leaves_nothing(storage: FileStorage) -> None:
    consumed = 0

    def one_gibibyte() -> Iterator[bytes]:
        nonlocal consumed
        chunk = PDF + b"\0" * (MIB - len(PDF))
        for _ in range(1024):
            consumed += 1
            yield chunk

    with pytest.raises(FileTooLarge) as refused:
        receive_file(
            storage,
            key=new_key(),
            incoming=IncomingFile("huge.pdf", None, one_gibibyte()),
            limits=limits(max_bytes=5 * MIB),
        )
    assert consumed <= 6
    assert "at most 5242880 bytes (its max_size)" in refused.value.detail
    assert stored_keys(storage) == []


def test_a_file_of_a_type_not_accepted_is_refused_before_anything_is_stored(
    storage: FileStorage,
) -> None:
    with pytest.raises(FileTypeRefused) as refused:
        receive_file(
            storage,
            key=new_key(),
            incoming=IncomingFile("photo.png", "image/png", [EXE]),
            limits=limits(accept=["image/*"]),
        )
    assert "application/vnd.microsoft.portable-executable" in refused.value.detail
    assert stored_keys(storage) == []


def test_an_upload_whose_sender_goes_away_leaves_nothing(storage: FileStorage) -> None:
    class Gone(Exception):
        pass

    def broken() -> Iterator[bytes]:
        yield CSV * 100_000
        raise Gone

    with pytest.raises(Gone):
        receive_file(
            storage, key=new_key(), incoming=IncomingFile("a.csv", None, broken()), limits=limits()
        )
    assert stored_keys(storage) == []


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    with pytest.raises(InvalidRequest, match="empty"):
        receive_file(storage, key=new_key(), incoming=IncomingFile("a", None, []), limits=limits())


def test_a_file_smaller_than_the_head_is_still_held_to_a_small_limit(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    with pytest.raises(FileTooLarge):
        receive_file(
            storage,
            key=new_key(),
            incoming=IncomingFile("a.csv", None, [CSV * 10]),
            limits=limits(max_bytes=len(CSV) * 10 - 1),
        )
    assert stored_keys(storage) == []
