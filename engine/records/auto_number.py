"""Auto-number values: one counter row per field, advanced inside the record's transaction.

The counter is incremented in the same transaction as the insert, so a rolled-back insert
gives its number back (no gaps) and the row lock serialises concurrent inserts (no
duplicates).
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from metadata.store import counters

_TOKEN = re.compile(r"\{([^}]*)\}")


def advance_counter(connection: Connection, *, tenant_id: UUID, field_id: UUID, by: int) -> int:
    """Advance a field's counter by `by` and return the last number taken."""
    # One atomic upsert: the first number of a field cannot race with another insert.
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(counters)
        .values(field_id=field_id, tenant_id=tenant_id, value=by)
        .on_conflict_do_update(
            index_elements=[counters.c.field_id], set_={"value": counters.c.value + by}
        )
        .returning(counters.c.value)
    )
    return int(connection.execute(statement).scalar_one())


def format_auto_number(fmt: str, *, counter: int, now: datetime) -> str:
    """Render a format such as `INV-{YYYY}-{0000}`: dates from `now`, the counter zero-padded."""

    def token(match: re.Match[str]) -> str:
        name = match.group(1)
        if set(name) == {"0"}:
            return str(counter).zfill(len(name))
        return {
            "YYYY": f"{now.year:04d}",
            "YY": f"{now.year % 100:02d}",
            "MM": f"{now.month:02d}",
            "DD": f"{now.day:02d}",
        }[name]

    return _TOKEN.sub(token, fmt)
