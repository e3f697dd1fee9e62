"""Stage 1 of the save pipeline, and of every read: the rows a caller may see and change."""

from __future__ import annotations

from engine.access import sharing_scope
from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.query import QueryScope


def caller_scope(context: RequestContext) -> QueryScope:
    """Return the rows the caller may read and write, under record sharing (docs/sharing.md).

    Every read and write of a caller's request asks this scope for its predicates; the
    engine's own reads for the whole tenant (roll-ups, formulas, the cascade) use
    `AllRows()` instead.
    """
    return sharing_scope(
        tenant_catalog(context), context.caller, dialect=context.engine.dialect_name
    )
