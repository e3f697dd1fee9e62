"""SQLite specifics: tenant schemas are attached database files; DDL is transactional.

SQLite has no schemas, but it can ATTACH another database file under a schema name,
after which `schema.table` works exactly as on PostgreSQL. Each tenant gets its own file
beside the main one, so the compiled catalog carries a schema on both dialects.

pysqlite never emits BEGIN before DDL, so by default a schema change would commit
statement by statement. We take over transaction control (SQLAlchemy's documented recipe):
the driver runs in autocommit mode and the `begin` event emits BEGIN itself, after
attaching the tenant files the connection needs (ATTACH is refused inside a transaction).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection

logger = logging.getLogger(__name__)

#: SQLite allows ten attached databases by default; keep one spare for the temp schema.
MAX_ATTACHED = 9
SCHEMAS_OPTION = "tessera_schemas"
SCHEMA_CHANGE_OPTION = "tessera_schema_change"
WRITE_OPTION = "tessera_write"
_SCHEMA_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: How SQLite words the refusal of a statement that names a column or table it lacks
#: (it has no error code of its own for them).
_MISSING_TABLE_OR_COLUMN = ("no such column:", "no such table:")
#: The SQL function that case-folds text like Python's `str.casefold` (every script):
#: SQLite's own `lower()` and `LIKE` fold ASCII letters only.
CASEFOLD_FUNCTION = "tessera_casefold"


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def tenant_files_directory(database_path: Path) -> Path:
    """Return the directory that holds the tenant files of a main database file."""
    return database_path.with_name(database_path.name + ".tenants")


def install_sqlite_hooks(engine: Engine, *, database_path: Path) -> None:
    """Make `engine` attach tenant files on demand and run real transactions."""
    directory = tenant_files_directory(database_path)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function(CASEFOLD_FUNCTION, 1, _casefold, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        _attach(connection, directory, options.get(SCHEMAS_OPTION, ()))
        # Table rebuilds drop and recreate parent tables: with enforcement on, SQLite
        # would run the ON DELETE actions of their children. The pragma only takes
        # effect outside a transaction, so it is set here; the applier runs
        # `foreign_key_check` before it commits.
        is_schema_change = bool(options.get(SCHEMA_CHANGE_OPTION))
        connection.exec_driver_sql(f"PRAGMA foreign_keys = {'OFF' if is_schema_change else 'ON'}")
        # Writers take the write lock up front: a deferred transaction that reads and
        # then writes can deadlock with another one doing the same (SQLITE_BUSY at once).
        is_write = is_schema_change or bool(options.get(WRITE_OPTION))
        connection.exec_driver_sql("BEGIN IMMEDIATE" if is_write else "BEGIN")


def is_missing_table_or_column(error: BaseException) -> bool:
    """Whether SQLite refused a statement for naming a column or table it lacks."""
    return isinstance(error, sqlite3.OperationalError) and str(error).startswith(
        _MISSING_TABLE_OR_COLUMN
    )


def _attach(connection: Connection, directory: Path, schemas: Iterable[str]) -> None:
    wanted = [schema for schema in schemas if schema]
    if not wanted:
        return
    info = connection.connection.info
    attached: list[str] = info.setdefault("tessera_attached", [])
    preparer = connection.dialect.identifier_preparer
    for schema in wanted:
        if not _SCHEMA_NAME.match(schema):
            raise ValueError(f"not a tenant schema name: {schema!r}")
        if schema in attached:
            attached.remove(schema)
            attached.append(schema)
            continue
        while len(attached) >= MAX_ATTACHED:
            oldest = next(name for name in attached if name not in wanted)
            connection.exec_driver_sql(f"DETACH DATABASE {preparer.quote_identifier(oldest)}")
            attached.remove(oldest)
        directory.mkdir(parents=True, exist_ok=True)
        path = str(directory / f"{schema}.db")
        connection.exec_driver_sql(
            f"ATTACH DATABASE ? AS {preparer.quote_identifier(schema)}", (path,)
        )
        attached.append(schema)
        logger.debug("attached %s", schema)


def drop_tenant_file(database_path: Path, schema: str) -> None:
    """Delete a tenant's database file (the tenant is gone for good)."""
    path = tenant_files_directory(database_path) / f"{schema}.db"
    path.unlink(missing_ok=True)
