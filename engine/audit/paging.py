"""Cursors of the pages of logs read newest first (the audit log, a record's field history).

Rows of both logs have increasing integer ids, so a page ends at the last id it shows and
the next one starts below it: the cursor is that id, as text. Clients pass it back as
they got it.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.query.errors import invalid

#: The largest page of a log.
MAX_LOG_PAGE = 500


def decode_id_cursor(cursor: str | None) -> int | None:
    """The id below which the next page starts, or None for the first page.

    Raises:
        InvalidQuery: the cursor is not one a page returned.
    """
    if cursor is None or cursor == "":
        return None
    # Ids are 64-bit: a longer number is no id (and would overflow the comparison).
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 19 or int(cursor) >= 2**63:
        raise invalid("/cursor", "invalid-cursor", "the cursor is not one this API returned")
    return int(cursor)


def next_id_cursor(ids: Sequence[int], *, limit: int) -> str | None:
    """The cursor of the page after one that showed `ids` (None: it was the last).

    The caller reads one row more than `limit`: a page with that row has a next one.
    """
    if len(ids) <= limit:
        return None
    return str(ids[limit - 1])
