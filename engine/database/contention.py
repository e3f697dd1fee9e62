"""Writes that collide with other writes: a retryable `WritesCollided`, not a 500.

Two transactions that lock the same rows in opposite orders deadlock, and PostgreSQL ends
one of them; a serializable transaction can fail to serialize; SQLite gives up on a write
lock it waited for too long. In each case the database rolled the transaction back, so
nothing of it was written and sending the request again is the whole remedy: the client
gets a 503 with `Retry-After`, the answer HTTP has for "not now, try again".
"""

from __future__ import annotations

import logging
import sqlite3

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from engine.errors import WritesCollided

logger = logging.getLogger(__name__)

#: deadlock_detected, serialization_failure and lock_not_available.
_POSTGRESQL_CONTENTION = frozenset({"40P01", "40001", "55P03"})


def is_contention(error: BaseException) -> bool:
    """Whether the database refused a statement because concurrent writes got in its way."""
    if getattr(error, "sqlstate", None) in _POSTGRESQL_CONTENTION:
        return True
    return isinstance(error, sqlite3.OperationalError) and (
        getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        or str(error).startswith("database is locked")
    )


def install_contention_hook(engine: Engine) -> None:
    """Make a statement that lost to concurrent writes raise `WritesCollided`."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        if not is_contention(context.original_exception):
            return None
        logger.warning("a transaction lost to concurrent writes: %s", context.original_exception)
        return WritesCollided(
            "the request collided with concurrent writes to the same records and its "
            "transaction was rolled back; nothing of it was written, send it again"
        )
