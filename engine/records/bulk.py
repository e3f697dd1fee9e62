"""Write many records at once: create or upsert, all-or-nothing or record by record.

Lookups may be given by the target's id, unique field or name (`engine/records/lookup_keys.py`).

The records go through the save pipeline with the batch strategy
(`engine/records/strategies.py`): validated in full first (every problem of every record
reported together), then written with one INSERT (COPY on PostgreSQL) and one UPDATE per
shape of record. Here, upsert keys are matched to stored records (inside the caller's
scope) and the outcome is shaped as the bulk API answers it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.access import known_field, known_fields
from engine.budget import RequestBudget
from engine.catalog import Catalog, CompiledField, CompiledObject, hold_catalog_revision
from engine.catalog.values import ValueProblem, coerce_value
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import Problem, RecordValidationError
from engine.query import FieldAccess, ObjectAccess, QueryScope, refuse_unqueryable
from engine.records.lookup_keys import resolve_lookups
from engine.records.object_rights import caller_object, refuse_unwritable
from engine.records.permissions import caller_scope
from engine.records.pipeline import SavePipeline, WriteRequest, WriteStatus
from engine.records.required_fields import REQUIRED
from engine.records.strategies import Batch, UpsertKeyTaken
from engine.suggestions import did_you_mean
from metadata.models import ObjectRight

MAX_BATCH = 10_000
_CHUNK = 500
#: How often an upsert looks its keys up again after concurrent writers stored some.
_UPSERT_ATTEMPTS = 3

logger = logging.getLogger(__name__)


@dataclass
class RecordOutcome:
    """What happened to one record of a batch."""

    index: int
    status: str
    id: UUID | None = None
    errors: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of a per-record result."""
        document: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.id is not None:
            document["id"] = str(self.id)
        if self.errors:
            document["errors"] = [problem.as_dict() for problem in self.errors]
        return document


@dataclass
class BatchResult:
    """The outcome of a batch: counts and one entry per record."""

    outcomes: list[RecordOutcome]

    def count(self, status: str) -> int:
        """How many records ended with `status`."""
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    def as_dict(self, *, budget: RequestBudget | None = None) -> dict[str, Any]:
        """The JSON shape of a bulk response.

        With `budget`, other requests may run between results: 10,000 of them take a
        while to build.
        """
        results = []
        for outcome in self.outcomes:
            if budget is not None:
                budget.checkpoint()
            results.append(outcome.as_dict())
        return {
            "created": self.count("created"),
            "updated": self.count("updated"),
            "errors": self.count("error"),
            "results": results,
        }


def bulk_write(
    context: RequestContext,
    object_name: str,
    bodies: Sequence[Any],
    *,
    upsert_on: str | None = None,
    is_partial: bool = False,
) -> BatchResult:
    """Create (or upsert by a unique field) up to 10,000 records in one transaction.

    A batch needs the create right; an upsert, which may create or update, the edit right
    too, and the right to query the field it matches on.

    Raises:
        NotFound: no such object (or none the caller may read).
        PermissionDenied: a right the batch needs, or a field it writes, is not granted.
        RecordValidationError: all-or-nothing mode and some record is invalid (nothing written).
        Conflict: all-or-nothing mode and the database refused a record (nothing written).
    """
    if len(bodies) > MAX_BATCH:
        raise RecordValidationError(
            f"a batch holds at most {MAX_BATCH} records; split the {len(bodies)} records",
            problems=[Problem("", "batch-too-large", f"at most {MAX_BATCH} records per request")],
        )
    target = caller_object(context, object_name, ObjectRight.CREATE)
    catalog, obj = target.catalog, target.obj
    if upsert_on is not None:
        caller_object(context, object_name, ObjectRight.EDIT)
        check_upsert_field(obj, target.access, upsert_on)
    refuse_unwritable(target, bodies)
    with (
        tenant_connection(
            context.engine.db, context.tenant.schema_name, is_write=True
        ) as connection,
        connection.begin(),
    ):
        hold_catalog_revision(connection, catalog)
        return write_batch(
            connection,
            context,
            catalog=catalog,
            obj=obj,
            scope=caller_scope(context),
            fields=target.fields,
            bodies=bodies,
            upsert_on=upsert_on,
            is_partial=is_partial,
        )


def write_batch(
    connection: Connection,
    context: RequestContext,
    *,
    catalog: Catalog,
    obj: CompiledObject,
    scope: QueryScope,
    fields: FieldAccess,
    bodies: Sequence[Any],
    upsert_on: str | None = None,
    is_partial: bool = False,
    from_text: bool = False,
    first_index: int = 0,
) -> BatchResult:
    """Validate and write a batch inside the caller's transaction (see `bulk_write`).

    `fields` decides which fields the bodies and `upsert_on` may name (`SavePipeline`).

    An upsert whose keys a concurrent transaction stores between the key lookup and the
    insert runs again from the lookup, inside a savepoint, and updates those records: two
    upserts of the same new keys both succeed, one creating and the other updating.

    Raises:
        RecordValidationError: `upsert_on` is not a unique field, or (all-or-nothing)
            some record is invalid.
        Conflict: all-or-nothing mode and the database refused a record.
    """
    attempts = _UPSERT_ATTEMPTS if upsert_on is not None else 1
    for attempt in range(1, attempts + 1):
        # The last attempt reports clashes as every other batch does.
        strategy = Batch(is_partial=is_partial, upsert_on=upsert_on, can_retry=attempt < attempts)
        savepoint = connection.begin_nested() if strategy.can_retry else nullcontext()
        try:
            with savepoint:
                pipeline = SavePipeline(
                    connection, context, catalog, obj, scope, fields, from_text=from_text
                )
                # Lookups given by a unique field or a name become ids first: an upsert
                # key may be one.
                resolved = resolve_lookups(pipeline, bodies, first_index=first_index)
                requests = _requests(
                    pipeline, resolved.bodies, upsert_on=upsert_on, first_index=first_index
                )
                for request, problems in zip(requests, resolved.problems, strict=True):
                    request.problems.extend(problems)
                items = pipeline.save(requests, strategy)
            break
        except UpsertKeyTaken:
            logger.info(
                "upsert on %s.%s met keys stored meanwhile; looking them up again",
                obj.state.api_name,
                upsert_on,
            )
    return BatchResult(
        outcomes=[
            RecordOutcome(
                index=first_index + index,
                status=item.status.value,
                id=None if item.status is WriteStatus.ERROR else item.save.record_id,
                errors=list(item.problems),
            )
            for index, item in enumerate(items)
        ]
    )


