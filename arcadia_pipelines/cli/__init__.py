"""The `arcadia-pipelines` console script (pyproject's entry point `arcadia_pipelines.cli:main`):
common.py and warehouse.py are what every verb shares, one module per verb registers it, and
main.py puts them together."""

from arcadia_pipelines.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
