"""Write strategies of the save pipeline: one record, or a batch.

A strategy decides how valid records reach the database and how failures are told;
the pipeline (`engine/records/pipeline.py`) decides the order of the stages. One record
is written with INSERT/UPDATE … RETURNING and any problem raises; a batch uses one
INSERT (COPY on PostgreSQL) and one UPDATE per shape of record, and either refuses the
whole batch or, in partial mode, isolates failing records with savepoints.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import BindParameter, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from engine.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    Problem,
    RecordValidationError,
)
from engine.records.constraints import unique_clashes
from engine.records.copy_rows import insert_rows
from engine.records.pipeline import PendingWrite, SavePipeline, WriteStatus, changed_columns

#: Records written per statement (and per savepoint in partial mode).
CHUNK = 500


@dataclass
class OneRecord:
    """Write a single record; every problem raises.

    A refused write (a unique clash) raises the driver's IntegrityError: the caller
    explains it once the failed statement is rolled back (`explain_refused_record`).

    Attributes:
        reference: how the caller named the record (the path id), for error messages.
    """

    reference: str | None = None

    def missing(self, pipeline: SavePipeline, item: PendingWrite) -> None:
        """Raise NotFound, or PreconditionFailed when the record is at another version."""
        self.raise_missing(pipeline, item.save.record_id)

    def raise_missing(self, pipeline: SavePipeline, key: UUID) -> None:
        """Raise NotFound (gone, or not readable), PermissionDenied (readable but not
        editable), or PreconditionFailed (at another version)."""
        obj = pipeline.obj
        reference = self.reference or str(key)
        query = select(obj.table.c.version).where(obj.table.c.id == key)
        visible = pipeline.visible
        if visible is not None:
            query = query.where(visible)
        current = pipeline.connection.execute(query).scalar_one_or_none()
        if current is None:
            raise NotFound(f"there is no {obj.state.api_name} record {reference!r}")
        editable = pipeline.editable
        if editable is not None:
            query = select(obj.table.c.id).where(obj.table.c.id == key, editable)
            if pipeline.connection.execute(query).first() is None:
                raise PermissionDenied(
                    f"you may read the {obj.state.api_name} record {reference!r} but not "
                    "change it: its owner, someone above them in the role hierarchy, or a "
                    "read/write share can (docs/sharing.md)"
                )
        raise PreconditionFailed(
            f"the record is at version {current}; reload it and apply your change again",
            extra={"current_version": current},
        )

    def settle(self, pipeline: SavePipeline, items: Sequence[PendingWrite]) -> None:
        """Raise every problem of the record at once."""
        problems = [problem for item in items for problem in item.problems]
        if problems:
            raise RecordValidationError(
                f"the {pipeline.obj.state.api_name} record is not valid", problems=problems
            )

    def write(self, pipeline: SavePipeline, items: Sequence[PendingWrite]) -> None:
        """INSERT or UPDATE … RETURNING, with the version check on updates."""
        for item in items:
            self._write(pipeline, item)

    def _write(self, pipeline: SavePipeline, item: PendingWrite) -> None:
        obj = pipeline.obj
        save = item.save
        connection = pipeline.connection
        if save.is_new:
            row = {
                "id": save.record_id,
                **pipeline.creation_values,
                **changed_columns(obj, save.values),
            }
            if row["owner_id"] is None:  # sent as null: a record always has an owner
                row["owner_id"] = pipeline.context.caller.user_id
            item.row = connection.execute(obj.statements.insert_returning, row).mappings().one()
            item.status = WriteStatus.CREATED
            return
        table = obj.table
        statement = update(table).where(table.c.id == save.record_id)
        editable = pipeline.editable
        if editable is not None:
            statement = statement.where(editable)
        expected = item.request.expected_version
        if expected is not None:
            statement = statement.where(table.c.version == expected)
        statement = statement.values(
            {
                **changed_columns(obj, save.values),
                "version": table.c.version + 1,
                **pipeline.update_values,
            }
        ).returning(*table.c)
        updated = connection.execute(statement).mappings().one_or_none()
        if updated is None:
            self.missing(pipeline, item)
        item.row = updated
        item.status = WriteStatus.UPDATED


class UpsertKeyTaken(Exception):
    """A key an upsert found free was stored by a concurrent transaction before its insert.

    Not an error of the caller: the batch runs again and updates the record it now finds
    (`engine/records/bulk.py`). Never leaves the engine.
    """


@dataclass
class Batch:
    """Write many records: all-or-nothing, or record by record with `is_partial`.

    Attributes:
        is_partial: write the valid records and report the others, instead of refusing
            the whole batch for one invalid record.
        upsert_on: the unique field updates were matched on (a repeated key is refused).
        can_retry: raise UpsertKeyTaken, rather than report a clash, when a created
            record's `upsert_on` value is already stored.
    """

    is_partial: bool = False
    upsert_on: str | None = None
    can_retry: bool = False

    def missing(self, pipeline: SavePipeline, item: PendingWrite) -> None:
        """An upserted record vanished (or left the scope) since its key was looked up."""
        item.fail(
            Problem(
                item.request.pointer,
                "not-found",
                f"the {pipeline.obj.state.api_name} record {item.save.record_id} is gone",
            )
        )

    def settle(self, pipeline: SavePipeline, items: Sequence[PendingWrite]) -> None:
        """Refuse the batch if any record is invalid (all-or-nothing); else go on."""
        if self.upsert_on is not None:
            self._flag_repeated_keys(items)
        if self.is_partial:
            return
        problems = [problem for item in items for problem in item.problems]
        if problems:
            failed = sum(1 for item in items if item.status is WriteStatus.ERROR)
            raise RecordValidationError(
                f"{failed} of {len(items)} records are not valid; nothing was written",
                problems=problems[:1000],
            )

    def _flag_repeated_keys(self, items: Sequence[PendingWrite]) -> None:
        assert self.upsert_on is not None
        seen: dict[Any, str] = {}
        for item in items:
            key = item.save.values.get(self.upsert_on)
            if key is None or item.status is WriteStatus.ERROR:
                continue
            if key in seen:
                item.fail(
                    Problem(
                        f"{item.request.pointer}/{self.upsert_on}",
                        "repeated-key",
                        f"record {seen[key]} of this batch has the same {self.upsert_on!r}",
                    )
                )
            else:
                seen[key] = item.request.pointer.strip("/")

    def write(self, pipeline: SavePipeline, items: Sequence[PendingWrite]) -> None:
        """Write every valid record; a database refusal is explained, never a 500."""
        connection = pipeline.connection
        if not items:
            return
        if self.upsert_on is not None:
            # Concurrent upserts of the same new keys write them in one order: each waits
            # for the other's rows instead of both waiting for each other (a deadlock).
            key = self.upsert_on
            items = sorted(items, key=lambda item: repr(item.save.values.get(key)))
        if not self.is_partial:
            try:
                # A savepoint keeps the transaction usable to explain a refusal.
                with connection.begin_nested():
                    self._write(pipeline, items)
            except IntegrityError as exc:
                conflict = _batch_conflict(pipeline, items)
                self._retry_if_key_taken(conflict.problems)
                raise conflict from exc
            return
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            try:
                with connection.begin_nested():
                    self._write(pipeline, chunk)
            except IntegrityError:
                for item in chunk:
                    try:
                        with connection.begin_nested():
                            self._write(pipeline, [item])
                    except IntegrityError:
                        clashes = unique_clashes(
                            connection,
                            obj=pipeline.obj,
                            saves=[item.save],
                            scope=pipeline.scope,
                            access=pipeline.fields.on(pipeline.obj),
                        )
                        self._retry_if_key_taken(clashes)
                        item.fail(
                            *(
                                clashes[:1]
                                or [
                                    Problem(
                                        item.request.pointer,
                                        "constraint",
                                        "the database refused this record",
                                    )
                                ]
                            )
                        )

    def _retry_if_key_taken(self, clashes: Sequence[Problem]) -> None:
        """Raise UpsertKeyTaken when a refused record clashed on the upsert key.

        Repeated keys within the batch were refused before the write, so such a clash is
        with a stored record the key lookup did not find: one committed since.
        """
        if not self.can_retry or self.upsert_on is None:
            return
        suffix = f"/{self.upsert_on}"
        if any(clash.pointer.endswith(suffix) for clash in clashes):
            raise UpsertKeyTaken

    def _write(self, pipeline: SavePipeline, items: Sequence[PendingWrite]) -> None:
        creations = [item for item in items if item.save.is_new]
        stamp = pipeline.creation_values
        insert_rows(
            pipeline.connection,
            pipeline.obj.table,
            [_insert_row(pipeline, item, stamp) for item in creations],
        )
        for item in creations:
            item.status = WriteStatus.CREATED
        self._update(pipeline, [item for item in items if not item.save.is_new])

    def _update(self, pipeline: SavePipeline, updates: Sequence[PendingWrite]) -> None:
        obj = pipeline.obj
        table = obj.table
        by_shape: dict[tuple[str, ...], list[PendingWrite]] = defaultdict(list)
        for item in updates:
            by_shape[tuple(sorted(item.save.values))].append(item)
        stamp = pipeline.update_values
        for shape, group in by_shape.items():
            columns: dict[str, BindParameter[Any]] = {
                (obj.fields[name].state.column_name if name in obj.fields else name): bindparam(
                    f"v_{name}"
                )
                for name in shape
            }
            statement = update(table).where(table.c.id == bindparam("record_id"))
            editable = pipeline.editable
            if editable is not None:
                statement = statement.where(editable)
            statement = statement.values({**columns, "version": table.c.version + 1, **stamp})
            pipeline.connection.execute(
                statement,
                [
                    {
                        "record_id": item.save.record_id,
                        **{f"v_{name}": item.save.values[name] for name in shape},
                    }
                    for item in group
                ],
            )
            for item in group:
                item.status = WriteStatus.UPDATED


def _insert_row(
    pipeline: SavePipeline, item: PendingWrite, stamp: dict[str, Any]
) -> dict[str, Any]:
    """A full row (COPY needs every row with the same columns)."""
    pipeline.context.budget.checkpoint()
    row: dict[str, Any] = {"id": item.save.record_id, **stamp}
    columns = pipeline.obj.input.columns
    for column in columns.values():
        row[column] = None
    for name, value in item.save.values.items():
        row[columns.get(name, name)] = value
    if row["owner_id"] is None:  # sent as null: a record always has an owner
        row["owner_id"] = pipeline.context.caller.user_id
    return row


def _batch_conflict(pipeline: SavePipeline, items: Sequence[PendingWrite]) -> Conflict:
    problems = unique_clashes(
        pipeline.connection,
        obj=pipeline.obj,
        saves=[i.save for i in items],
        scope=pipeline.scope,
        access=pipeline.fields.on(pipeline.obj),
    )
    return Conflict(
        "the batch clashes with a unique field; nothing was written",
        problems=problems[:1000],
        extra={
            "hint": "use ?upsert_on=<unique field> to update existing records, or ?mode=partial"
        },
    )
