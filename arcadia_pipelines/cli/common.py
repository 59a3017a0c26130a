"""What every verb module shares: the program's name, its one-line errors, the argument parser and
the examples block of each verb's help."""

from __future__ import annotations

import argparse
import textwrap

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.failures.lines import one_line

PROG = "arcadia-pipelines"
WAREHOUSE_MEANT = "is ARCADIA_WAREHOUSE_URL the warehouse you meant?"


class CliError(Exception):
    """A one-line reason for the user (exit 1)."""


class UsageError(CliError):
    """The command line asks for something it cannot: exit 2, like argparse's own usage errors."""


class Parser(argparse.ArgumentParser):
    """Usage errors as one line naming the problem and where help is, not a usage block."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)  # examples as written
        if kwargs.get("description"):
            kwargs["description"] = textwrap.fill(kwargs["description"], 100)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {one_line(message)}; see '{self.prog} --help'\n")


def examples(*lines: str) -> str:
    return "example:\n" + "\n".join(f"  {PROG} {line}" for line in lines)


def row_id(text: str) -> int | None:
    """`text` as a row id (a positive whole number that fits a BIGINT), else None."""
    return int(text) if text.isascii() and text.isdigit() and 1 <= int(text) < 2**63 else None


def positive_id(what: str):
    """An argument type for the id of `what` ("a key")."""
    def parse(text: str) -> int:
        if (found := row_id(text)) is None:
            raise argparse.ArgumentTypeError(f"{what} id is a positive whole number, got {text!r}")
        return found
    return parse


def month(text: str) -> Period:
    """An argument type: a month as YYYY-MM."""
    try:
        return Period.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
