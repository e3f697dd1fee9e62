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


#: Help and usage errors in plain text: typer's boxed (rich) help gives every flag a
#: `<bool>` value it does not take, as if `--labels` needed `--labels true`.
HELP_MARKUP = None


def command_group(help: str) -> typer.Typer:
    """A group of subcommands (`tessera data …`) that shows its help when run bare."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=HELP_MARKUP)


JsonOption = typer.Option(
    False, "--json", help="Print one JSON document for machines", callback=_remember_json
)


def emit(document: Any, *, as_json: bool, text: str) -> None:
    """Print `document` as JSON, or `text` for people."""
    if as_json:
        typer.echo(json.dumps(document, default=str, ensure_ascii=False))
    else:
        typer.echo(text)
