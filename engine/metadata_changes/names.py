"""Rules for what tables are called and hold: names safe as SQL identifiers on every dialect
and readable by BI tools, and no more columns than both databases allow."""

from __future__ import annotations

import re

from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS as POSTGRESQL_RESERVED
from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer
from sqlalchemy.sql.compiler import RESERVED_WORDS as ANSI_RESERVED

from engine.catalog import SYSTEM_COLUMNS
from engine.errors import Problem
from metadata.models import ObjectState

MAX_NAME_LENGTH = 63
#: Columns one table may have, system columns included: PostgreSQL's limit (SQLite's is
#: 2,000), so an object that fits one database fits the other.
MAX_COLUMNS = 1600
_API_NAME = re.compile(r"[a-z][a-z0-9_]*")
RESERVED_WORDS = frozenset(
    POSTGRESQL_RESERVED | ANSI_RESERVED | SQLiteIdentifierPreparer.reserved_words
)
#: Columns every PostgreSQL table has already (a field of that name cannot be added) and
#: the names SQLite gives a table's row id (a column of that name would hide it).
DATABASE_COLUMNS = frozenset(
    {"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "oid", "rowid", "_rowid_"}
)
#: Table name prefixes the databases keep for their own catalogs.
DATABASE_TABLE_PREFIXES = ("sqlite_", "pg_")


def check_api_name(
    name: str, *, pointer: str, is_field: bool, is_table: bool = False
) -> list[Problem]:
    """Return the problems of an api name (empty when it is fine).

    `is_field` names a column, `is_table` a table: each avoids the names its database uses.
    """
    if len(name) > MAX_NAME_LENGTH:
        return [
            Problem(
                pointer,
                "name-too-long",
                f"{name!r} has {len(name)} characters; at most {MAX_NAME_LENGTH} are allowed",
            )
        ]
    if not _API_NAME.fullmatch(name):
        return [
            Problem(
                pointer,
                "invalid-name",
                f"{name!r} is not snake_case ASCII: use lowercase letters, digits "
                "and '_', starting with a letter",
            )
        ]
    if name in RESERVED_WORDS:
        return [
            Problem(
                pointer,
                "reserved-name",
                f"{name!r} is an SQL reserved word; choose another name, e.g. {name}_value",
            )
        ]
    if is_field and name in SYSTEM_COLUMNS:
        return [
            Problem(
                pointer,
                "reserved-name",
                f"{name!r} is a system column every object has; choose another name",
            )
        ]
    if is_field and name in DATABASE_COLUMNS:
        return [
            Problem(
                pointer,
                "reserved-name",
                f"{name!r} is a column the database keeps on every table; "
                f"choose another name, e.g. {name}_value",
            )
        ]
    if is_table and name.startswith(DATABASE_TABLE_PREFIXES):
        return [
            Problem(
                pointer,
                "reserved-name",
                f"names starting with {', '.join(DATABASE_TABLE_PREFIXES)} belong to the "
                "database's own tables; choose another name",
            )
        ]
    return []


def check_column_count(obj: ObjectState, *, pointer: str) -> list[Problem]:
    """Return the problem of an object with more columns than its table can have.

    Deleted fields keep their columns until they are purged, so they count.
    """
    columns = len(SYSTEM_COLUMNS) + len(obj.fields)
    if columns <= MAX_COLUMNS:
        return []
    deleted = len(obj.fields) - len(obj.live_fields)
    hint = f"; purge some of its {deleted} deleted fields" if deleted else ""
    return [
        Problem(
            pointer,
            "too-many-columns",
            f"object {obj.api_name!r} would have {columns} columns ({len(SYSTEM_COLUMNS)} "
            f"system ones and {len(obj.fields)} fields, deleted ones until purged); a table "
            f"holds at most {MAX_COLUMNS}: split the object{hint}",
        )
    ]
