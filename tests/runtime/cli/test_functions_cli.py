"""`tessera functions list` and `tessera functions docs`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from engine.expressions.library_docs import render_reference
from engine.extensions import load_extensions
from runtime.cli import app

runner = CliRunner()


def test_list_prints_one_line_per_function() -> None:
    result = runner.invoke(app, ["functions", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(load_extensions().functions)
    assert "ROUND(number, digits=0)\tMath\tRound to `digits` decimal places" in result.output
    assert lines[0].startswith("AND(")


def test_list_as_json() -> None:
    result = runner.invoke(app, ["functions", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    by_name = {row["name"]: row for row in rows}
    assert by_name["DATEDIFF"]["category"] == "Dates"
    assert by_name["DATEDIFF"]["arguments"] == 'start, end, unit="day"'
    assert by_name["DATEDIFF"]["summary"].startswith("The number of whole days")
    assert by_name["TODAY"]["usable"] == "only in defaults, validation rules and conditions"
    assert len(rows) >= 45


def test_docs_prints_the_reference() -> None:
    result = runner.invoke(app, ["functions", "docs"])
    assert result.exit_code == 0, result.output
    assert result.stdout == render_reference(load_extensions())


def test_docs_writes_the_reference_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "expressions.md"
    result = runner.invoke(app, ["functions", "docs", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == render_reference(load_extensions())
