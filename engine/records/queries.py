"""Read many records: lists, aggregates and searches, scoped to what the caller may see."""

from __future__ import annotations

from typing import Any

from engine.access.field_access import caller_access
from engine.context import RequestContext
from engine.query import AggregateQuery, ListQuery, aggregate_records, list_records
from engine.records.object_rights import caller_object
from engine.records.permissions import caller_scope
from engine.records.service import read_connection
from engine.search import SearchQuery, search_records
from metadata.models import ObjectRight


def query_records(context: RequestContext, object_name: str, query: ListQuery) -> dict[str, Any]:
    """Return one page of an object's records.

    Raises:
        NotFound: no such object (or none the caller may read).
        InvalidQuery: a filter, sort or cursor that does not apply.
        PermissionDenied: a field or dotted path the caller may not query.
    """
    target = caller_object(context, object_name, ObjectRight.READ)
    with read_connection(context, target.catalog) as connection:
        return list_records(
            connection,
            catalog=target.catalog,
            obj=target.obj,
            query=query,
            scope=caller_scope(context),
            access=target.fields,
        )


def aggregate(context: RequestContext, object_name: str, query: AggregateQuery) -> dict[str, Any]:
    """Return grouped metrics of an object's records.

    Raises:
        NotFound: no such object (or none the caller may read).
        InvalidQuery: unknown fields, buckets or functions.
        PermissionDenied: a group, metric or filter on a field the caller may not query.
    """
    target = caller_object(context, object_name, ObjectRight.READ)
    with read_connection(context, target.catalog) as connection:
        return aggregate_records(
            connection,
            catalog=target.catalog,
            obj=target.obj,
            query=query,
            scope=caller_scope(context),
            access=target.fields,
        )


def search(context: RequestContext, query: SearchQuery) -> dict[str, Any]:
    """Return the records of every searchable object that match `query`, ranked and grouped.

    Only objects the caller may read are searched, by the fields they may query.

    Raises:
        InvalidQuery: no text or text past the limits, unknown or unsearchable objects.
    """
    access = caller_access(context)
    with read_connection(context, access.catalog) as connection:
        return search_records(
            connection,
            catalog=access.catalog,
            query=query,
            scope=caller_scope(context),
            access=access,
        )
