"""Create, read, update and delete one record at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError
from uuid_utils.compat import uuid7

from engine.catalog import (
    Catalog,
    CompiledObject,
    creation_stamp,
    hold_catalog_revision,
    tenant_catalog,
    update_stamp,
)
from engine.catalog.record_output import render_record
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import NotFound, PreconditionFailed, RecordValidationError
from engine.query import QueryScope
from engine.records.constraints import check_references, explain_integrity_error
from engine.records.permissions import caller_scope
from engine.records.pipeline import SavePipeline, changed_columns
from engine.records.record_input import parse_record_input
from engine.rules.evaluate import RecordSave


def compiled_object(context: RequestContext, object_name: str) -> tuple[Catalog, CompiledObject]:
    """Return the caller's catalog and one of its objects.

    Raises:
        NotFound: the tenant has no such object.
    """
    catalog = tenant_catalog(context)
    obj = catalog.objects.get(object_name)
    if obj is None:
        raise NotFound(f"there is no object {object_name!r}", extra={"object": object_name})
    return catalog, obj


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
        NotFound, RecordValidationError (422, every problem), Conflict (409, unique clash).
    """
    catalog, obj = compiled_object(context, object_name)
    parsed = parse_record_input(obj, body, is_create=True)
    if parsed.problems:
        raise RecordValidationError(
            f"the {object_name} record is not valid", problems=parsed.problems
        )
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, is_write=True
    ) as connection:
        try:
            with connection.begin():
                hold_catalog_revision(connection, catalog)
                row = insert_record(
                    connection,
                    context,
                    catalog=catalog,
                    obj=obj,
                    scope=caller_scope(context),
                    values=parsed.values,
                    given=frozenset(body),
                )
        except IntegrityError as exc:
            raise explain_integrity_error(
                connection, catalog=catalog, obj=obj, values=parsed.values
            ) from exc
    return render_record(obj, row)


def insert_record(
    connection: Connection,
    context: RequestContext,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    scope: QueryScope,
    values: Mapping[str, Any],
    given: frozenset[str] = frozenset(),
) -> RowMapping:
    """Run coerced values through the save pipeline and insert them, in the caller's transaction.

    Raises:
        RecordValidationError: a rule, formula or lookup fails (every problem at once).
    """
    pipeline = SavePipeline(connection, context, catalog, obj, scope)
    save = RecordSave(record_id=uuid7(), is_new=True, values=dict(values), given=given)
    pipeline.prepare([save])
    problems = save.problems + check_references(
        connection, catalog=catalog, obj=obj, values=save.values, verified=save.verified
    )
    if problems:
        raise RecordValidationError(
            f"the {obj.state.api_name} record is not valid", problems=problems
        )
    pipeline.number([save.values])
    row = {
        "id": save.record_id,
        **creation_stamp(now=pipeline.now, actor=context.actor),
        **changed_columns(obj, save.values),
    }
    stored = connection.execute(obj.statements.insert_returning, row).mappings().one()
    return _reread_if_touched(connection, obj, stored, pipeline.after_write([save]))


def _reread_if_touched(
    connection: Connection, obj: CompiledObject, row: RowMapping, touched: set[tuple[str, UUID]]
) -> RowMapping:
    """The record as stored after the cascade, which may have recomputed its own formulas."""
    if (obj.state.api_name, row["id"]) not in touched:
        return row
    return (
        connection.execute(obj.statements.select_by_id, {"record_id": row["id"]}).mappings().one()
    )


