"""The architecture as import rules: each package of app/ may import only what is below it.

The rules read every module's imports from its source (including imports made only for type
checking), so an arrow pointing up fails here before it reaches a reader of the code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

# (who, what it must not import, why). A name covers the module and everything inside it.
FORBIDDEN: list[tuple[str, tuple[str, ...], str]] = [
    ("app.core", ("PySide6", "shiboken6", "app.gui", "app.cli", "app.main"),
     "the core serves the window and the command line; it never imports them or Qt"),
    ("app.core.marc", ("app.core.export", "app.core.net", "app.core.settings",
                       "app.core.store", "app.core.validation", "app.core.paths"),
     "MARC records are the bottom of the core"),
    ("app.core.validation", ("app.core.export", "app.core.net", "app.core.settings"),
     "validation judges records; it does not know where they go"),
    ("app.core.settings", ("app.core.export", "app.core.net", "app.core.store",
                           "app.core.sources"),
     "settings describe a run; they never depend on the run"),
    ("app.core.net", ("app.core.export", "app.core.store", "app.core.settings"),
     "the wire carries bytes; the export run decides what and where"),
    ("app.core.store", ("app.core.export", "app.core.net", "app.core.settings",
                        "app.core.sources"),
     "the save file keeps records; it does not send them"),
    ("app.core.sources", ("app.core.export", "app.core.net", "app.core.store",
                          "app.core.validation"),
     "sources bring records in: the caller stores them, the export run sends them"),
    ("app.cli", ("PySide6", "app.gui"), "the command line works without a display"),
]  # fmt: skip
LEAVES = ("app.core.errors", "app.core.atomicfile", "app.core.resources")


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in APP.rglob("*.py")}


@cache
def imports_of(module: str) -> frozenset[str]:
    return imports_in(modules()[module].read_text(encoding="utf-8"), module)


def imports_in(source: str, module: str) -> frozenset[str]:
    """Every module ``source`` names in an import statement, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{module}: use absolute imports"
            found.add(node.module)
            # ``from app.core import paths`` imports the module app.core.paths.
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in modules()
            )
    return frozenset(found)


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(
    package: str, forbidden: tuple[str, ...], imports: Callable[[str], frozenset[str]] = imports_of
) -> Iterator[str]:
    for module in sorted(modules()):
        if within(module, package):
            for target in sorted(imports(module)):
                if any(within(target, bad) for bad in forbidden):
                    yield f"{module} imports {target}"


@pytest.mark.parametrize(("package", "forbidden", "why"), FORBIDDEN, ids=[r[0] for r in FORBIDDEN])
def test_no_import_points_up(package: str, forbidden: tuple[str, ...], why: str) -> None:
    assert list(violations(package, forbidden)) == [], why


def test_leaf_modules_import_nothing_of_the_app_but_errors() -> None:
    found = [
        f"{leaf} imports {target}"
        for leaf in LEAVES
        for target in imports_of(leaf)
        if within(target, "app") and target != "app.core.errors"
    ]
    assert found == []


def test_no_two_modules_import_each_other_even_through_others() -> None:
    """No import cycle of any length (Tarjan's strongly connected components)."""
    graph = {m: {t for t in imports_of(m) if t in modules() and t != m} for m in modules()}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for target in graph[node]:
            if target not in order:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], order[target])
        if low[node] == order[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    assert cycles == []


def test_the_rules_see_an_arrow_that_points_up() -> None:
    """The checker itself: settings importing the export run, even for typing only, is caught."""
    options = "app.core.settings.options"
    source = modules()[options].read_text(encoding="utf-8")
    source += "\nif TYPE_CHECKING:\n    from app.core.export import run\n"

    def imports(module: str) -> frozenset[str]:
        return imports_in(source, module) if module == options else imports_of(module)

    found = list(violations("app.core.settings", ("app.core.export",), imports))
    assert found == [f"{options} imports app.core.export", f"{options} imports app.core.export.run"]
