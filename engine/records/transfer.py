"""Stream records in and out of files: batched imports and streamed exports.

Imports check a CSV header once (`import_columns.py`), read empty cells as no value,
picklist labels as their values, and lookups by id, unique field or name (through the
bulk write); every error goes to an error sink, the first ones stay in the summary.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from typing import IO, Any, Protocol

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.catalog import (
    SYSTEM_KEYS,
    PicklistLabels,
    hold_catalog_revision,
)
from engine.catalog.record_output import render_record
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    RecordValidationError,
    SchemaChanged,
    WritesCollided,
)
from engine.json_input import InvalidJson, decode_json
from engine.query import base_condition, build_plan
from engine.records.bulk import check_upsert_field, write_batch
from engine.records.import_columns import ImportColumns, check_columns, ignored_keys
from engine.records.object_rights import CallerObject, caller_object, refuse_unwritable
from engine.records.permissions import caller_scope
from metadata.models import ObjectRight

EXPORT_CHUNK = 1000
#: Errors an import keeps in its summary; every one goes to its error sink.
KEPT_ERRORS = 1000


class ExportFormat(StrEnum):
    """File formats of exports."""

    CSV = "csv"
    JSONL = "jsonl"


class UnknownObject(InvalidRequest):
    """An import or export names an object the tenant does not have."""

    code = "unknown-object"
    title = "Unknown object"


@dataclass(frozen=True)
class UnreadableLine:
    """A line of an import file that holds no record: what is wrong, and where on the line.

    Attributes:
        code: the problem code (`invalid-json`, `invalid-number`, `invalid-character`, …).
        message: what is wrong, for the person who fixes the file.
        field: the record's field the problem is in, when the line decoded that far.
        column: the column (from 1) where the problem starts, when it is known.
    """

    code: str
    message: str
    field: str = ""
    column: int | None = None


@dataclass(frozen=True)
class LineError:
    """One error of an import: its line, the field (empty for the whole record), what.

    Attributes:
        column: where on the line the problem starts (from 1), for a line that did not
            decode; else None.
        row: the row as read (None for a line that did not decode), for error files.
    """

    line: int
    field: str
    code: str
    message: str
    column: int | None = None
    row: Any = None


#: A line of a file and what it holds: a record, or why it holds none.
Row = tuple[int, dict[str, Any] | UnreadableLine]


class ErrorSink(Protocol):
    """Where an import sends every error, as it finds them (a file, say)."""

    def write(self, error: LineError) -> None:
        """Take one error."""
        ...


@dataclass
class ImportSummary:
    """What an import did: counts, the first errors by line, and how many there were.

    Attributes:
        errors: the first `KEPT_ERRORS` errors (every one went to the error sink).
        error_count: every error found, kept or not.
        ignored_columns: columns of the file Tessera maintains, skipped on every row.
        stopped_at: the first line of a batch refused whole (the cascade failed, the
            fields changed under it): that batch and the lines after it were not written.
    """

    created: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0
    ignored_columns: tuple[str, ...] = ()
    stopped_at: int | None = None

    def add_error(self, error: LineError, sink: ErrorSink | None) -> None:
        """Count `error`, keep it if there is room, and send it to `sink`."""
        self.error_count += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append(error)
        if sink is not None:
            sink.write(error)


def read_json_lines(lines: Iterable[str]) -> Iterator[Row]:
    """Yield (line number, record) of a JSON Lines file, one line at a time.

    Each line is decoded as strictly as a request body; a line that does not decode, or
    holds what no database stores, is an `UnreadableLine` that says where and why.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = decode_json(line, what=f"line {number}")
        except InvalidJson as exc:
            (problem,) = exc.problems
            yield (
                number,
                UnreadableLine(
                    code=problem.code,
                    message=exc.reason,
                    field=problem.pointer.split("/")[1] if problem.pointer else "",
                    column=None if exc.position is None else exc.position + 1,
                ),
            )
            continue
        if isinstance(record, dict):
            yield number, record
        else:
            column = len(line) - len(line.lstrip()) + 1
            message = f"each line is one record, a JSON object; this one is {_json_kind(record)}"
            yield number, UnreadableLine("not-an-object", message, column=column)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return "a number"


