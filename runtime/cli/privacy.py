"""`tessera privacy export|erase`: a data subject's requests (PIPL / GDPR), from the operator."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer

from engine.errors import InvalidRequest
from engine.privacy import erase_subject, export_subject
from runtime.cli.context import cli_engine_context, operator_context
from runtime.cli.output import JsonOption, command_group, emit

privacy_app = command_group("Export or erase a data subject's personal data (PIPL / GDPR).")

_OBJECT = typer.Argument(..., metavar="OBJECT", help="The object of the subject's record")
_ID = typer.Argument(..., metavar="ID", help="The id of the subject's record")


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner alone: it is personal data."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


@privacy_app.command("export")
def privacy_export(
    tenant: str,
    object_name: str = _OBJECT,
    record_id: str = _ID,
    out: Path = typer.Option(
        None, "--out", help="File to write (mode 0600; default: standard output)"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Export a subject's record, every record referring to it, and their field history.

    The export is one JSON document; it is recorded in the audit log (privacy.export).
    """
    with cli_engine_context() as engine:
        document = export_subject(operator_context(engine, tenant), object_name, record_id)
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    if out is None:
        typer.echo(text)
        return
    _write_private(out, text + "\n")
    count = len(document["records"])
    emit(
        {"out": str(out), "records": count},
        as_json=as_json,
        text=f"exported {count} record(s) to {out}",
    )


@privacy_app.command("erase")
def privacy_erase(
    tenant: str,
    object_name: str = _OBJECT,
    record_id: str = _ID,
    yes: bool = typer.Option(False, "--yes", help="Erase without asking first"),
    as_json: bool = JsonOption,
) -> None:
    """Empty every pii field of a subject's record and of the records referring to it.

    Their field history keeps who changed what when, without the values. All or nothing;
    recorded in the audit log (privacy.erase). Erasing again changes nothing. An object
    with no pii fields is refused (exit 2). docs/audit.md says what is not erased.
    """
    with cli_engine_context() as engine:
        context = operator_context(engine, tenant)
        if not yes:
            # The id, the object's pii fields and the record are checked before asking.
            planned = erase_subject(context, object_name, record_id, dry_run=True)
            if not sys.stdin.isatty():
                raise InvalidRequest(
                    "erasing cannot be undone: pass --yes to erase without a prompt"
                )
            typer.confirm(
                f"Erase the personal data of {len(planned.records)} record(s) of "
                f"{planned.subject} in {tenant}? This cannot be undone",
                abort=True,
            )
        outcome = erase_subject(context, object_name, record_id)
    lines = [
        f"{record.object} {record.id}: " + (", ".join(record.fields) or "history only")
        for record in outcome.records
    ]
    summary = (
        f"erased {len(outcome.records)} record(s) of {outcome.subject}, "
        f"cleared {outcome.history_rows} history value(s)"
        if outcome.records
        else f"nothing left to erase of {outcome.subject}: its pii fields and their history "
        "hold no personal data (erased before, or never filled); nothing was changed"
    )
    emit(outcome.as_dict(), as_json=as_json, text="\n".join([summary, *lines]))
