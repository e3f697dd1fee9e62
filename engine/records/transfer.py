"""Stream records in and out of files: batched imports and streamed exports."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from typing import IO, Any

from sqlalchemy import select

from engine.catalog import READ_ONLY_SYSTEM_KEYS, SYSTEM_KEYS, hold_catalog_revision
from engine.catalog.record_output import render_record
from engine.context import RequestContext
from engine.database import tenant_connection
from engine.errors import Conflict, RecordValidationError, SchemaChanged
from engine.json_input import InvalidJson, decode_json
from engine.query import base_condition, build_plan
from engine.records.bulk import write_batch
from engine.records.permissions import caller_scope
from engine.records.service import compiled_object

EXPORT_CHUNK = 1000


class ExportFormat(StrEnum):
    """File formats of exports."""

    CSV = "csv"
    JSONL = "jsonl"


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
    """One error of an import: its line, the field (empty for the whole record), what."""

    line: int
    field: str
    code: str
    message: str
    column: int | None = None


#: A line of a file and what it holds: a record, or why it holds none.
Row = tuple[int, dict[str, Any] | UnreadableLine]


@dataclass
class ImportSummary:
    """What an import did, with its errors in the order of the file's lines."""

    created: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[LineError] = field(default_factory=list)


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


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _strip_system_keys(record: dict[str, Any]) -> dict[str, Any]:
    # Exports carry id, version and timestamps; an import of one must not trip on them.
    return {key: value for key, value in record.items() if key not in READ_ONLY_SYSTEM_KEYS}


def import_batches(
    context: RequestContext,
    object_name: str,
    rows: Iterable[Row],
    *,
    from_text: bool,
    upsert_on: str | None = None,
    is_atomic: bool = False,
    batch_size: int = 2000,
) -> ImportSummary:
    """Import (line, record) pairs in batches; never holds more than one batch in memory.

    By default each batch commits its valid records; with `is_atomic` the whole import is
    one transaction and the first invalid batch rolls everything back. An unreadable
    line fails like an invalid record.
    """
    catalog, obj = compiled_object(context, object_name)
    summary = ImportSummary()
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, is_write=True
    ) as connection:
        transaction = connection.begin() if is_atomic else None
        if transaction is not None:
            hold_catalog_revision(connection, catalog)
        try:
            for batch in _batches(rows, batch_size):
                records = _readable(batch, summary)
                if not records:
                    continue
                lines = [line for line, _ in records]
                bodies = [_strip_system_keys(record) for _, record in records]
                # Atomic imports run inside the one outer transaction; others commit per batch.
                batch_transaction = nullcontext() if is_atomic else connection.begin()
                try:
                    with batch_transaction:
                        if not is_atomic:
                            hold_catalog_revision(connection, catalog)
                        result = write_batch(
                            connection,
                            context,
                            catalog=catalog,
                            obj=obj,
                            scope=caller_scope(context),
                            bodies=bodies,
                            upsert_on=upsert_on,
                            is_partial=not is_atomic,
                            from_text=from_text,
                        )
                except (RecordValidationError, Conflict, SchemaChanged) as error:
                    _record_failure(summary, error, lines)
                    break
                summary.created += result.count("created")
                summary.updated += result.count("updated")
                for outcome in result.outcomes:
                    if outcome.status == "error":
                        summary.failed += 1
                        for problem in outcome.errors:
                            summary.errors.append(
                                LineError(
                                    lines[outcome.index],
                                    _field(problem.pointer),
                                    problem.code,
                                    problem.detail,
                                )
                            )
            if transaction is not None:
                if summary.failed:
                    transaction.rollback()
                    summary.created = summary.updated = 0
                else:
                    transaction.commit()
        finally:
            if transaction is not None and transaction.is_active:
                transaction.rollback()
    summary.errors.sort(key=lambda error: error.line)
    return summary


def _readable(batch: list[Row], summary: ImportSummary) -> list[tuple[int, dict[str, Any]]]:
    """Return the records of `batch`, counting its unreadable lines as failed."""
    records = []
    for line, row in batch:
        if isinstance(row, UnreadableLine):
            summary.failed += 1
            summary.errors.append(LineError(line, row.field, row.code, row.message, row.column))
        else:
            records.append((line, row))
    return records


def _record_failure(
    summary: ImportSummary,
    error: RecordValidationError | Conflict | SchemaChanged,
    lines: list[int],
) -> None:
    failed_indexes = set()
    for problem in error.problems or []:
        parts = problem.pointer.strip("/").split("/")
        index = int(parts[0]) if parts and parts[0].isdigit() else 0
        failed_indexes.add(index)
        line = lines[index] if index < len(lines) else lines[0]
        field_name = _field(problem.pointer)
        summary.errors.append(LineError(line, field_name, problem.code, problem.detail))
    if not error.problems:
        summary.errors.append(LineError(lines[0], "", error.code, error.detail))
    summary.failed += max(len(failed_indexes), 1)


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
) -> int:
    """Write every (matching) record to `target`, streamed from the database; return the count."""
    catalog, obj = compiled_object(context, object_name)
    fields = list(obj.fields)
    written = 0
    writer = csv.writer(target) if fmt is ExportFormat.CSV else None
    if writer is not None:
        writer.writerow([*SYSTEM_KEYS, *fields])
    with tenant_connection(
        context.engine.db, context.tenant.schema_name, revision=catalog.revision
    ) as connection:
        plan = build_plan(
            catalog, obj, scope=caller_scope(context), dialect=connection.dialect.name
        )
        condition = base_condition(plan, filter_document)
        query = select(obj.table).select_from(plan.apply(obj.table)).order_by(obj.table.c.id)
        if condition is not None:
            query = query.where(condition)
        result = connection.execution_options(stream_results=True, yield_per=EXPORT_CHUNK).execute(
            query
        )
        for row in result.mappings():
            record = render_record(obj, row)
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
