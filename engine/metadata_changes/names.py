"""Rules for api names: safe as SQL identifiers on every dialect, readable by BI tools."""

from __future__ import annotations

import re

from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS as POSTGRESQL_RESERVED
from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer
from sqlalchemy.sql.compiler import RESERVED_WORDS as ANSI_RESERVED

from engine.catalog import SYSTEM_COLUMNS
from engine.errors import Problem

MAX_NAME_LENGTH = 63
_API_NAME = re.compile(r"[a-z][a-z0-9_]*")
RESERVED_WORDS = frozenset(
    POSTGRESQL_RESERVED | ANSI_RESERVED | SQLiteIdentifierPreparer.reserved_words
)


def check_api_name(name: str, *, pointer: str, is_field: bool) -> list[Problem]:
    """Return the problems of an api name (empty when it is fine)."""
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
    return []
