"""`tessera data import|export`: stream large CSV or JSON Lines files through the engine."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from engine.context import Channel
from engine.errors import InvalidRequest
from engine.json_input import decode_json
from engine.records.transfer import (
    ExportFormat,
    ImportSummary,
    LineError,
    Row,
    export_records,
    import_batches,
    read_json_lines,
    transfer_object,
)
from metadata.models import ObjectRight
from runtime.cli.context import cli_engine_context, operator_context
from runtime.cli.output import JsonOption, command_group, emit

data_app = command_group("Import and export records.")

MAX_REPORTED_ERRORS = 1000
_IMPORT_SUFFIXES = (".csv", ".jsonl", ".ndjson")
#: Rows read between two updates of the progress bar.
_PROGRESS_STEP = 100


def _rows(path: Path, text: IO[str]) -> Iterator[Row]:
    """Yield (line number, record) from a CSV or JSON Lines file, one line at a time."""
    if path.suffix.lower() != ".csv":
        yield from read_json_lines(text)
        return
    reader = csv.DictReader(text)
    for row in reader:
        yield reader.line_num, dict(row)


@dataclass(frozen=True)
class RowCount:
    """How many rows a file holds: exact, or an upper estimate."""

    total: int
    is_exact: bool

    def __str__(self) -> str:
        return f"{self.total:,}" if self.is_exact else f"~{self.total:,}"


def count_rows(path: Path) -> RowCount:
    """Count a file's rows from its newlines, quickly (no parsing).

    The count is exact when every line is one row: no blank line (skipped on import) and,
    in CSV, no quote character (a quoted cell may hold newlines). Otherwise it is an upper
    estimate, shown with a `~`.
    """
    is_csv = path.suffix.lower() == ".csv"
    lines = 0
    has_quote = has_blank = False
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            has_quote = has_quote or (is_csv and b'"' in chunk)
            edge = last[-2:] + chunk[:2]
            has_blank = has_blank or any(
                blank in part for part in (chunk, edge) for blank in (b"\n\n", b"\n\r\n")
            )
            last = chunk
    if not last.endswith(b"\n"):
        lines += 1
    if is_csv:
        lines = max(lines - 1, 0)
    return RowCount(total=lines, is_exact=not (has_quote or has_blank))


class _RowRate(ProgressColumn):
    """Rows imported per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s", style="progress.data.speed")


def import_progress(*, disable: bool) -> Progress:
    """The progress bar of an import: rows done of the total, rows per second, time left."""
    return Progress(
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.fields[total_rows]} rows"),
        _RowRate(),
        TimeRemainingColumn(),
        # On standard error: standard output carries the report (and may be redirected).
        console=Console(stderr=True),
        disable=disable,
        transient=True,
    )


def _counted(
    rows: Iterable[tuple[int, Any]], progress: Progress, task: TaskID
) -> Iterator[tuple[int, Any]]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % _PROGRESS_STEP == 0:
            progress.update(task, completed=done)
    progress.update(task, completed=done)


def _csv_header(path: Path) -> list[str]:
    """The header row of a CSV file (empty for an empty file)."""
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        return next(csv.reader(handle), [])


class ErrorFile:
    """Every error of an import, as CSV or JSON Lines (by the file's suffix).

    Each error has its line (and column, for a line that did not decode), field, code and
    message, and the row as read (CSV: the row as a JSON object in the `row` column).
    """

    COLUMNS = ("line", "column", "field", "code", "message", "row")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._handle) if path.suffix.lower() == ".csv" else None
        if self._csv is not None:
            self._csv.writerow(self.COLUMNS)

    def write(self, error: LineError) -> None:
        """Write one error."""
        if self._csv is not None:
            row = "" if error.row is None else json.dumps(error.row, ensure_ascii=False)
            self._csv.writerow(
                [error.line, error.column, error.field, error.code, error.message, row]
            )
            return
        document = {
            "line": error.line,
            "column": error.column,
            "field": error.field,
            "code": error.code,
            "message": error.message,
            "row": error.row,
        }
        self._handle.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        """Flush and close the file."""
        self._handle.close()


