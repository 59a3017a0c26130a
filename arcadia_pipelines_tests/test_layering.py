"""The package's floors, read from its own imports (those inside functions too): no import cycle,
and no arrow from a lower floor to a higher one.

billing/ and digitalocean/ import nothing of ours; warehouse/ imports only billing/; invoicing/
(the invoice lifecycle services) only billing/ and warehouse/; monthend/ none of defs/, api/,
documents/, cli/ and never Dagster; defs/, api/, documents/, cli/ and the rest sit on top.
Only warehouse/dialect.py asks which database it is (`dialect.name`).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

import arcadia_pipelines

ROOT = Path(arcadia_pipelines.__file__).parent
PACKAGE = "arcadia_pipelines"

# floor -> the floors it may import besides itself; a floor not named here sits on top
MAY_IMPORT = {
    "billing": set(),
    "digitalocean": set(),
    "warehouse": {"billing"},
    "invoicing": {"billing", "warehouse"},
    "monthend": {"billing", "digitalocean", "warehouse", "invoicing"},
}
NO_DAGSTER = set(MAY_IMPORT)  # Dagster lives in defs/ and above
DIALECT_ADAPTER = f"{PACKAGE}.warehouse.dialect"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


@cache
def _tree(module: str) -> ast.Module:
    path = _modules()[module]
    return ast.parse(path.read_text(), str(path))


def _is_package(module: str) -> bool:
    return _modules()[module].name == "__init__.py"


def _imported(module: str) -> set[str]:
    return _imports_in(_tree(module), module, _is_package(module))


def _imports_in(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """Every module imported anywhere in `tree` (the text of `module`): top-level names of other
    distributions, our own modules by their full name."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            source = node.module
            if node.level:
                base = module.split(".")[:len(module.split(".")) - node.level + is_package]
                source = ".".join(base + ([node.module] if node.module else []))
            # `from package import module` imports the module; `from module import name` the module
            names |= {f"{source}.{a.name}" if f"{source}.{a.name}" in _modules() else source for a in node.names}
    return {n if n.split(".")[0] == PACKAGE else n.split(".")[0] for n in names}


def _ours(module: str) -> set[str]:
    """Our modules that `module` imports (the deepest of each dotted name that is one of ours)."""
    found = set()
    for name in _imported(module):
        parts = name.split(".")
        while parts and ".".join(parts) not in _modules():
            parts.pop()
        if parts and ".".join(parts) != module:
            found.add(".".join(parts))
    return found


def _floor(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_floor_imports_a_floor_above_it():
    upward = sorted(f"{m} imports {o}" for m in _modules() if _floor(m) in MAY_IMPORT for o in _ours(m)
                    if _floor(o) != _floor(m) and _floor(o) not in MAY_IMPORT[_floor(m)])
    assert upward == []


def test_dagster_stays_in_defs_and_above():
    found = sorted(f"{m} imports {n}" for m in _modules() if _floor(m) in NO_DAGSTER
                   for n in _imported(m) if n.split(".")[0].startswith("dagster"))
    assert found == []


def test_no_import_cycle():
    graph = {m: _ours(m) for m in _modules()}
    cycles = [sorted(c) for c in _strongly_connected(graph) if len(c) > 1]
    assert cycles == []


def test_only_the_dialect_adapter_asks_which_database_it_is():
    asking = sorted(f"{_modules()[m].relative_to(ROOT.parent)}:{node.lineno}" for m in _modules()
                    if m != DIALECT_ADAPTER for node in ast.walk(_tree(m))
                    if isinstance(node, ast.Attribute) and node.attr == "name" and _is_dialect(node.value))
    assert asking == []


def _is_dialect(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "dialect") or (
        isinstance(node, ast.Name) and node.id == "dialect")


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (the graph has a few hundred modules)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    found.append(component)
    return found


@pytest.mark.parametrize("source, imported", [
    ("from .schema import metadata", f"{PACKAGE}.warehouse.schema"),
    ("from . import schema", f"{PACKAGE}.warehouse.schema"),
    ("from ..billing.money import exact", f"{PACKAGE}.billing.money"),
    ("import arcadia_pipelines.api.app", f"{PACKAGE}.api.app"),
    ("def f():\n    from dagster import asset", "dagster"),
])
def test_the_reader_sees_relative_and_function_level_imports(source, imported):
    """The rules above are only as good as the reader of imports they stand on."""
    assert imported in _imports_in(ast.parse(source), f"{PACKAGE}.warehouse.reads", is_package=False)
