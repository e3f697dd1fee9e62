"""Create the SQLAlchemy engine and open connections scoped to one tenant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from engine.database import postgresql, sqlite
from engine.database.contention import install_contention_hook
from engine.database.governor import install_budget_hooks
from engine.database.postgresql import forget_stale_statements, install_postgresql_hooks
from engine.database.sqlite import (
    SCHEMA_CHANGE_OPTION,
    SCHEMAS_OPTION,
    WRITE_OPTION,
    install_sqlite_hooks,
)
from engine.database.stale_catalog import install_stale_catalog_hook, stamp_catalog
from engine.errors import DatabaseUnavailable


def create_database_engine(url: str, *, echo: bool = False, is_async: bool = False) -> Engine:
    """Return an engine for `url`, with the hooks its dialect needs.

    With `is_async` (PostgreSQL only), the engine is the synchronous face of an asyncio
    engine on psycopg's async driver: the same engine code runs unchanged, but only
    inside `greenlet_spawn` on an event loop, where its I/O awaits instead of blocking
    a thread (how the HTTP server runs it).

    Raises:
        DatabaseUnavailable: for a URL that does not parse or names another database or
            driver, and for an in-memory SQLite URL (tenant files need a file beside them).
    """
    parsed = _parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseUnavailable("Tessera needs a SQLite file, e.g. sqlite:///./tessera.db")
        engine = create_engine(parsed, echo=echo)
        install_sqlite_hooks(engine, database_path=Path(parsed.database).resolve())
        install_budget_hooks(engine)
        install_contention_hook(engine)
        install_stale_catalog_hook(
            engine,
            is_missing_table_or_column=sqlite.is_missing_table_or_column,
            revision_engine=create_engine(parsed, poolclass=NullPool),
        )
        return engine
    options: dict[str, Any] = {
        "echo": echo,
        "pool_size": 10,
        "max_overflow": 20,
        # No pre-ping: it costs a round trip per checkout; recycling covers idle drops.
        "pool_recycle": 1800,
        # Session time zone UTC: text without an offset converts to UTC, like on SQLite.
        "connect_args": {"options": "-c timezone=UTC"},
    }
    if is_async:
        parsed = parsed.set(drivername="postgresql+psycopg_async")
        engine = create_async_engine(parsed, **options).sync_engine
        revision_engine = create_async_engine(parsed, poolclass=NullPool).sync_engine
    else:
        engine = create_engine(parsed, **options)
        revision_engine = create_engine(parsed, poolclass=NullPool)
    install_postgresql_hooks(engine)
    install_budget_hooks(engine)
    install_contention_hook(engine)
    install_stale_catalog_hook(
        engine,
        is_missing_table_or_column=postgresql.is_missing_table_or_column,
        revision_engine=revision_engine,
    )
    return engine


_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql+psycopg"})
_EXAMPLES = "e.g. sqlite:///./tessera.db or postgresql+psycopg://user@host:5432/tessera"


def _parse_url(url: str) -> URL:
    """Return the parsed URL of a database Tessera runs on (SQLite, or PostgreSQL via psycopg).

    Raises:
        DatabaseUnavailable: the URL does not parse or names another database or driver.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is no number
        # The URL may hold a password: the message names the problem, not the URL.
        raise DatabaseUnavailable(f"the database URL does not parse ({exc}); {_EXAMPLES}") from exc
    if parsed.drivername == "postgresql":
        # Tessera ships psycopg 3; SQLAlchemy would pick psycopg2 for a bare postgresql://.
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in _DRIVERS:
        raise DatabaseUnavailable(
            "Tessera runs on SQLite or on PostgreSQL through psycopg, "
            f"not {parsed.drivername}: {_EXAMPLES}"
        )
    return parsed


def sqlite_database_path(engine: Engine) -> Path | None:
    """Return the main database file of a SQLite engine, or None for other databases."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    return Path(engine.url.database).resolve()


def tenant_connection(
    engine: Engine,
    schema_name: str,
    *,
    is_schema_change: bool = False,
    is_write: bool = False,
    is_single_read: bool = False,
    revision: int | None = None,
) -> Connection:
    """Open a connection that can reach one tenant's schema.

    Schema-change and write connections take SQLite's write lock at BEGIN, so two
    writers queue instead of deadlocking. A single-statement read runs in autocommit
    on PostgreSQL: one statement is its own snapshot, and BEGIN/ROLLBACK would cost
    two round trips. A reader passes the `revision` of the catalog it reads with, so the
    connection drops statements it prepared before the tenant's tables last changed
    (writers learn the revision inside their transaction, see `hold_catalog_revision`).
    """
    connection = engine.connect().execution_options(
        **{
            SCHEMAS_OPTION: (schema_name,),
            SCHEMA_CHANGE_OPTION: is_schema_change,
            WRITE_OPTION: is_write,
        }
    )
    if is_single_read and engine.dialect.name == "postgresql":
        connection.execution_options(isolation_level="AUTOCOMMIT")
    if revision is not None:
        forget_stale_statements(connection, schema=schema_name, revision=revision)
        stamp_catalog(connection, schema=schema_name, revision=revision)
    return connection


def system_write_connection(engine: Engine) -> Connection:
    """A connection for a transaction that reads system tables, then writes them.

    On SQLite it takes the write lock at BEGIN, as tenant writers do: two transactions
    that each read and then write would otherwise fail one another at once.
    """
    return engine.connect().execution_options(**{WRITE_OPTION: True})


def single_read_connection(engine: Engine) -> Connection:
    """A connection for one read of the system tables (autocommit on PostgreSQL)."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection
