"""What the database offers search indexes, measured before a change is planned.

PostgreSQL finds Chinese and other text without spaces through trigrams, which need the
`pg_trgm` extension: it ships with PostgreSQL (the contrib package) and is trusted, so
the owner of the database may enable it. A change that builds the first search index of
the database enables it in the same transaction. SQLite needs FTS5 with its trigram
tokenizer (SQLite 3.34 and later).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: The PostgreSQL extension whose trigram indexes search reads.
TRIGRAM_EXTENSION = "pg_trgm"
#: The first SQLite version with FTS5's trigram tokenizer.
SQLITE_TRIGRAM_VERSION = (3, 34, 0)

_EXTENSION = text(
    "SELECT n.nspname FROM pg_catalog.pg_extension AS e "
    "JOIN pg_catalog.pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = :name"
)
_AVAILABLE = text(
    "SELECT current_schema() AS schema, EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions "
    "WHERE name = :name) AS is_available"
)


@dataclass(frozen=True)
class SearchSupport:
    """Whether search indexes can be built, and what building the first one needs.

    Attributes:
        can_index: the database can hold search indexes.
        needs_extension: PostgreSQL's `pg_trgm` is available but not enabled yet.
        extension_schema: the schema whose `gin_trgm_ops` the trigram index names (where
            the extension is, or will be, installed).
        reason: why `can_index` is false, and how to fix it.
    """

    can_index: bool = True
    needs_extension: bool = False
    extension_schema: str = "public"
    reason: str = ""


def measure_search_support(connection: Connection) -> SearchSupport:
    """Return what the database of `connection` offers search indexes."""
    if connection.dialect.name == "postgresql":
        return _postgresql_support(connection)
    return _sqlite_support(connection)


def _postgresql_support(connection: Connection) -> SearchSupport:
    schema = connection.execute(_EXTENSION, {"name": TRIGRAM_EXTENSION}).scalar()
    if schema is not None:
        return SearchSupport(extension_schema=schema)
    row = connection.execute(_AVAILABLE, {"name": TRIGRAM_EXTENSION}).one()
    if not row.is_available:
        return SearchSupport(
            can_index=False,
            reason=f"searchable fields need PostgreSQL's {TRIGRAM_EXTENSION} extension, which "
            "this server does not have; install PostgreSQL's contrib package (on Debian and "
            "Ubuntu, postgresql-contrib) and try again",
        )
    return SearchSupport(needs_extension=True, extension_schema=row.schema or "public")


def _sqlite_support(connection: Connection) -> SearchSupport:
    has_fts5 = bool(
        connection.execute(text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")).scalar()
    )
    if has_fts5 and sqlite3.sqlite_version_info >= SQLITE_TRIGRAM_VERSION:
        return SearchSupport()
    wanted = ".".join(str(part) for part in SQLITE_TRIGRAM_VERSION)
    return SearchSupport(
        can_index=False,
        reason=f"searchable fields need SQLite {wanted} or later with FTS5 (this is "
        f"{sqlite3.sqlite_version}{'' if has_fts5 else ', without FTS5'}); use a newer "
        "Python or SQLite, or PostgreSQL",
    )
