"""How CLI commands report: human text, or one JSON document with --json."""

from __future__ import annotations

import json
from typing import Any

import typer

from runtime.cli.failures import JSON_META_KEY


def _remember_json(ctx: typer.Context, value: bool) -> bool:
    # An error is reported by the root command, which needs to know how to print it.
    ctx.meta[JSON_META_KEY] = value
    return value


JsonOption = typer.Option(
    False, "--json", help="Print one JSON document for machines", callback=_remember_json
)


def emit(document: Any, *, as_json: bool, text: str) -> None:
    """Print `document` as JSON, or `text` for people."""
    if as_json:
        typer.echo(json.dumps(document, default=str, ensure_ascii=False))
    else:
        typer.echo(text)
