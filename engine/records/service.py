"""Create, read, update and delete one record at a time, each in its own transaction.

Each function opens the tenant's connection and transaction, runs the save pipeline
with the one-record strategy, and renders the result; `RecordWriter`
(`engine/records/writes.py`) does the same inside a caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from engine.access import rights_of
from engine.catalog import (
    Catalog,
    CompiledObject,
    PicklistLabels,
    hold_catalog_revision,
    tenant_catalog,
)
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import NotFound, PermissionDenied, unknown_object
from engine.files import release_blobs
from engine.query import QueryScope, read_one
from engine.records.constraints import explain_refused_delete, explain_refused_record
from engine.records.lookup_keys import resolve_request_lookups
from engine.records.object_rights import CallerObject, caller_object, refuse_unwritable
from engine.records.permissions import caller_scope
from engine.records.pipeline import PendingWrite, SavePipeline, WriteRequest
from engine.records.strategies import OneRecord
from metadata.models import ObjectRight


def compiled_object(context: RequestContext, object_name: str) -> tuple[Catalog, CompiledObject]:
    """Return the caller's catalog and one of its objects, whatever the caller's rights.

    For code acting for the whole tenant (`RecordWriter`); the data API's entry points
    name their objects through `caller_object`, which checks the caller's rights.

    Raises:
        NotFound: the tenant has no such object.
    """
    catalog = tenant_catalog(context)
    obj = catalog.objects.get(object_name)
    if obj is None:
        raise unknown_object(object_name, catalog.objects)
    return catalog, obj


def read_connection(context: RequestContext, catalog: Catalog) -> Connection:
    """A connection for the caller's reads of `catalog`'s tables.

    On PostgreSQL it reads in autocommit (no BEGIN/ROLLBACK trips), and it knows the
    catalog's revision, so a read that a metadata change overtakes runs again.
    """
    return tenant_connection(
        context.engine.db,
        context.tenant.schema_name,
        is_single_read=True,
        revision=catalog.revision,
    )


def parse_record_id(obj: CompiledObject, record_id: str) -> UUID:
    """Return the UUID of a path id; an id that is not a UUID names no record.

    Raises:
        NotFound: the id is not a UUID.
    """
    try:
        return UUID(record_id)
    except ValueError as exc:
        raise NotFound(f"there is no {obj.state.api_name} record {record_id!r}") from exc


def create_record(
    context: RequestContext, object_name: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Run one record through the save pipeline and insert it; return it as stored.

    Raises:
        NotFound, PermissionDenied (403: no create right, a field not writable),
        RecordValidationError (422, every problem), Conflict (409, unique clash).
    """
    target = caller_object(context, object_name, ObjectRight.CREATE)
    refuse_unwritable(target, [body], pointers=[""])
    return target.render(_save_one(context, target, WriteRequest(body=body), OneRecord()))


def get_record(
    context: RequestContext,
    object_name: str,
    record_id: str,
    *,
    fields: list[str] | None = None,
    expand: list[str] | None = None,
    labels: bool = False,
) -> dict[str, Any]:
    """Return one record, if the caller's scope shows it; with `labels`, its picklist labels.

    `fields` and `expand` choose what it shows, as they do for a list.

    Raises:
        NotFound: no such object or record (or none the caller may read).
        InvalidQuery: `fields` or `expand` names what the object does not have.
        PermissionDenied: `fields` or `expand` names a field the caller may not read.
    """
    target = caller_object(context, object_name, ObjectRight.READ)
    catalog, obj = target.catalog, target.obj
    if fields is None and expand is None:
        # The common read: one prepared statement, cached with the catalog.
        record = target.render(visible_record(context, catalog, obj, record_id))
        if labels:
            PicklistLabels.of(obj).add_to(record, target.access.readable_fields(obj))
        return record
    key = parse_record_id(obj, record_id)
    with read_connection(context, catalog) as connection:
        projected = read_one(
            connection,
            catalog=catalog,
            obj=obj,
            key=key,
            fields=fields,
            expand=expand,
            labels=labels,
            scope=caller_scope(context),
            access=target.fields,
        )
    if projected is None:
        raise NotFound(f"there is no {obj.state.api_name} record {record_id!r}")
    return projected


def visible_record(
    context: RequestContext, catalog: Catalog, obj: CompiledObject, record_id: str
) -> RowMapping:
    """Return the stored row of one record (by its path id), if the caller's scope shows it.

    Raises:
        NotFound: the id is not a UUID, or names no record the caller may see.
    """
    key = parse_record_id(obj, record_id)
    with read_connection(context, catalog) as connection:
        row = read_record(connection, obj, key, scope=caller_scope(context))
    if row is None:
        raise NotFound(f"there is no {obj.state.api_name} record {record_id!r}")
    return row


def editable_record(
    context: RequestContext, catalog: Catalog, obj: CompiledObject, record_id: str
) -> RowMapping:
    """Return the stored row of one record the caller may change (before an upload into it).

    Raises:
        NotFound: no record the caller may see. PermissionDenied: one it may only read.
    """
    key = parse_record_id(obj, record_id)
    scope = caller_scope(context)
    with read_connection(context, catalog) as connection:
        row = read_record(connection, obj, key, scope=scope)
        if row is None:
            raise NotFound(f"there is no {obj.state.api_name} record {record_id!r}")
        editable = scope.edit_predicate(obj, obj.table)
        if editable is not None:
            query = select(obj.table.c.id).where(obj.table.c.id == key, editable)
            if connection.execute(query).first() is None:
                raise PermissionDenied(
                    f"you may read the {obj.state.api_name} record {record_id!r} but not "
                    "change it (docs/sharing.md)"
                )
    return row