def _requests(
    pipeline: SavePipeline, bodies: Sequence[Any], *, upsert_on: str | None, first_index: int
) -> list[WriteRequest]:
    """One request per body; with `upsert_on`, records whose key exists become updates.

    Keys are looked up inside the caller's scope: a record it does not show is not found.
    """
    if upsert_on is None:
        return [
            WriteRequest(body=body, pointer=f"/{first_index + index}")
            for index, body in enumerate(bodies)
        ]
    compiled = check_upsert_field(pipeline.obj, pipeline.fields.on(pipeline.obj), upsert_on)
    definition = compiled.state.definition
    keys: list[Any] = []
    for body in bodies:
        pipeline.context.budget.checkpoint()
        key = None
        if isinstance(body, Mapping) and body.get(upsert_on) not in (None, ""):
            try:
                key = coerce_value(definition, body[upsert_on], from_text=pipeline.from_text)
            except ValueProblem:
                key = None
        keys.append(key)
    existing = _existing_keys(pipeline, compiled.column, {key for key in keys if key is not None})
    read_only = _read_only(pipeline, set(existing.values()))
    requests = []
    for index, (body, key) in enumerate(zip(bodies, keys, strict=True)):
        pointer = f"/{first_index + index}"
        request = WriteRequest(body=body, pointer=pointer)
        if isinstance(body, Mapping):
            if key is None:
                request.problems.append(
                    Problem(
                        f"{pointer}/{upsert_on}",
                        REQUIRED,
                        f"an upsert needs {upsert_on!r} on every record",
                    )
                )
            else:
                request.record_id = existing.get(key)
                if request.record_id in read_only:
                    request.problems.append(
                        Problem(
                            f"{pointer}/{upsert_on}",
                            "read-only-record",
                            f"the {pipeline.obj.state.api_name} record with this "
                            f"{upsert_on!r} is one you may read but not change",
                        )
                    )
        requests.append(request)
    return requests


def _read_only(pipeline: SavePipeline, ids: set[UUID]) -> set[UUID]:
    """Those of the records an upsert matched that the caller may read but not change."""
    editable = pipeline.editable
    if editable is None or not ids:
        return set()
    table = pipeline.obj.table
    ordered = sorted(ids)
    allowed: set[UUID] = set()
    for start in range(0, len(ordered), _CHUNK):
        query = select(table.c.id).where(table.c.id.in_(ordered[start : start + _CHUNK]), editable)
        allowed.update(pipeline.connection.execute(query).scalars())
    return ids - allowed


def check_upsert_field(obj: CompiledObject, access: ObjectAccess, upsert_on: str) -> CompiledField:
    """Return the unique field upserts match records on, as the caller (`access`) may.

    A field the caller may not read is answered as one `obj` does not have, and the hint
    names only unique fields they may query.

    Raises:
        RecordValidationError: `upsert_on` is not a unique field of `obj` (422).
        PermissionDenied: it is one the caller sees masked (403): a match on it would
            tell its values.
    """
    compiled = known_field(obj, access, upsert_on)
    if compiled is None or not compiled.state.definition.unique:
        message = _not_unique(obj, access, upsert_on, is_known=compiled is not None)
        raise RecordValidationError(
            f"upsert_on must name a unique field of {obj.state.api_name!r}",
            problems=[Problem("/upsert_on", "not-unique", message)],
        )
    refuse_unqueryable(obj, access, upsert_on, path=upsert_on, pointer="/upsert_on")
    return compiled


def _existing_keys(pipeline: SavePipeline, column: Any, keys: set[Any]) -> dict[Any, UUID]:
    """The records (inside the scope) holding `keys` in the unique `column`, by key.

    The rows found are locked until the batch commits: a record deleted between this
    lookup and the UPDATE would otherwise be reported updated while nothing was written.
    """
    found: dict[Any, UUID] = {}
    ordered = sorted(keys, key=repr)
    visible = pipeline.visible
    for start in range(0, len(ordered), _CHUNK):
        query = (
            select(column, pipeline.obj.table.c.id)
            .where(column.in_(ordered[start : start + _CHUNK]))
            .with_for_update(key_share=True)
        )
        if visible is not None:
            query = query.where(visible)
        found.update({row[0]: row[1] for row in pipeline.connection.execute(query)})
    return found


def _not_unique(obj: CompiledObject, access: ObjectAccess, name: str, *, is_known: bool) -> str:
    unique = [
        field_name
        for field_name in known_fields(obj, access)
        if obj.fields[field_name].state.definition.unique and access.can_query(field_name)
    ]
    if is_known:
        return f"{name!r} is not a unique field"
    return f"{obj.state.api_name!r} has no field {name!r}{did_you_mean(name, unique)}"
