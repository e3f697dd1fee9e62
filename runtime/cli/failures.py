"""Turn every error of a CLI command into one line and a documented exit code.

Commands raise; the root group catches once. Without `--debug` a failure is one line on
standard error (`error: …`), or with `--json` one JSON document on standard output; with
`--debug` the traceback comes first. Exit codes (README.md, "Command line"):

- 0: success
- 1: the command failed (not found, a conflict, a database or file error, rejected lines)
- 2: invalid input or usage
- 69: unavailable: the database cannot be reached, opened or created, or the server's port
  cannot be bound
- 70: an internal error (a bug: run again with --debug and report the traceback)
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from enum import IntEnum
from typing import Any

import typer
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from engine.database import one_line
from engine.errors import DatabaseUnavailable, TesseraError

#: Where `--json` leaves its value for the error report (click shares `meta` across contexts).
JSON_META_KEY = "tessera.json"


class ExitCode(IntEnum):
    """The exit codes of every `tessera` command."""

    OK = 0
    FAILED = 1
    INVALID = 2
    UNAVAILABLE = 69
    INTERNAL_ERROR = 70


class Unavailable(Exception):
    """Something a command needs outside the database cannot be had, such as a port (exit 69)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class ReportingGroup(TyperGroup):
    """The root command: runs a subcommand and reports whatever it raises, once."""

    # `ctx` is typer's click context, whose class typer keeps private (`typer._click`).
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # a deliberate exit, or a usage error that typer reports itself
        except BrokenPipeError:
            # Whoever read the output stopped (`| head`): nobody is left to tell. Point
            # standard output at /dev/null so the interpreter's last flush stays quiet.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(ExitCode.FAILED)
        except Exception as exc:
            if ctx.params.get("debug"):
                traceback.print_exception(exc)
            ctx.exit(report(exc, as_json=bool(ctx.meta.get(JSON_META_KEY))))


def report(error: Exception, *, as_json: bool) -> ExitCode:
    """Print `error` as one line (or one JSON document) and return the exit code it means."""
    code, slug, detail, problems = _describe(error)
    if as_json:
        document = {"error": slug, "detail": detail, "errors": problems}
        typer.echo(json.dumps(document, ensure_ascii=False))
    else:
        # A problem the detail already says (a one-problem error) is not said twice.
        located = "; ".join(
            f"{p['pointer'] or '/'}: {p['message']}" for p in problems if p["message"] not in detail
        )
        typer.echo(f"error: {detail}" + (f" ({located})" if located else ""), err=True)
    return code


def _describe(error: Exception) -> tuple[ExitCode, str, str, list[dict[str, str]]]:
    if isinstance(error, TesseraError):
        if isinstance(error, DatabaseUnavailable):
            code = ExitCode.UNAVAILABLE
        elif error.status in (400, 422):
            code = ExitCode.INVALID
        else:
            code = ExitCode.FAILED
        return code, error.code, error.detail, [p.as_dict() for p in error.problems]
    if isinstance(error, Unavailable):
        return ExitCode.UNAVAILABLE, error.code, error.detail, []
    if isinstance(error, ValidationError) and error.title == "Settings":
        return ExitCode.INVALID, "invalid-settings", _settings_problems(error), []
    if isinstance(error, DBAPIError):
        return ExitCode.FAILED, "database-error", f"the database failed: {one_line(error)}", []
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return ExitCode.FAILED, "os-error", f"{error.strerror or error}{where}", []
    summary = " ".join(f"{type(error).__name__}: {error}".split())
    detail = f"internal error ({summary}); run again with --debug for the traceback"
    return ExitCode.INTERNAL_ERROR, "internal-error", detail, []


def _settings_problems(error: ValidationError) -> str:
    """Name each bad setting by its environment variable: `TESSERA_PORT: …`."""
    problems = [
        f"TESSERA_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
        for item in error.errors()
    ]
    return "invalid settings: " + "; ".join(problems)
