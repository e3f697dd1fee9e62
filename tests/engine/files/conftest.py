"""Every store the engine has, for tests that hold each to the same contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.files import FileStorage, LocalFileStorage
from engine.files.s3_storage import S3FileStorage


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> FileStorage:
    """A local folder, then a bucket of an S3-compatible server reached over HTTP."""
    if request.param == "local":
        return LocalFileStorage(tmp_path / "files")
    s3: S3FileStorage = request.getfixturevalue("s3_storage")
    return s3
