"""Remove blobs once nothing refers to them: after the commit that let them go.

A blob is removed only after the transaction that stopped referring to it commits (a
replaced or removed file, a deleted record, a purged field or object), so a rollback
never loses a file. A removal that fails then is logged and the request goes on: the
blob is an orphan, which `tessera files sweep` removes later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from engine.files.storage import FileStorage, StorageUnavailable

logger = logging.getLogger(__name__)


def release_blobs(storage: FileStorage, keys: Iterable[str]) -> None:
    """Remove each blob; a failure is logged, never raised."""
    for key in keys:
        try:
            storage.delete(key)
        except (StorageUnavailable, OSError, ValueError):
            logger.warning(
                "could not remove blob %s; `tessera files sweep` removes it later",
                key,
                exc_info=True,
            )


def release_prefixes(storage: FileStorage, prefixes: Iterable[str]) -> None:
    """Remove every blob under each prefix (a purged field or object); failures are logged."""
    for prefix in prefixes:
        try:
            removed = storage.delete_prefix(prefix)
        except (StorageUnavailable, OSError, ValueError):
            logger.warning(
                "could not remove the blobs under %s; `tessera files sweep` removes them later",
                prefix,
                exc_info=True,
            )
            continue
        logger.info("removed %d blob(s) under %s", removed, prefix)
