"""Invoices and credit notes named on the command line as finance names them: by number
(`INV-000001`, `CN-000001`), or by id (a draft invoice has no number yet, so it keeps its id).

A number is looked up exactly as printed on the document (`INV-1` is not `INV-000001`); an unknown
one is refused in one line (exit 1, like an unknown id). Text that is neither a number of the
right kind nor an id is a usage error (exit 2). The CLI is an admin tool: no tenant scoping."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from arcadia_pipelines.cli.common import WAREHOUSE_MEANT, CliError, row_id

INVOICE_PREFIX, CREDIT_NOTE_PREFIX = "INV-", "CN-"  # billing/lifecycle.py, billing/credit_notes.py


@dataclass(frozen=True)
class Handle:
    """What the user typed: an id, or a number to look up."""

    kind: str  # "invoice" | "credit note"
    id: int | None = None
    number: str | None = None

    def __str__(self) -> str:
        return self.number or str(self.id)


def _parser(kind: str, article: str, prefix: str):
    def parse(text: str) -> Handle:
        digits = text.removeprefix(prefix)
        if text.startswith(prefix) and digits.isascii() and digits.isdigit():
            return Handle(kind, number=text)
        if (found := row_id(text)) is not None:
            return Handle(kind, id=found)
        raise argparse.ArgumentTypeError(f"{article} {kind} id is a positive whole number, or give its number "
                                         f"({prefix}000001), got {text!r}")
    return parse


invoice_handle = _parser("invoice", "an", INVOICE_PREFIX)
credit_note_handle = _parser("credit note", "a", CREDIT_NOTE_PREFIX)


def resolve(conn, handle: Handle) -> int:
    """The row id `handle` names; an unknown number is refused (an unknown id is left to the verb,
    which says so in its own words)."""
    import sqlalchemy as sa

    from arcadia_pipelines.warehouse.schema import credit_notes, tenant_invoices

    if handle.id is not None:
        return handle.id
    table = tenant_invoices if handle.kind == "invoice" else credit_notes
    found = conn.scalar(sa.select(table.c.id).where(table.c.number == handle.number))
    if found is None:
        raise CliError(f"no {handle.kind} numbered {handle.number} ({WAREHOUSE_MEANT})")
    return found