def read_record(
    connection: Connection, obj: CompiledObject, key: UUID, *, scope: QueryScope
) -> RowMapping | None:
    """Return the stored row of one record inside `scope`, or None."""
    statement = obj.statements.select_by_id
    visible = scope.predicate(obj, obj.table)
    if visible is not None:
        statement = statement.where(visible)
    return connection.execute(statement, {"record_id": key}).mappings().one_or_none()


def update_record(
    context: RequestContext,
    object_name: str,
    record_id: str,
    body: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Change some fields of a record; with `expected_version`, only if nobody changed it since.

    Raises:
        NotFound, PermissionDenied (403: no edit right, a field not writable),
        RecordValidationError, Conflict, PreconditionFailed (412, stale version).
    """
    target = caller_object(context, object_name, ObjectRight.EDIT)
    refuse_unwritable(target, [body], pointers=[""])
    obj = target.obj
    request = WriteRequest(
        body=body, record_id=parse_record_id(obj, record_id), expected_version=expected_version
    )
    return target.render(_save_one(context, target, request, OneRecord(reference=record_id)))


def update_files(
    context: RequestContext,
    object_name: str,
    record_id: str,
    files: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Set or remove (None) file fields of a record, through the save pipeline like any update.

    The blobs of the files replaced or removed are removed once the change commits.

    Raises:
        NotFound, PermissionDenied (403: no edit right, a file field not writable),
        RecordValidationError (a validation rule), PreconditionFailed.
    """
    target = caller_object(context, object_name, ObjectRight.EDIT)
    refuse_unwritable(target, [dict.fromkeys(files)], pointers=[""])
    obj = target.obj
    request = WriteRequest(
        body={},
        record_id=parse_record_id(obj, record_id),
        expected_version=expected_version,
        files=files,
    )
    return target.render(_save_one(context, target, request, OneRecord(reference=record_id)))


def _save_one(
    context: RequestContext, target: CallerObject, request: WriteRequest, strategy: OneRecord
) -> RowMapping:
    """Save one record in its own transaction; explain a refusal after the rollback.

    Lookups given by a unique field or a name (`account.code`) become ids first.

    Blobs the save let go are removed after the commit.
    """
    catalog, obj = target.catalog, target.obj
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, is_write=True
    ) as connection:
        pipeline = SavePipeline(
            connection, context, catalog, obj, caller_scope(context), fields=target.fields
        )
        try:
            with connection.begin():
                hold_catalog_revision(connection, catalog)
                resolve_request_lookups(pipeline, request)
                items = pipeline.save([request], strategy)
                row = stored_row(pipeline, items[0])
        except IntegrityError as exc:
            # Explained after the rollback, when the connection can read again.
            raise explain_refused_record(
                connection,
                obj=obj,
                save=pipeline.pending[0].save,
                scope=pipeline.scope,
                access=pipeline.fields.on(obj),
            ) from exc
    _release(context, pipeline.released)
    return row


def _release(context: RequestContext, keys: list[str]) -> None:
    """Remove blobs a committed save let go (off the event loop: the store may be remote)."""
    if keys:
        context.budget.run_blocking(lambda: release_blobs(context.engine.files, keys))


def stored_row(pipeline: SavePipeline, item: PendingWrite) -> RowMapping:
    """The record as stored after the cascade, which may have recomputed its own formulas."""
    row = item.row
    assert row is not None
    if (pipeline.obj.state.api_name, row["id"]) not in pipeline.touched:
        return row
    return (
        pipeline.connection.execute(pipeline.obj.statements.select_by_id, {"record_id": row["id"]})
        .mappings()
        .one()
    )


def delete_record(
    context: RequestContext,
    object_name: str,
    record_id: str,
    *,
    expected_version: int | None = None,
) -> None:
    """Delete a record; master-detail children go with it, lookups follow their delete rule.

    The files of every record deleted are removed after the commit.

    Raises:
        NotFound, PermissionDenied (403: no delete right), PreconditionFailed,
        Conflict (a restrict lookup still points at it).
    """
    target = caller_object(context, object_name, ObjectRight.DELETE)
    catalog, obj = target.catalog, target.obj
    key = parse_record_id(obj, record_id)
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, is_write=True
    ) as connection:
        pipeline = SavePipeline(
            connection, context, catalog, obj, caller_scope(context), fields=target.fields
        )
        try:
            with connection.begin():
                hold_catalog_revision(connection, catalog)
                if not pipeline.delete(key, expected_version=expected_version):
                    OneRecord(reference=record_id).raise_missing(pipeline, key)
        except IntegrityError as exc:
            raise explain_refused_delete(
                connection,
                catalog=catalog,
                obj=obj,
                record_id=key,
                scope=pipeline.scope,
                rights=rights_of(catalog, context.caller),
            ) from exc
    _release(context, pipeline.released)
