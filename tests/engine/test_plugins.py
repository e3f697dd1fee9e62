"""A third-party plugin installed as a real distribution adds functions expressions can call."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine import metadata_changes, records
from engine.catalog import CatalogCache
from engine.context import EngineContext
from engine.errors import MetadataError
from engine.expressions import EvaluationContext, ExpressionCompiler, Kind
from engine.extensions import DuplicateFunction, load_extensions
from metadata.models import FieldDef, ObjectDef
from tests.conftest import drop_tenant_schema, make_tenant
from tests.plugins import make_context

BUILT_IN_COUNT = 54
TINY_ORIGIN = "plugin tiny (tessera_tiny_plugin:plugin)"
BUILT_IN_ORIGIN = "plugin tessera (plugins.functions:plugin)"

PLUGIN_SOURCE = '''\
"""A tiny third-party Tessera plugin."""

from engine.expressions.kinds import Kind
from engine.extensions import library_function


@library_function(category="Text", returns=Kind.TEXT, examples=[("{name}('hey')", "HEY!")])
def {name}(text):
    """The text in upper case, with an exclamation mark.

    Blank text gives blank.
    """
    return None if text is None else text.upper() + "!"


class TinyPlugin:
    def register(self, registry):
        registry.add_function({name})


plugin = TinyPlugin()
'''


def write_distribution(
    site: Path, package: str, entry_point: str, *, function_name: str = "SHOUT"
) -> None:
    """Write `package` and its dist-info into `site`, the layout `pip install` leaves."""
    (site / package).mkdir(parents=True)
    source = PLUGIN_SOURCE.replace("{name}", function_name)
    (site / package / "__init__.py").write_text(source, encoding="utf-8")
    dist_info = site / f"{package}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist_info / "RECORD").write_text("", encoding="utf-8")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent(
            f"""\
            [tessera.plugins]
            {entry_point} = {package}:plugin
            """
        ),
        encoding="utf-8",
    )


Install = Callable[..., None]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """Install plugin distributions into a fresh site directory on sys.path."""
    site = tmp_path / "site-packages"
    site.mkdir()
    installed: list[str] = []

    def install(package: str, entry_point: str, *, function_name: str = "SHOUT") -> None:
        write_distribution(site, package, entry_point, function_name=function_name)
        installed.append(package)
        importlib.invalidate_caches()

    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield install
    for package in installed:
        sys.modules.pop(package, None)
    importlib.invalidate_caches()


def test_an_installed_plugin_adds_its_function_next_to_the_built_ins(install: Install) -> None:
    before = load_extensions()
    install("tessera_tiny_plugin", "tiny")
    registry = load_extensions()
    assert len(before.functions) == BUILT_IN_COUNT
    assert set(registry.functions) == {*before.functions, "SHOUT"}
    assert registry.origin("SHOUT") == TINY_ORIGIN
    assert registry.origin("UPPER") == BUILT_IN_ORIGIN
    shout = registry.functions["SHOUT"]
    assert (shout.category, shout.returns, shout.minimum, shout.maximum) == (
        "Text",
        Kind.TEXT,
        1,
        1,
    )
    assert shout.summary == "The text in upper case, with an exclamation mark."
    assert len(shout.examples) == 1


def test_the_plugin_example_runs_through_the_compiler(install: Install) -> None:
    install("tessera_tiny_plugin", "tiny")
    registry = load_extensions()
    compiler = ExpressionCompiler(registry.functions)
    (example,) = registry.functions["SHOUT"].examples
    context: EvaluationContext = make_context()
    assert compiler.evaluate_example(example, context) == example.result == "HEY!"
    assert compiler.compile("SHOUT(UPPER(name))").evaluate({"name": "ada"}) == "ADA!"


def test_two_plugins_defining_one_function_name_name_both_plugins(install: Install) -> None:
    install("tessera_tiny_plugin", "tiny")
    install("tessera_echo_plugin", "echo")
    with pytest.raises(DuplicateFunction) as error:
        load_extensions()
    message = str(error.value)
    assert "function SHOUT" in message
    assert "plugin echo (tessera_echo_plugin:plugin)" in message
    assert TINY_ORIGIN in message


def test_a_plugin_redefining_a_built_in_names_both_plugins(install: Install) -> None:
    install("tessera_tiny_plugin", "tiny", function_name="UPPER")
    with pytest.raises(DuplicateFunction) as error:
        load_extensions()
    message = str(error.value)
    assert "function UPPER" in message
    assert TINY_ORIGIN in message
    assert BUILT_IN_ORIGIN in message


def _lead(expression: str) -> ObjectDef:
    return ObjectDef(
        api_name="lead",
        fields=[
            FieldDef(api_name="name", type="text"),
            FieldDef(api_name="shouted", type="formula", return_type="text", expression=expression),
        ],
    )


def test_a_formula_calling_the_plugin_function_computes_records(
    install: Install, engine_context: EngineContext
) -> None:
    install("tessera_tiny_plugin", "tiny")
    context = EngineContext(
        db=engine_context.db,
        catalogs=CatalogCache(compiler=ExpressionCompiler(load_extensions().functions)),
    )
    tenant = make_tenant(context)
    try:
        metadata_changes.create_object(tenant.context(), _lead("SHOUT(name)"))
        created = records.create_record(tenant.context(), "lead", {"name": "hello"})
        assert created["shouted"] == "HELLO!"
        stored = records.get_record(tenant.context(), "lead", created["id"])
        assert (stored["name"], stored["shouted"]) == ("hello", "HELLO!")
    finally:
        drop_tenant_schema(context, tenant.name)


def test_without_the_plugin_saving_the_formula_is_refused(
    engine_context: EngineContext,
) -> None:
    tenant = make_tenant(engine_context)
    try:
        with pytest.raises(MetadataError) as error:
            metadata_changes.create_object(tenant.context(), _lead("SHOUT(name)"))
        details = [problem.detail for problem in error.value.problems]
        assert any("unknown function SHOUT" in detail for detail in details), details
        assert metadata_changes.list_objects(tenant.context()) == []
    finally:
        drop_tenant_schema(engine_context, tenant.name)
