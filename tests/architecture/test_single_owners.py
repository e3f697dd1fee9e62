"""Checks of a save that live in one module each, so that no second copy drifts apart.

The required-field check is `engine/records/required_fields.py`, run by the save
pipeline only, and the one place that reports a field's missing value; auto-numbers are
drawn by the pipeline only (`SavePipeline.number`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "metadata", "runtime", "plugins")


def _trees() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _code_argument(call: ast.Call) -> ast.expr | None:
    if len(call.args) > 1:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "code"), None)


def _modules_calling(names: set[str]) -> set[str]:
    return {
        module
        for module, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node) in names
    }


def test_only_the_required_check_reports_a_missing_value() -> None:
    """Problems coded `required` name the code REQUIRED, in the modules that may use it."""
    spelled: set[str] = set()
    named: set[str] = set()
    for module, tree in _trees():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _called_name(node) == "Problem"):
                continue
            code = _code_argument(node)
            if isinstance(code, ast.Constant) and code.value == "required":
                spelled.add(module)
            elif isinstance(code, ast.Name) and code.id == "REQUIRED":
                named.add(module)
    assert spelled == set()
    # Besides the check, only an upsert's key, needed in the body to match a stored record.
    assert named == {"engine/records/required_fields.py", "engine/records/bulk.py"}


def test_only_the_save_pipeline_runs_the_required_check() -> None:
    assert _modules_calling({"find_missing_required"}) == {"engine/records/pipeline.py"}


def test_only_the_save_pipeline_draws_auto_numbers() -> None:
    callers = _modules_calling({"advance_counter"})
    assert callers - {"engine/records/auto_number.py"} == {"engine/records/pipeline.py"}
