"""Make sure the configured database answers before Tessera migrates or serves it.

A PostgreSQL database that does not exist yet is created, as `createdb` would, by the
commands that set a database up (`tessera db upgrade`, `tessera serve --demo`), when the
server answers on a maintenance database (`postgres`, else `template1`) and the user may
create databases. Every other command says how to create it instead: a mistyped name in a
production setting must not quietly become a new, empty database. Every other failure
becomes one `DatabaseUnavailable` whose detail is a single line: what failed, where (the
URL without its password), and what to do.
"""

from __future__ import annotations

import logging
import shlex

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from engine.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)

#: Databases every PostgreSQL server has, tried in this order (as `createdb` does).
MAINTENANCE_DATABASES = ("postgres", "template1")
_DUPLICATE_DATABASE = "42P04"


def ensure_database(engine: Engine, *, create_missing: bool = False) -> bool:
    """Connect once, creating a missing PostgreSQL database if asked; return whether it did.

    Raises:
        DatabaseUnavailable: the database does not answer, or is missing and was not (or
            could not be) created.
    """
    try:
        with engine.connect():
            return False
    except DBAPIError as exc:
        failure = exc
    if engine.dialect.name == "postgresql" and _create_missing_database(
        engine.url, create=create_missing
    ):
        url = engine.url
        logger.warning(
            "created the PostgreSQL database %r on %s:%s (it did not exist)",
            url.database,
            url.host or "localhost",
            url.port or 5432,
        )
        return True
    where = safe_url(engine.url)
    if engine.dialect.name == "sqlite":
        raise DatabaseUnavailable(
            f"cannot open the SQLite database {where}: {one_line(failure)} "
            "(does its folder exist, and may Tessera write there?)"
        ) from failure
    raise DatabaseUnavailable(f"cannot connect to {where}: {one_line(failure)}") from failure


def _create_missing_database(url: URL, *, create: bool) -> bool:
    """Create the database `url` names if the server answers without it; return whether it did.

    False means the server could not be asked, or the database exists (so the connection
    failed for another reason, which the caller reports).

    Raises:
        DatabaseUnavailable: the database is missing and `create` is false, or this user
            may not create it.
    """
    name = url.database
    if not name:
        return False
    for maintenance in MAINTENANCE_DATABASES:
        server = create_engine(
            url.set(database=maintenance), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        try:
            with server.connect() as connection:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                ).first()
                if exists is not None:
                    return False
                if not create:
                    raise DatabaseUnavailable(
                        _how_to_create(url, reason=None, tessera_may_create=True)
                    )
                # The name is the configured one, quoted as an identifier, never spliced raw.
                quoted = connection.dialect.identifier_preparer.quote(name)
                try:
                    connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
                except DBAPIError as exc:
                    if getattr(exc.orig, "sqlstate", None) == _DUPLICATE_DATABASE:
                        return True  # another process created it at the same moment
                    raise DatabaseUnavailable(
                        _how_to_create(url, reason=one_line(exc), tessera_may_create=False)
                    ) from exc
                return True
        except DatabaseUnavailable:
            raise
        except DBAPIError:
            continue
        finally:
            server.dispose()
    return False


def _how_to_create(url: URL, *, reason: str | None, tessera_may_create: bool) -> str:
    command = ["createdb"]
    if url.host:
        command += ["-h", url.host]
    if url.port:
        command += ["-p", str(url.port)]
    if url.username:
        command += ["-O", url.username]
    command.append(str(url.database))
    if tessera_may_create:
        return (
            f"the PostgreSQL database {url.database!r} does not exist; create it with "
            f"`tessera db upgrade` (which creates and migrates it when this user may create "
            f"databases), or e.g. `{shlex.join(command)}`"
        )
    return (
        f"the PostgreSQL database {url.database!r} does not exist and Tessera may not create "
        f"it ({reason}); create it as a user who may, e.g. `{shlex.join(command)}`"
    )


def safe_url(url: URL | str) -> str:
    """Return a database URL fit to print: its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def one_line(error: BaseException) -> str:
    """Return a driver error's message on one line, without its severity prefix."""
    original = getattr(error, "orig", None) or error
    lines = (" ".join(line.split()) for line in str(original).splitlines())
    message = "; ".join(line for line in lines if line)
    return message.replace("FATAL: ", "").removeprefix("connection failed: ")
