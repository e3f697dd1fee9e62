"""The `tessera` command line."""

from __future__ import annotations

import typer

from runtime.cli.data import data_app
from runtime.cli.functions import functions_app
from runtime.cli.serve import db_app, serve
from runtime.cli.tenants import key_app, tenant_app

app = typer.Typer(help="Tessera: a low-code metadata engine for CRM.", no_args_is_help=True)
app.command("serve")(serve)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(key_app, name="key")
app.add_typer(data_app, name="data")
app.add_typer(functions_app, name="functions")


def main() -> None:
    """Run the CLI."""
    app()


__all__ = ["app", "main"]
