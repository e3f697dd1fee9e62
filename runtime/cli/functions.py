"""`tessera functions list|docs`: the expression functions installed, and their reference."""

from __future__ import annotations

from pathlib import Path

import typer

from engine.expressions.library_docs import (
    CATEGORY_ORDER,
    render_reference,
    signature_text,
    usage_text,
)
from engine.extensions import LibraryFunction, load_extensions
from runtime.cli.output import JsonOption, command_group, emit

functions_app = command_group("List the expression functions and write their reference.")


def _listing_order(function: LibraryFunction) -> tuple[int, str, str]:
    # The categories of docs/expressions.md first, in its order; other plugins' after.
    known = function.category in CATEGORY_ORDER
    position = CATEGORY_ORDER.index(function.category) if known else len(CATEGORY_ORDER)
    return position, function.category, function.name


@functions_app.command("list")
def functions_list(as_json: bool = JsonOption) -> None:
    """List every installed function with its category, arguments and summary."""
    registry = load_extensions()
    rows = [
        {
            "name": function.name,
            "category": function.category,
            "arguments": signature_text(function),
            "summary": function.summary,
            "usable": usage_text(function.usages),
            "plugin": registry.origin(function.name),
        }
        for function in sorted(registry.functions.values(), key=_listing_order)
    ]
    text = "\n".join(
        f"{row['name']}({row['arguments']})\t{row['category']}\t{row['summary']}" for row in rows
    )
    emit(rows, as_json=as_json, text=text or "no functions")


@functions_app.command("docs")
def functions_docs(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the Markdown here instead of printing it"
    ),
) -> None:
    """Render docs/expressions.md, the reference of the expression language."""
    reference = render_reference(load_extensions())
    if output is None:
        typer.echo(reference, nl=False)
        return
    output.write_text(reference, encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)
