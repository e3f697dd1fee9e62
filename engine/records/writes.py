"""Write records inside a caller's transaction: the API of workflows, forms and seed data.

`RecordWriter` runs creates, updates, deletes and upserts through the same save
pipeline as the HTTP API, on the caller's connection: nothing is committed here, and
everything the caller writes commits or rolls back together. Each write runs in a
savepoint, so a write that fails (a 422, a 409) leaves no trace, not even a used
auto-number, and the caller's transaction stays usable. Each write also holds the
tenant's metadata at the revision it was checked against until the caller's
transaction ends, as every write transaction does (a metadata change committed
meanwhile is a `SchemaChanged`).

Files are the one thing a commit must be followed by: the writer collects the blobs its
writes let go (files of deleted records) in `released`, and the caller removes them once
its transaction commits, with `engine.files.release_blobs(context.engine.files,
writer.released)`. Blobs not removed are orphans, which `tessera files sweep` removes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from engine.access import rights_of
from engine.catalog import Catalog, CompiledObject, hold_catalog_revision
from engine.catalog.record_output import render_record
from engine.context import RequestContext
from engine.errors import Problem, RecordValidationError
from engine.query import AllFields, QueryScope
from engine.records.bulk import MAX_BATCH, BatchResult, write_batch
from engine.records.constraints import explain_refused_delete, explain_refused_record
from engine.records.lookup_keys import resolve_request_lookups
from engine.records.pipeline import SavePipeline, WriteRequest
from engine.records.service import compiled_object, parse_record_id, stored_row
from engine.records.strategies import OneRecord


@dataclass(frozen=True)
class RecordWriter:
    """Create, update, delete and upsert records in the caller's open transaction.

    Attributes:
        connection: a connection of the tenant's database with a transaction begun (the
            caller commits or rolls back).
        context: who writes, for which tenant; its actor goes to created_by/updated_by.
        scope: the rows the writer may read and change: `caller_scope(context)` for a
            user's form, `AllRows()` where the writer acts for the whole tenant.

    Its bodies are the code's, which names the fields it writes: every field of an object
    may be written, whatever the caller's field rights (data API bodies are checked
    against them, `engine/records/object_rights.py`).
        released: keys of the blobs the writes let go, to remove after the commit.
    """

    connection: Connection
    context: RequestContext
    scope: QueryScope
    released: list[str] = field(default_factory=list)

    def create(self, object_name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create one record; return it as stored.

        Raises:
            NotFound, RecordValidationError, Conflict (a unique clash).
        """
        return self._save_one(object_name, WriteRequest(body=body), OneRecord())

    def update(
        self,
        object_name: str,
        record_id: UUID | str,
        body: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields of one record; return it as stored.

        Raises:
            NotFound, RecordValidationError, Conflict, PreconditionFailed (stale version).
        """
        _, obj = compiled_object(self.context, object_name)
        key = record_id if isinstance(record_id, UUID) else parse_record_id(obj, record_id)
        request = WriteRequest(body=body, record_id=key, expected_version=expected_version)
        return self._save_one(object_name, request, OneRecord(reference=str(record_id)))

    def delete(
        self, object_name: str, record_id: UUID | str, *, expected_version: int | None = None
    ) -> None:
        """Delete one record (children and lookups follow their delete rule).

        Raises:
            NotFound, PreconditionFailed, Conflict (a restrict lookup still points at it).
        """
        catalog, obj = self._compiled(object_name)
        key = record_id if isinstance(record_id, UUID) else parse_record_id(obj, record_id)
        pipeline = SavePipeline(
            self.connection, self.context, catalog, obj, self.scope, fields=AllFields()
        )
        try:
            with self.connection.begin_nested():
                if not pipeline.delete(key, expected_version=expected_version):
                    OneRecord(reference=str(record_id)).raise_missing(pipeline, key)
        except IntegrityError as exc:
            raise explain_refused_delete(
                self.connection,
                catalog=catalog,
                obj=obj,
                record_id=key,
                scope=self.scope,
                rights=rights_of(catalog, self.context.caller),
            ) from exc
        self.released.extend(pipeline.released)

    def write_batch(
        self,
        object_name: str,
        bodies: Sequence[Any],
        *,
        upsert_on: str | None = None,
        is_partial: bool = False,
    ) -> BatchResult:
        """Create (or, with `upsert_on`, upsert by a unique field) many records.

        Raises:
            RecordValidationError, Conflict: all-or-nothing mode and a record failed.
        """
        if len(bodies) > MAX_BATCH:
            raise RecordValidationError(
                f"a batch holds at most {MAX_BATCH} records; split the {len(bodies)} records",
                problems=[Problem("", "batch-too-large", f"at most {MAX_BATCH} records per call")],
            )
        catalog, obj = self._compiled(object_name)
        with self.connection.begin_nested():
            return write_batch(
                self.connection,
                self.context,
                catalog=catalog,
                obj=obj,
                scope=self.scope,
                fields=AllFields(),
                bodies=bodies,
                upsert_on=upsert_on,
                is_partial=is_partial,
            )

    def upsert(self, object_name: str, bodies: Sequence[Any], *, on: str) -> BatchResult:
        """Update the records whose unique field `on` matches, create the others."""
        return self.write_batch(object_name, bodies, upsert_on=on)

    def _compiled(self, object_name: str) -> tuple[Catalog, CompiledObject]:
        """The object, with the tenant's metadata held at its catalog's revision.

        Raises:
            NotFound: no such object. SchemaChanged: the metadata changed meanwhile.
        """
        catalog, obj = compiled_object(self.context, object_name)
        hold_catalog_revision(self.connection, catalog)
        return catalog, obj

    def _save_one(
        self, object_name: str, request: WriteRequest, strategy: OneRecord
    ) -> dict[str, Any]:
        catalog, obj = self._compiled(object_name)
        pipeline = SavePipeline(
            self.connection, self.context, catalog, obj, self.scope, fields=AllFields()
        )
        try:
            with self.connection.begin_nested():
                resolve_request_lookups(pipeline, request)
                item = pipeline.save([request], strategy)[0]
                row = stored_row(pipeline, item)
        except IntegrityError as exc:
            raise explain_refused_record(
                self.connection,
                obj=obj,
                save=pipeline.pending[0].save,
                scope=self.scope,
                access=pipeline.fields.on(obj),
            ) from exc
        self.released.extend(pipeline.released)
        return render_record(obj, row)
