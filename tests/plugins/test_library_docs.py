"""docs/expressions.md is generated from the library and must be current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.expressions.kinds import Kind
from engine.expressions.library_docs import CATEGORY_ORDER, render_reference, signature_text
from engine.extensions import Example, Registry, library_function, load_extensions

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "expressions.md"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_extensions()


def test_the_committed_reference_is_current(registry: Registry) -> None:
    expected = render_reference(registry)
    actual = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
    assert actual == expected, "docs/expressions.md is out of date: run `make docs`"


def test_the_reference_is_deterministic(registry: Registry) -> None:
    assert render_reference(registry) == render_reference(load_extensions())


def test_the_library_is_complete_and_documented(registry: Registry) -> None:
    assert len(registry.functions) >= 45
    for function in registry.functions.values():
        assert function.summary, function.name
        assert function.description, function.name
        assert len(function.examples) >= 2, function.name
        assert function.category in CATEGORY_ORDER, function.name


def test_every_category_has_a_section_in_order(registry: Registry) -> None:
    reference = render_reference(registry)
    positions = [reference.index(f"\n## {category}\n") for category in CATEGORY_ORDER]
    assert positions == sorted(positions)


def test_headings_show_parameters_without_the_context(registry: Registry) -> None:
    reference = render_reference(registry)
    assert "### ROUND(number, digits=0)\n" in reference
    assert '### LPAD(text, length, pad=" ")\n' in reference
    assert '### DATEDIFF(start, end, unit="day")\n' in reference
    assert "### CASE(value, match, result, *more)\n" in reference
    assert "### ISCHANGED(field)\n" in reference
    assert "### TODAY()\n" in reference


def test_usages_and_examples_are_rendered(registry: Registry) -> None:
    reference = render_reference(registry)
    today = reference[reference.index("### TODAY()") :]
    assert "Usable only in defaults, validation rules and conditions." in today
    assert "| `TODAY()` | — | `2026-03-15` |" in today
    assert "| `LEN(name)` | `name = None` | `0` |" in reference
    assert "`amount = 200.00`; before: `amount = 100.00`" in reference


@library_function(
    category="Acme",
    returns=Kind.TEXT,
    examples=[Example("PIPE('a|b')", "a|b"), ("PIPE(x)", None, {"x": None})],
)
def PIPE(text: Any, *rest: Any) -> Any:
    """Return the text."""
    return text


class AcmePlugin:
    def register(self, registry: Registry) -> None:
        registry.add_function(PIPE)


def test_other_plugins_follow_with_their_own_categories() -> None:
    registry = load_extensions([("tessera", _builtin()), ("acme", AcmePlugin())])
    reference = render_reference(registry)
    assert reference.index("## Cross-object") < reference.index("## Acme")
    # A pipe inside a cell must not end it.
    assert "| `PIPE('a\\|b')` | — | `\"a\\|b\"` |" in reference
    assert signature_text(registry.functions["PIPE"]) == "text, *rest"
    assert "Returns text. Usable anywhere." in reference


def _builtin() -> Any:
    from plugins.functions import plugin

    return plugin
