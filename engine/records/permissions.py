"""Stage 1 of the save pipeline, and of every read: the rows a caller may see and change."""

from __future__ import annotations

from engine.context import RequestContext
from engine.query import AllRows, QueryScope


def caller_scope(context: RequestContext) -> QueryScope:
    """Return the rows the caller may read and write.

    Every row of the tenant until users and sharing rules exist: an API key acts for its
    whole tenant. Record sharing replaces this function, and every read and write follows.
    """
    return AllRows()