@data_app.command("import")
def import_command(
    tenant: str,
    object_name: str = typer.Argument(..., metavar="OBJECT"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .csv or .jsonl file"),
    upsert_on: str = typer.Option(None, help="A unique field: update the records that match it"),
    atomic: bool = typer.Option(False, "--atomic", help="All or nothing: any error writes nothing"),
    batch_size: int = typer.Option(2000, min=1, max=10_000, help="Records per transaction"),
    errors_path: Path = typer.Option(
        None, "--errors", help="Write every error to this .csv or .jsonl file"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Import records from CSV (header row of field names or labels) or JSON Lines, streaming."""
    if file.suffix.lower() not in _IMPORT_SUFFIXES:
        raise InvalidRequest("the file must end in .csv, .jsonl or .ndjson")
    if errors_path is not None and errors_path.suffix.lower() not in _IMPORT_SUFFIXES:
        raise InvalidRequest("--errors must name a .csv, .jsonl or .ndjson file")
    is_csv = file.suffix.lower() == ".csv"
    show_progress = not as_json and sys.stderr.isatty()
    error_file = ErrorFile(errors_path) if errors_path is not None else None
    try:
        with cli_engine_context() as engine:
            context = operator_context(engine, tenant).through(Channel.IMPORT)
            with (
                import_progress(disable=not show_progress) as progress,
                # Bytes that are not UTF-8 become lone surrogates, which the value checks
                # refuse line by line instead of the whole file failing to decode.
                file.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as text,
            ):
                total = count_rows(file) if show_progress else RowCount(0, is_exact=False)
                task = progress.add_task("import", total=total.total or None, total_rows=str(total))
                summary = import_batches(
                    context,
                    object_name,
                    _counted(_rows(file, text), progress, task),
                    from_text=is_csv,
                    header=_csv_header(file) if is_csv else None,
                    upsert_on=upsert_on,
                    is_atomic=atomic,
                    batch_size=batch_size,
                    error_sink=error_file,
                )
    finally:
        if error_file is not None:
            error_file.close()
    _report(summary, as_json=as_json, atomic=atomic, errors_path=errors_path)


def _report(
    summary: ImportSummary, *, as_json: bool, atomic: bool, errors_path: Path | None
) -> None:
    errors = summary.errors[:MAX_REPORTED_ERRORS]
    document = {
        "created": summary.created,
        "updated": summary.updated,
        "failed": summary.failed,
        "written": not (atomic and summary.failed),
        "error_count": summary.error_count,
        "errors_file": None if errors_path is None else str(errors_path),
        "ignored_columns": list(summary.ignored_columns),
        "stopped_at_line": summary.stopped_at,
        "errors": [
            {
                "line": error.line,
                "column": error.column,
                "field": error.field,
                "code": error.code,
                "message": error.message,
            }
            for error in errors
        ],
    }
    lines = [_describe(error) for error in errors]
    more = summary.error_count - len(errors)
    if errors_path is not None and summary.error_count:
        lines.append(f"all {summary.error_count:,} error(s) are in {errors_path}")
    elif more:
        lines.append(f"… and {more:,} more errors; write them all with --errors FILE")
    if summary.stopped_at is not None:
        lines.append(
            f"the import stopped at line {summary.stopped_at}: the batch from there and the "
            "lines after it were not written"
        )
    if summary.ignored_columns:
        lines.append(
            "ignored columns (Tessera maintains them): " + ", ".join(summary.ignored_columns)
        )
    verdict = (
        "nothing written (--atomic)"
        if atomic and summary.failed
        else f"created {summary.created:,}, updated {summary.updated:,}"
    )
    emit(
        document,
        as_json=as_json,
        text="\n".join([*lines, f"{verdict}; {summary.failed:,} record(s) failed"]),
    )
    if summary.failed:
        raise typer.Exit(1)


@data_app.command("export")
def export_command(
    tenant: str,
    object_name: str = typer.Argument(..., metavar="OBJECT"),
    output: Path = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output)"
    ),
    fmt: ExportFormat = typer.Option(
        None, "--format", help="csv or jsonl (default: csv when --output ends in .csv, else jsonl)"
    ),
    filter_json: str = typer.Option(None, "--filter", help='Filter JSON, e.g. {"stage": "won"}'),
    labels: bool = typer.Option(False, "--labels", help="Write picklist labels instead of values"),
) -> None:
    """Export an object's records as CSV or JSON Lines, streaming."""
    chosen = fmt or (
        ExportFormat.CSV
        if output is not None and output.suffix.lower() == ".csv"
        else ExportFormat.JSONL
    )
    document = decode_json(filter_json, what="--filter") if filter_json else None
    with cli_engine_context() as engine:
        context = operator_context(engine, tenant)
        # An unknown object is refused before the output file is created.
        transfer_object(context, object_name, right=ObjectRight.READ)
        target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            exported = export_records(
                context,
                object_name,
                target,
                fmt=chosen,
                filter_document=document,
                labels=labels,
            )
        finally:
            if output:
                target.close()
    if output:
        typer.echo(f"exported {exported} record(s) to {output}", err=True)


def _describe(error: LineError) -> str:
    """`line 12: price: expected a number`, `line 3, column 12: NaN is not …`."""
    where = f"line {error.line}" + ("" if error.column is None else f", column {error.column}")
    # A line that did not decode is no record: only its field, if known, is named.
    what = error.field or ("record" if error.column is None else "")
    return f"{where}: {what}: {error.message}" if what else f"{where}: {error.message}"
