"""Locks on names rather than rows: serialize transactions about something not stored yet.

Counting rows and then adding one (failed logins) races in PostgreSQL's READ COMMITTED:
two transactions both count before either adds. A transaction that first holds a lock
on the name of what it counts runs after the other one. On PostgreSQL the lock is a
transaction-level advisory lock on a 64-bit hash of the name; on SQLite a write
transaction (`system_write_connection`, `tenant_connection(is_write=True)`) already
holds the whole database's write lock, so there is nothing more to take.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.engine import Connection

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def hold_named_locks(connection: Connection, *names: str) -> None:
    """Hold a lock on each name until the transaction ends (sorted: no two deadlock)."""
    if connection.dialect.name != "postgresql":
        return
    for name in sorted(set(names)):
        connection.execute(_ADVISORY_LOCK, {"key": _key(name)})
