"""What the installed package imports is what pyproject.toml declares, and nothing from `dev`."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "arcadia_pipelines"


def _names(requirements: list[str]) -> set[str]:
    return {re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", r).group()).lower() for r in requirements}


def _imported_top_levels() -> dict[str, set[str]]:
    """Top-level module -> the package files importing it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                found.setdefault(module.split(".")[0], set()).add(str(path.relative_to(REPO)))
    return found


def test_every_third_party_import_is_a_declared_dependency_and_none_is_dev_only():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # A production extra (k8s, celery) counts: its modules load only when ARCADIA_STEP_EXECUTOR asks for
    # it, and say which extra to install when it is missing (test_step_executors.py); `dev` never counts.
    extras = project["optional-dependencies"]
    runtime = _names(project["dependencies"] + [r for name, reqs in extras.items() if name != "dev" for r in reqs])
    dev = _names(extras["dev"])
    distributions = packages_distributions()
    undeclared, dev_only = {}, {}
    for module, importers in _imported_top_levels().items():
        if module in sys.stdlib_module_names or module == "arcadia_pipelines":
            continue
        provided_by = _names(distributions.get(module, [module]))
        if not provided_by & runtime:
            undeclared[module] = sorted(importers)
        if provided_by & (dev - runtime):
            dev_only[module] = sorted(importers)
    assert undeclared == {} and dev_only == {}


def test_plain_postgresql_urls_have_their_driver_declared():
    """SQLAlchemy maps `postgresql://` to psycopg (3); psycopg2 is dagster-postgres's own affair."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert {"psycopg", "starlette", "uvicorn"} <= _names(project["dependencies"])
    import sqlalchemy as sa
    assert sa.create_engine("postgresql://u@h/db").dialect.driver == "psycopg"