def get_record(context: RequestContext, object_name: str, record_id: str) -> dict[str, Any]:
    """Return one record.

    Raises:
        NotFound: no such object or record.
    """
    catalog, obj = compiled_object(context, object_name)
    key = parse_record_id(obj, record_id)
    statement = obj.statements.select_by_id
    visible = caller_scope(context).predicate(obj, obj.table)
    if visible is not None:
        statement = statement.where(visible)
    with tenant_connection(
        context.engine.db,
        context.tenant.schema_name,
        is_single_read=True,
        revision=catalog.revision,
    ) as connection:
        row = connection.execute(statement, {"record_id": key}).mappings().one_or_none()
    if row is None:
        raise NotFound(f"there is no {object_name} record {record_id!r}")
    return render_record(obj, row)


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
        NotFound, RecordValidationError, Conflict, PreconditionFailed (412, stale version).
    """
    catalog, obj = compiled_object(context, object_name)
    key = parse_record_id(obj, record_id)
    parsed = parse_record_input(obj, body, is_create=False)
    if parsed.problems:
        raise RecordValidationError(
            f"the {object_name} record is not valid", problems=parsed.problems
        )
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, is_write=True
    ) as connection:
        try:
            with connection.begin():
                hold_catalog_revision(connection, catalog)
                row = _update(
                    connection,
                    SavePipeline(connection, context, catalog, obj, caller_scope(context)),
                    key=key,
                    record_id=record_id,
                    values=parsed.values,
                    given=frozenset(body),
                    expected_version=expected_version,
                )
        except IntegrityError as exc:
            raise explain_integrity_error(
                connection, catalog=catalog, obj=obj, values=parsed.values, record_id=key
            ) from exc
    return render_record(obj, row)


def _update(
    connection: Connection,
    pipeline: SavePipeline,
    *,
    key: UUID,
    record_id: str,
    values: dict[str, Any],
    given: frozenset[str],
    expected_version: int | None,
) -> RowMapping:
    obj = pipeline.obj
    prior: dict[str, Any] = {}
    if pipeline.needs_prior:
        stored = pipeline.load_prior([key]).get(key)
        if stored is None:
            raise NotFound(f"there is no {obj.state.api_name} record {record_id!r}")
        if expected_version is not None and stored["version"] != expected_version:
            _raise_missing_or_stale(connection, pipeline, key, record_id)
        prior = stored
    save = RecordSave(record_id=key, is_new=False, values=values, prior=prior, given=given)
    pipeline.prepare([save])
    problems = save.problems + check_references(
        connection, catalog=pipeline.catalog, obj=obj, values=save.values, verified=save.verified
    )
    if problems:
        raise RecordValidationError(
            f"the {obj.state.api_name} record is not valid", problems=problems
        )
    table = obj.table
    statement = update(table).where(table.c.id == key)
    visible = pipeline.visible
    if visible is not None:
        statement = statement.where(visible)
    if expected_version is not None:
        statement = statement.where(table.c.version == expected_version)
    statement = statement.values(
        {
            **changed_columns(obj, save.values),
            "version": table.c.version + 1,
            **update_stamp(now=pipeline.now, actor=pipeline.context.actor),
        }
    ).returning(*table.c)
    row = connection.execute(statement).mappings().one_or_none()
    if row is None:
        _raise_missing_or_stale(connection, pipeline, key, record_id)
    assert row is not None
    return _reread_if_touched(connection, obj, row, pipeline.after_write([save]))


def delete_record(
    context: RequestContext,
    object_name: str,
    record_id: str,
    *,
    expected_version: int | None = None,
) -> None:
    """Delete a record; master-detail children go with it, lookups follow their delete rule.

    Raises:
        NotFound, PreconditionFailed, Conflict (a restrict lookup still points at it).
    """
    catalog, obj = compiled_object(context, object_name)
    key = parse_record_id(obj, record_id)
    table = obj.table
    statement = delete(table).where(table.c.id == key)
    if expected_version is not None:
        statement = statement.where(table.c.version == expected_version)
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, is_write=True
    ) as connection:
        try:
            with connection.begin():
                hold_catalog_revision(connection, catalog)
                pipeline = SavePipeline(connection, context, catalog, obj, caller_scope(context))
                visible = pipeline.visible
                if visible is not None:
                    statement = statement.where(visible)
                cascade = pipeline.cascade()
                pending = None
                if _feeds_others(catalog, obj):
                    before: list[Mapping[str, Any]] = list(pipeline.load_prior([key]).values())
                    pending = cascade.before_delete(obj, before)
                if connection.execute(statement).rowcount == 0:
                    _raise_missing_or_stale(connection, pipeline, key, record_id)
                if pending is not None:
                    cascade.after_delete(obj, pending)
        except IntegrityError as exc:
            raise explain_integrity_error(
                connection, catalog=catalog, obj=obj, values={}, record_id=key, deleting=True
            ) from exc


def _feeds_others(catalog: Catalog, obj: CompiledObject) -> bool:
    """Whether deleting records of `obj` can change roll-ups or formulas elsewhere.

    Children deleted with it may feed roll-ups of other parents, at any depth of
    master-detail, so any roll-up in the tenant makes a deletion look.
    """
    if obj.rules.rollups or obj.rules.watchers:
        return True
    return any(other.rules.rollups for other in catalog.objects.values())


def _raise_missing_or_stale(
    connection: Connection, pipeline: SavePipeline, key: UUID, record_id: str
) -> None:
    obj = pipeline.obj
    query = select(obj.table.c.version).where(obj.table.c.id == key)
    visible = pipeline.visible
    if visible is not None:
        query = query.where(visible)
    current = connection.execute(query).scalar_one_or_none()
    if current is None:
        raise NotFound(f"there is no {obj.state.api_name} record {record_id!r}")
    raise PreconditionFailed(
        f"the record is at version {current}; reload it and apply your change again",
        extra={"current_version": current},
    )
