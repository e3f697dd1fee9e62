"""`tessera data import|export`: stream large CSV or JSON Lines files through the engine."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from engine.budget import RequestBudget
from engine.context import EngineContext, RequestContext
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
)
from engine.tenancy import get_tenant
from runtime.cli.context import cli_engine_context
from runtime.cli.output import JsonOption, emit

data_app = typer.Typer(help="Import and export records.", no_args_is_help=True)

MAX_REPORTED_ERRORS = 1000


class _CountingReader(io.RawIOBase):
    """A binary file that reports how many bytes have been read (for the progress bar)."""

    def __init__(self, raw: IO[bytes], progress: Progress, task: Any) -> None:
        self._raw = raw
        self._progress = progress
        self._task = task

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self._progress.update(self._task, advance=len(data))
        return len(data)


def _rows(path: Path, text: IO[str]) -> Iterator[Row]:
    """Yield (line number, record) from a CSV or JSON Lines file, one line at a time."""
    if path.suffix.lower() != ".csv":
        yield from read_json_lines(text)
        return
    reader = csv.DictReader(text)
    for row in reader:
        yield reader.line_num, dict(row)


def _operator_context(engine: EngineContext, tenant: str) -> RequestContext:
    """The context of an operator's import or export: no tenant's request, so no limits."""
    return RequestContext(
        engine=engine,
        tenant=get_tenant(engine, tenant),
        actor="cli",
        budget=RequestBudget.unlimited(),
    )


@data_app.command("import")
def import_command(
    tenant: str,
    object_name: str = typer.Argument(..., metavar="OBJECT"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .csv or .jsonl file"),
    upsert_on: str = typer.Option(None, help="A unique field: update the records that match it"),
    atomic: bool = typer.Option(False, "--atomic", help="All or nothing: any error writes nothing"),
    batch_size: int = typer.Option(2000, min=1, max=10_000, help="Records per transaction"),
    as_json: bool = JsonOption,
) -> None:
    """Import records from CSV (header row of field names) or JSON Lines, streaming."""
    if file.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
        raise InvalidRequest("the file must end in .csv, .jsonl or .ndjson")
    with cli_engine_context() as engine:
        context = _operator_context(engine, tenant)
        with (
            Progress(
                TextColumn("importing"),
                BarColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                disable=as_json or not sys.stderr.isatty(),
                transient=True,
            ) as progress,
            file.open("rb") as raw,
        ):
            task = progress.add_task("import", total=file.stat().st_size)
            text = io.TextIOWrapper(
                io.BufferedReader(_CountingReader(raw, progress, task)),
                encoding="utf-8-sig",
                newline="",
            )
            summary = import_batches(
                context,
                object_name,
                _rows(file, text),
                from_text=file.suffix.lower() == ".csv",
                upsert_on=upsert_on,
                is_atomic=atomic,
                batch_size=batch_size,
            )
    _report(summary, as_json=as_json, atomic=atomic)


def _report(summary: ImportSummary, *, as_json: bool, atomic: bool) -> None:
    errors = summary.errors[:MAX_REPORTED_ERRORS]
    document = {
        "created": summary.created,
        "updated": summary.updated,
        "failed": summary.failed,
        "written": not (atomic and summary.failed),
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
    verdict = (
        "nothing written (--atomic)"
        if atomic and summary.failed
        else f"created {summary.created}, updated {summary.updated}"
    )
    emit(
        document,
        as_json=as_json,
        text="\n".join([*lines, f"{verdict}; {summary.failed} record(s) failed"]),
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
        None, "--format", help="csv or jsonl (default: from --output, else jsonl)"
    ),
    filter_json: str = typer.Option(None, "--filter", help='Filter JSON, e.g. {"stage": "won"}'),
) -> None:
    """Export an object's records as CSV or JSON Lines, streaming."""
    chosen = fmt or (
        ExportFormat.CSV
        if output is not None and output.suffix.lower() == ".csv"
        else ExportFormat.JSONL
    )
    document = decode_json(filter_json, what="--filter") if filter_json else None
    with cli_engine_context() as engine:
        context = _operator_context(engine, tenant)
        target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            exported = export_records(
                context, object_name, target, fmt=chosen, filter_document=document
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