def transfer_object(
    context: RequestContext, object_name: str, *, right: ObjectRight
) -> CallerObject:
    """Return the object an import or export names, if the caller holds `right` on it.

    Raises:
        UnknownObject: the tenant has no such object, or none the caller may read (with a
            close name when there is one).
        PermissionDenied: the caller may read the object's records but not `right` them.
    """
    try:
        return caller_object(context, object_name, right)
    except NotFound as exc:
        raise UnknownObject(exc.detail, extra={"object": object_name}) from exc


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass(frozen=True)
class _RowReader:
    """Turns a row of the file into the body the save pipeline takes."""

    columns: ImportColumns | None
    ignored: frozenset[str]
    labels: PicklistLabels
    from_text: bool

    def body(self, row: Any) -> Any:
        """The record of `row`: columns renamed, ignored keys and empty cells left out.

        An empty cell is no value given: on create the field's default applies, on update
        the stored value stays. Picklist labels become their values.
        """
        if not isinstance(row, Mapping):
            return row
        if self.columns is not None:
            record: dict[str, Any] = self.columns.record(row)
        else:
            record = {key: value for key, value in row.items() if key not in self.ignored}
        if self.from_text:
            record = {key: value for key, value in record.items() if value not in ("", None)}
        for name in self.labels.labels.keys() & record.keys():
            record[name] = self.labels.value(name, record[name], from_text=self.from_text)
        return record


def import_batches(
    context: RequestContext,
    object_name: str,
    rows: Iterable[Row],
    *,
    from_text: bool,
    header: Sequence[str] | None = None,
    upsert_on: str | None = None,
    is_atomic: bool = False,
    batch_size: int = 2000,
    error_sink: ErrorSink | None = None,
) -> ImportSummary:
    """Import (line, record) pairs in batches; never holds more than one batch in memory.

    With a `header` (a CSV file's), the columns are checked before any row is read. By
    default each batch commits its valid records; with `is_atomic` the whole import is
    one transaction, rolled back at the end if any line failed (every line is still
    checked, so the report names every error).

    Raises:
        UnknownObject: no such object.
        PermissionDenied: the caller may not create (or, upserting, edit) its records, or
            write a field the file names.
        RecordValidationError: a header column or `upsert_on` the object cannot take.
    """
    target = transfer_object(context, object_name, right=ObjectRight.CREATE)
    catalog, obj = target.catalog, target.obj
    if upsert_on is not None:
        transfer_object(context, object_name, right=ObjectRight.EDIT)
        check_upsert_field(obj, target.access, upsert_on)
    columns = check_columns(target, header) if header is not None else None
    reader = _RowReader(
        columns=columns,
        ignored=ignored_keys(obj, target.access),
        labels=PicklistLabels.of(obj),
        from_text=from_text,
    )
    plan = _ImportPlan(
        target=target,
        reader=reader,
        upsert_on=upsert_on,
        is_atomic=is_atomic,
        from_text=from_text,
    )
    summary = ImportSummary(ignored_columns=columns.ignored if columns else ())
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, is_write=True
    ) as connection:
        transaction = connection.begin() if is_atomic else None
        if transaction is not None:
            hold_catalog_revision(connection, catalog)
        try:
            for batch in _batches(rows, batch_size):
                # A batch's errors are told in the order of its lines.
                found: list[LineError] = []
                records = _readable(batch, found)
                stopped = False
                if records:
                    stopped = _import_batch(connection, context, plan, records, found, summary)
                summary.failed += len({error.line for error in found})
                for error in sorted(found, key=lambda error: error.line):
                    summary.add_error(error, error_sink)
                if stopped:
                    summary.stopped_at = records[0][0]
                    break
            if transaction is not None:
                if summary.failed:
                    transaction.rollback()
                    summary.created = summary.updated = 0
                else:
                    transaction.commit()
        finally:
            if transaction is not None and transaction.is_active:
                transaction.rollback()
    return summary


@dataclass(frozen=True)
class _ImportPlan:
    """What every batch of one import is written with."""

    target: CallerObject
    reader: _RowReader
    upsert_on: str | None
    is_atomic: bool
    from_text: bool


def _import_batch(
    connection: Connection,
    context: RequestContext,
    plan: _ImportPlan,
    records: list[tuple[int, dict[str, Any]]],
    found: list[LineError],
    summary: ImportSummary,
) -> bool:
    """Write one batch; add its errors to `found`; return whether the import must stop.

    Atomic imports run inside the one outer transaction; others commit per batch.
    """
    bodies = [plan.reader.body(row) for _, row in records]
    refuse_unwritable(plan.target, bodies, pointers=[f"/line {line}" for line, _ in records])
    batch_transaction = nullcontext() if plan.is_atomic else connection.begin()
    try:
        with batch_transaction:
            if not plan.is_atomic:
                hold_catalog_revision(connection, plan.target.catalog)
            result = write_batch(
                connection,
                context,
                catalog=plan.target.catalog,
                obj=plan.target.obj,
                scope=caller_scope(context),
                fields=plan.target.fields,
                bodies=bodies,
                upsert_on=plan.upsert_on,
                is_partial=True,
                from_text=plan.from_text,
            )
    except (RecordValidationError, Conflict, SchemaChanged, WritesCollided) as error:
        # The batch was refused whole (the cascade failed, the fields changed under it,
        # concurrent writes won): nothing of it was written, and the import stops there,
        # its summary telling what the batches before it wrote.
        found.extend(_refusal_errors(error, records))
        return True
    summary.created += result.count("created")
    summary.updated += result.count("updated")
    for outcome in result.outcomes:
        line, row = records[outcome.index]
        found.extend(
            LineError(line, _field(problem.pointer), problem.code, problem.detail, row=row)
            for problem in outcome.errors
        )
    return False


