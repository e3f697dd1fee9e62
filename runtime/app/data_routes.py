"""Data API: records of the caller's objects (thin: parse, call the engine, render)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response, status

from engine import records
from engine.audit import MAX_LOG_PAGE
from engine.context import Channel
from engine.errors import Problem, RecordValidationError
from engine.query import MAX_LIMIT, AggregateQuery, ListQuery, decode_filter
from engine.query.aggregates import MAX_GROUPS
from runtime.app.api_route import ApiRoute
from runtime.app.auth import InTenant
from runtime.app.json_response import RecordJSONResponse

router = APIRouter(prefix="/api/v1/data", tags=["data"], route_class=ApiRoute)

RecordBody = Annotated[dict[str, Any], Body(description="Field values by api name")]
Fields = Annotated[str | None, Query(description="Comma-separated fields to return")]
Expand = Annotated[str | None, Query(description="Comma-separated lookups to embed")]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="The record version you hold; stale → 412")
]

Labels = Annotated[
    bool, Query(description='Add "_labels": the label of each picklist value, by field')
]


def expected_version(if_match: str | None) -> int | None:
    """Return the version named by an If-Match header (`3`, `"3"` or `W/"3"`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    # isdigit() alone accepts "²" and other digits int() refuses: versions are ASCII.
    if not (text.isascii() and text.isdigit()) or int(text) >= 2**63:
        raise RecordValidationError(
            "If-Match must carry a record version",
            problems=[
                Problem(
                    "/headers/If-Match",
                    "invalid-version",
                    f'{if_match!r} is not a version such as "3"',
                )
            ],
        )
    return int(text)


def record_response(record: dict[str, Any], *, status_code: int = 200, **headers: str) -> Response:
    """A record as JSON, its version as the ETag."""
    return RecordJSONResponse(
        record, status_code=status_code, headers={"ETag": f'"{record["version"]}"', **headers}
    )


def _comma_list(value: str | None) -> list[str] | None:
    return [item.strip() for item in value.split(",") if item.strip()] if value else None


@router.get("/{object_name}/aggregate")
async def aggregate_records(
    run: InTenant,
    object_name: str,
    group_by: Annotated[
        str | None, Query(description="Fields, or date:day|week|month|quarter|year")
    ] = None,
    metrics: Annotated[
        str, Query(description="count, count:f, sum:f, avg:f, min:f, max:f")
    ] = "count",
    filter: Annotated[str | None, Query(description="Filter JSON, as for lists")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_GROUPS)] = 1000,
) -> Response:
    """Group records and compute metrics (the same filter language as lists)."""
    query = AggregateQuery(
        group_by=_comma_list(group_by) or [],
        metrics=_comma_list(metrics) or ["count"],
        filter=decode_filter(filter),
        limit=limit,
    )
    return RecordJSONResponse(
        await run(lambda context: records.aggregate(context, object_name, query))
    )


@router.get("/{object_name}")
async def list_records(
    run: InTenant,
    object_name: str,
    filter: Annotated[
        str | None, Query(description='Filter JSON, e.g. {"amount": {"gt": 100}}')
    ] = None,
    sort: Annotated[
        str | None, Query(description="Comma-separated fields; - for descending")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    fields: Fields = None,
    expand: Expand = None,
    count: Annotated[bool, Query(description="Also return the total number of matches")] = False,
    labels: Labels = False,
) -> Response:
    """List records, filtered and sorted, one keyset page at a time."""
    query = ListQuery(
        filter=decode_filter(filter),
        sort=sort,
        limit=limit,
        cursor=cursor,
        fields=_comma_list(fields),
        expand=_comma_list(expand),
        count=count,
        labels=labels,
    )
    return RecordJSONResponse(
        await run(lambda context: records.query_records(context, object_name, query))
    )


@router.post("/{object_name}", status_code=status.HTTP_201_CREATED)
async def create_record(run: InTenant, object_name: str, body: RecordBody) -> Response:
    """Create a record."""
    record = await run(lambda context: records.create_record(context, object_name, body))
    location = f"/api/v1/data/{object_name}/{record['id']}"
    return record_response(record, status_code=201, Location=location)


class BulkMode(StrEnum):
    """How a bulk request treats invalid records."""

    ALL = "all"
    PARTIAL = "partial"


@router.post("/{object_name}/bulk")
async def bulk_write(
    run: InTenant,
    object_name: str,
    request: Request,
    upsert_on: Annotated[
        str | None, Query(description="A unique field: update records that match it")
    ] = None,
    mode: Annotated[
        BulkMode, Query(description="all: all-or-nothing; partial: per-record results")
    ] = BulkMode.ALL,
) -> Response:
    """Create or upsert up to 10,000 records in one transaction.

    The body is a JSON list of records, or `{"records": [...]}`, decoded by the same strict
    decoder as every other body.
    """
    body = await request.json()
    bodies = body.get("records") if isinstance(body, dict) else body
    if not isinstance(bodies, list):
        raise RecordValidationError(
            'send a list of records, or an object with a "records" list',
            problems=[Problem("/records", "missing-records", "expected a list of records")],
        )
    # The document is built in the engine call, where building 10,000 results can pause.
    document = await run(
        lambda context: records.bulk_write(
            context.through(Channel.BULK),
            object_name,
            bodies,
            upsert_on=upsert_on,
            is_partial=mode is BulkMode.PARTIAL,
        ).as_dict(budget=context.budget)
    )
    return RecordJSONResponse(document)


@router.get("/{object_name}/{record_id}")
async def get_record(
    run: InTenant,
    object_name: str,
    record_id: str,
    fields: Fields = None,
    expand: Expand = None,
    labels: Labels = False,
) -> Response:
    """Return one record; `fields`, `expand` and `labels` work as they do for lists."""
    return record_response(
        await run(
            lambda context: records.get_record(
                context,
                object_name,
                record_id,
                fields=_comma_list(fields),
                expand=_comma_list(expand),
                labels=labels,
            )
        )
    )


@router.get("/{object_name}/{record_id}/history")
async def record_history(
    run: InTenant,
    object_name: str,
    record_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_LOG_PAGE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Response:
    """The record's field history, newest first: old and new values, who, when, and how."""
    return RecordJSONResponse(
        await run(
            lambda context: records.record_history(
                context, object_name, record_id, limit=limit, cursor=cursor
            )
        )
    )


@router.patch("/{object_name}/{record_id}")
async def update_record(
    run: InTenant,
    object_name: str,
    record_id: str,
    body: RecordBody,
    if_match: IfMatch = None,
) -> Response:
    """Change some fields of a record (optimistic concurrency with If-Match)."""
    version = expected_version(if_match)
    record = await run(
        lambda context: records.update_record(
            context, object_name, record_id, body, expected_version=version
        )
    )
    return record_response(record)


@router.delete("/{object_name}/{record_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_record(
    run: InTenant, object_name: str, record_id: str, if_match: IfMatch = None
) -> Response:
    """Delete a record (and its master-detail children)."""
    version = expected_version(if_match)
    await run(
        lambda context: records.delete_record(
            context, object_name, record_id, expected_version=version
        )
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
