"""The import graph follows the layers of docs/design.md and has no cycles."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "metadata", "runtime", "plugins")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_time_nodes(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements that run on import: not function bodies, not `if TYPE_CHECKING:` blocks."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                pending.append(child)


def _imported(node: ast.stmt, modules: set[str]) -> set[str]:
    """The project modules `node` imports, with the packages whose `__init__` runs first."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    found: set[str] = set()
    for name in names:
        parts = name.split(".")
        found.update(
            prefix for i in range(1, len(parts) + 1) if (prefix := ".".join(parts[:i])) in modules
        )
    return found


def _import_graph() -> dict[str, set[str]]:
    paths = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    modules = {_module_name(path) for path in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        name = _module_name(path)
        tree = ast.parse(path.read_text())
        targets: set[str] = set()
        for node in _import_time_nodes(tree):
            targets |= _imported(node, modules)
        # A module's own packages are being imported already when it runs.
        graph[name] = {t for t in targets if not name.startswith(f"{t}.") and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_a_cycle() -> None:
    assert _cycles(_import_graph()) == []


def test_imports_point_down_the_layers() -> None:
    allowed_below = {
        "metadata": {"metadata"},
        "engine": {"engine", "metadata"},
        "plugins": {"engine.extensions", "plugins"},
        "runtime": {"runtime", "engine", "metadata", "migrations"},
    }
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in _import_graph().items()
        for target in targets
        if not any(
            target == allowed
            or target.startswith(f"{allowed}.")
            or allowed.startswith(f"{target}.")  # the packages an allowed module runs in
            for allowed in allowed_below[module.split(".")[0]]
        )
    )
    assert wrong == []


def test_rules_never_import_metadata_changes() -> None:
    """Metadata changes recompute through the rules engine, never the other way round."""
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in _import_graph().items()
        if module.startswith("engine.rules")
        for target in targets
        if target.startswith("engine.metadata_changes")
    )
    assert wrong == []
