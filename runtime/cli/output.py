"""How CLI commands report: human text, or one JSON document with --json."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from engine.errors import TesseraError

JsonOption = typer.Option(False, "--json", help="Print one JSON document for machines")


def emit(document: Any, *, as_json: bool, text: str) -> None:
    """Print `document` as JSON, or `text` for people."""
    if as_json:
        typer.echo(json.dumps(document, default=str, ensure_ascii=False))
    else:
        typer.echo(text)


def fail(error: TesseraError, *, as_json: bool) -> None:
    """Report an engine error and exit with status 1 (2 for bad input)."""
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "error": error.code,
                    "detail": error.detail,
                    "errors": [problem.as_dict() for problem in error.problems],
                }
            )
        )
    else:
        typer.echo(f"error: {error.detail}", err=True)
        for problem in error.problems:
            typer.echo(f"  {problem.pointer}: {problem.detail}", err=True)
    sys.exit(2 if error.status in (400, 422) else 1)
