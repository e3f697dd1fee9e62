"""Read many records: lists, aggregates and searches, scoped to what the caller may see."""

from __future__ import annotations

from typing import Any

from engine.catalog import tenant_catalog
from engine.context import RequestContext
from engine.query import AggregateQuery, ListQuery, aggregate_records, list_records
from engine.records.permissions import caller_scope
from engine.records.service import compiled_object, read_connection
from engine.search import SearchQuery, search_records


def query_records(context: RequestContext, object_name: str, query: ListQuery) -> dict[str, Any]:
    """Return one page of an object's records.

    Raises:
        NotFound: no such object; InvalidQuery: a filter, sort or cursor that does not apply.
    """
    catalog, obj = compiled_object(context, object_name)
    with read_connection(context, catalog) as connection:
        return list_records(
            connection, catalog=catalog, obj=obj, query=query, scope=caller_scope(context)
        )


def aggregate(context: RequestContext, object_name: str, query: AggregateQuery) -> dict[str, Any]:
    """Return grouped metrics of an object's records.

    Raises:
        NotFound: no such object; InvalidQuery: unknown fields, buckets or functions.
    """
    catalog, obj = compiled_object(context, object_name)
    with read_connection(context, catalog) as connection:
        return aggregate_records(
            connection, catalog=catalog, obj=obj, query=query, scope=caller_scope(context)
        )


def search(context: RequestContext, query: SearchQuery) -> dict[str, Any]:
    """Return the records of every searchable object that match `query`, ranked and grouped.

    Raises:
        InvalidQuery: no text or text past the limits, unknown or unsearchable objects.
    """
    catalog = tenant_catalog(context)
    with read_connection(context, catalog) as connection:
        return search_records(connection, catalog=catalog, query=query, scope=caller_scope(context))
