"""The root `tessera` command: its subcommands, its global options and its entry point."""

from __future__ import annotations

import typer

from runtime.cli.data import data_app
from runtime.cli.failures import ReportingGroup
from runtime.cli.files import files_app
from runtime.cli.functions import functions_app
from runtime.cli.output import HELP_MARKUP
from runtime.cli.privacy import privacy_app
from runtime.cli.serve import db_app, serve
from runtime.cli.tenants import key_app, tenant_app
from runtime.cli.users import user_app

app = typer.Typer(
    cls=ReportingGroup,
    help="Tessera: a low-code metadata engine for CRM.",
    no_args_is_help=True,
    # Errors are reported by ReportingGroup; --debug prints a plain traceback, and rich's
    # would also print local variables (a database URL's password among them).
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_MARKUP,
)
app.command("serve")(serve)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(key_app, name="key")
app.add_typer(user_app, name="user")
app.add_typer(data_app, name="data")
app.add_typer(files_app, name="files")
app.add_typer(functions_app, name="functions")
app.add_typer(privacy_app, name="privacy")


@app.callback()
def global_options(
    debug: bool = typer.Option(
        False, "--debug", help="On an error, print the traceback before the one-line message"
    ),
) -> None:
    """Tessera: a low-code metadata engine for CRM."""
    # `debug` is read by ReportingGroup from the root context's parameters.


def main() -> None:
    """Run the CLI."""
    app()
