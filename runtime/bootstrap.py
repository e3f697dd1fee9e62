"""Build the engine context from settings: the one place that opens the database."""

from __future__ import annotations

from engine.catalog import CatalogCache
from engine.context import SIGNING_SECRET, EngineContext
from engine.database import StoredSecret, create_database_engine, ensure_database
from migrations import upgrade_system_tables
from runtime.settings import Settings


def build_engine_context(
    settings: Settings,
    *,
    migrate: bool = False,
    for_server: bool = False,
    create_missing: bool = False,
) -> EngineContext:
    """Return a context on the configured database, migrating the system tables if asked.

    With `create_missing`, a PostgreSQL database that does not exist yet is created first,
    when the server lets Tessera (see `ensure_database`). The server on PostgreSQL runs the
    engine on psycopg's async driver (see `create_database_engine`) unless
    TESSERA_ASYNC_DRIVER=false; the CLI stays synchronous.

    Raises:
        DatabaseUnavailable: the database cannot be reached, opened or created.
    """
    db = create_database_engine(settings.database_url)
    ensure_database(db, create_missing=create_missing)
    if migrate:
        upgrade_system_tables(db)
    if for_server and settings.async_driver and db.dialect.name == "postgresql":
        db.dispose()
        db = create_database_engine(settings.database_url, is_async=True)
    return EngineContext(
        db=db,
        catalogs=CatalogCache(max_tenants=settings.catalog_cache_tenants),
        limits=settings.request_limits(),
        slice_seconds=settings.request_slice_seconds,
        file_storage=settings.file_storage_backend(),
        max_file_bytes=settings.max_file_bytes,
        signing_secret=StoredSecret(
            SIGNING_SECRET,
            configured=settings.secret_key.get_secret_value() if settings.secret_key else None,
        ),
        access_token_seconds=settings.access_token_seconds,
        refresh_token_seconds=settings.refresh_token_seconds,
    )
