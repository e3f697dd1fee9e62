"""A secret every process on one database shares: configured, or generated once and stored.

The key that signs access tokens must be the same in every process that serves a
database, or a token issued by one would be refused by the next. When the operator sets
it (TESSERA_SECRET_KEY) that value is used; otherwise the first process that needs it
generates 256 random bits and stores them in `tessera_secrets`, and every process reads
them from there. Two processes that race to store it both end up with the stored one.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from engine.database.connect import single_read_connection
from metadata.store import insert_secret, read_secret


class StoredSecret:
    """One named secret, read from the database at most once per process.

    No lock: on the server the read runs in a greenlet on the event loop, where a
    thread lock held across the read could stall every other request. Two first
    readers both read (or store, then read) the same stored value.
    """

    def __init__(self, name: str, *, configured: str | None = None) -> None:
        self.name = name
        self.is_configured = configured is not None
        self._value = configured

    def value(self, db: Engine) -> str:
        """The secret: configured, stored, or generated now and stored."""
        if self._value is None:
            self._value = self._load(db)
        return self._value

    def _load(self, db: Engine) -> str:
        with single_read_connection(db) as connection:
            stored = read_secret(connection, self.name)
        if stored is not None:
            return stored
        try:
            with db.begin() as connection:
                value = secrets.token_urlsafe(32)
                insert_secret(connection, self.name, value, now=datetime.now(UTC))
        except IntegrityError:
            pass  # another process stored it first: theirs is the one
        with single_read_connection(db) as connection:
            stored = read_secret(connection, self.name)
        assert stored is not None, "a secret just stored is readable"
        return stored