def _refusal_errors(
    error: RecordValidationError | Conflict | SchemaChanged | WritesCollided,
    records: list[tuple[int, dict[str, Any]]],
) -> list[LineError]:
    """The errors of a batch refused whole, at the lines its problems point at."""
    errors = []
    for problem in error.problems:
        parts = problem.pointer.strip("/").split("/")
        index = int(parts[0]) if parts and parts[0].isdigit() else 0
        line, row = records[index if index < len(records) else 0]
        errors.append(
            LineError(line, _field(problem.pointer), problem.code, problem.detail, row=row)
        )
    if not errors:
        line, row = records[0]
        errors.append(LineError(line, "", error.code, error.detail, row=row))
    return errors


#: Where the row of an `extra-cells` error keeps the cells that have no column.
EXTRA_CELLS_KEY = "_extra_cells"


def _readable(batch: list[Row], found: list[LineError]) -> list[tuple[int, dict[str, Any]]]:
    """The records of `batch`; its unreadable lines, and rows with more cells than the
    header has columns (their cells are shifted), are errors in `found`."""
    records = []
    for line, row in batch:
        if isinstance(row, UnreadableLine):
            found.append(LineError(line, row.field, row.code, row.message, column=row.column))
        elif None in row:
            extra = row[None]  # type: ignore[index]
            found.append(
                LineError(
                    line,
                    "",
                    "extra-cells",
                    f"the line has {len(extra)} more cell(s) than the header has columns",
                    # Every cell, the extra ones in order after the named ones: the
                    # errors file must hold enough to fix the line.
                    row={
                        **{key: value for key, value in row.items() if key is not None},
                        EXTRA_CELLS_KEY: extra,
                    },
                )
            )
        else:
            records.append((line, row))
    return records


def _field(pointer: str) -> str:
    parts = pointer.strip("/").split("/")
    return parts[-1] if len(parts) > 1 else ""


def export_records(
    context: RequestContext,
    object_name: str,
    target: IO[str],
    *,
    fmt: ExportFormat,
    filter_document: Any = None,
    labels: bool = False,
) -> int:
    """Write every (matching) record to `target`, streamed from the database; return the count.

    With `labels`, picklist values are written as their labels (an import reads them back).
    Only the fields the caller may read are written, and personal data (`pii`) only when
    they hold `view_pii`: an export is never masked, it leaves such fields out.

    Raises:
        UnknownObject: no such object; InvalidQuery: a filter that does not apply.
        PermissionDenied: the filter names a field the caller may not query.
    """
    source = transfer_object(context, object_name, right=ObjectRight.READ)
    catalog, obj = source.catalog, source.obj
    fields = [
        name for name in source.access.readable_fields(obj) if name not in source.access.masks
    ]
    picklists = PicklistLabels.of(obj) if labels else None
    written = 0
    writer = csv.writer(target) if fmt is ExportFormat.CSV else None
    if writer is not None:
        writer.writerow([*SYSTEM_KEYS, *fields])
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, revision=catalog.revision
    ) as connection:
        plan = build_plan(
            catalog,
            obj,
            scope=caller_scope(context),
            access=source.fields,
            dialect=connection.dialect.name,
        )
        condition = base_condition(plan, filter_document)
        query = select(obj.table).select_from(plan.apply(obj.table)).order_by(obj.table.c.id)
        if condition is not None:
            query = query.where(condition)
        result = connection.execution_options(stream_results=True, yield_per=EXPORT_CHUNK).execute(
            query
        )
        for row in result.mappings():
            record = render_record(obj, row, fields=fields)
            if picklists is not None:
                for name in picklists.labels:
                    record[name] = picklists.label(name, record[name])
            if writer is not None:
                writer.writerow([_cell(record[key]) for key in (*SYSTEM_KEYS, *fields)])
            else:
                target.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written


def _cell(value: Any) -> str:
    """A CSV cell that `tessera data import` reads back to the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ";".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
