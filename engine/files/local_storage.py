"""Blobs as files under one folder (the default store: a folder beside the SQLite database)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from engine.files.storage import BlobInfo, StorageUnavailable

# Keys are built by the engine from hex ids; a segment never starts with a dot, so no
# key can climb out of the folder (`..`) or name a file being written.
_SEGMENT = re.compile(r"[0-9a-z][0-9a-z_-]*")
_PARTIAL = ".partial-"


class LocalFileStorage:
    """Store each blob as a file named by its key under `root`.

    A blob is written to a hidden file beside its place and renamed into place once
    complete (a rename within a folder is atomic), so a reader never sees half a file and
    a failed write leaves at most a hidden file, removed as the write fails.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalFileStorage({str(self.root)!r})"

    def put(self, key: str, chunks: Iterable[bytes]) -> None:
        """Write the blob to a hidden file, then rename it into place."""
        path = self._path(key)
        partial = path.with_name(f"{_PARTIAL}{path.name}-{secrets.token_hex(6)}")
        try:
            handle = self._create(partial)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write under {self.root}: {exc}") from exc
        try:
            with handle:
                for chunk in chunks:
                    handle.write(chunk)
            os.replace(partial, path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StorageUnavailable(f"cannot write under {self.root}: {exc}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        """Open the blob's file for reading."""
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StorageUnavailable(f"cannot read under {self.root}: {exc}") from exc

    def delete(self, key: str) -> None:
        """Remove the blob's file, and its record's folder when that is left empty."""
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot delete under {self.root}: {exc}") from exc
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only succeeds when empty

    def exists(self, key: str) -> bool:
        """Whether the blob's file exists."""
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        """Every file under the prefix's folder, hidden partial writes included."""
        folder = self._folder(prefix)
        if not folder.is_dir():
            return
        for directory, _, names in os.walk(folder):
            for name in sorted(names):
                path = Path(directory, name)
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue  # removed meanwhile
                yield BlobInfo(
                    key=path.relative_to(self.root).as_posix(),
                    size=stat.st_size,
                    modified=datetime.fromtimestamp(stat.st_mtime, UTC),
                )

    def delete_prefix(self, prefix: str) -> int:
        """Remove the prefix's folder and everything in it."""
        folder = self._folder(prefix)
        count = sum(1 for _ in self.list(prefix))
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise StorageUnavailable(f"cannot delete under {self.root}: {exc}") from exc
        return count

    def _create(self, partial: Path) -> BinaryIO:
        # A folder emptied and removed by a concurrent delete is made again once.
        for attempt in (1, 2):
            partial.parent.mkdir(parents=True, exist_ok=True)
            try:
                return partial.open("xb")
            except FileNotFoundError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not all(_SEGMENT.fullmatch(part) or _is_partial(part) for part in parts):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root.joinpath(*parts)

    def _folder(self, prefix: str) -> Path:
        trimmed = prefix.strip("/")
        return self._path(trimmed) if trimmed else self.root


def _is_partial(segment: str) -> bool:
    """Whether a key segment names a blob being written (listed so a sweep can remove it)."""
    return segment.startswith(_PARTIAL) and _SEGMENT.fullmatch(segment[len(_PARTIAL) :]) is not None


def default_file_storage(database_path: Path | None) -> LocalFileStorage:
    """The store used when none is configured: `<database>.files/` beside a SQLite file
    (as its tenants' `<database>.tenants/`), else `tessera.files/` in the working folder."""
    if database_path is None:
        return LocalFileStorage(Path("tessera.files").resolve())
    return LocalFileStorage(database_path.with_name(database_path.name + ".files"))
