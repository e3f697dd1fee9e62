"""`tessera files sweep`: remove the blobs of a tenant's file store that no record refers to."""

from __future__ import annotations

from datetime import timedelta

import typer

from engine.errors import FileStorageFailed
from engine.files import StorageUnavailable
from engine.records.file_sweep import DEFAULT_GRACE, sweep_files
from runtime.cli.context import cli_engine_context, operator_context
from runtime.cli.output import JsonOption, command_group, emit

files_app = command_group("The file store of file fields.")


@files_app.command("sweep")
def files_sweep(
    tenant: str,
    grace_minutes: int = typer.Option(
        int(DEFAULT_GRACE.total_seconds() // 60),
        "--grace-minutes",
        min=0,
        help="Keep unreferenced blobs younger than this (uploads being attached)",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would go; remove nothing"),
    as_json: bool = JsonOption,
) -> None:
    """Remove the tenant's stored files that no record refers to (orphans)."""
    with cli_engine_context() as engine:
        context = operator_context(engine, tenant)
        try:
            result = sweep_files(context, grace=timedelta(minutes=grace_minutes), dry_run=dry_run)
        except StorageUnavailable as exc:
            raise FileStorageFailed(f"the file store failed: {exc}") from exc
    verb = "would remove" if dry_run else "removed"
    emit(
        result.as_dict(),
        as_json=as_json,
        text=(
            f"{verb} {len(result.removed)} of {result.blobs} blob(s) of tenant {tenant} "
            f"({result.referenced} referenced, {result.recent} younger than "
            f"{grace_minutes} minutes)"
        ),
    )
