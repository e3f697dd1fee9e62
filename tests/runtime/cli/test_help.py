"""Every command's help shows its flags as plain flags, and export says its default format."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from runtime.cli import app

COMMANDS = [
    ["serve"],
    ["db", "upgrade"],
    ["tenant", "create"],
    ["key", "create"],
    ["data", "import"],
    ["data", "export"],
    ["functions", "list"],
    ["files", "sweep"],
    ["privacy", "export"],
    ["privacy", "erase"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_flag_takes_no_value_in_the_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help " in result.output


def test_export_help_names_its_flags_and_default_format() -> None:
    result = CliRunner().invoke(app, ["data", "export", "--help"], terminal_width=120)
    lines = [line.split() for line in result.output.splitlines()]
    assert ["--labels", "Write", "picklist", "labels", "instead", "of", "values"] in lines
    assert "default: csv when --output ends in .csv, else jsonl" in result.output
