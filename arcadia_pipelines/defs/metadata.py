"""Metadata shown in the Dagster UI: tables' names and column schemas, row counts, small markdown tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from arcadia_pipelines.warehouse.column_docs import VIEWS, relation_docs
from arcadia_pipelines.warehouse.schema import metadata as warehouse


def _column(column: sa.Column) -> dg.TableColumn:
    other = ["primary key"] if column.primary_key else []
    other += [f"references {fk.target_fullname}" for fk in column.foreign_keys]
    return dg.TableColumn(column.name, column.type.compile(dialect=postgresql.dialect()).lower(),
                          description=relation_docs(column.table.name).columns.get(column.name),
                          constraints=dg.TableColumnConstraints(nullable=bool(column.nullable), other=other))


def column_schema(relation: str) -> dg.TableSchema:
    """The columns of a warehouse table or view with their PostgreSQL types and descriptions
    (warehouse/column_docs.py, the source of the database's comments too)."""
    if relation in VIEWS:
        return dg.TableSchema([dg.TableColumn(name, type_, description=text)
                               for name, (type_, text) in VIEWS[relation].columns.items()])
    return dg.TableSchema([_column(c) for c in warehouse.tables[relation].columns])


def table_metadata(table: str, *also_writes: str) -> dict[str, object]:
    """Definition metadata of an asset stored in `table` (and in `also_writes`, whose schemas are shown too)."""
    extra: dict[str, object] = {"also_writes": ", ".join(also_writes)} if also_writes else {}
    extra |= {f"{other} column schema": column_schema(other) for other in also_writes}
    return {"dagster/table_name": table, "dagster/column_schema": column_schema(table), **extra}


PREVIEW_ROWS = 25


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]],
                   limit: int = PREVIEW_ROWS, total: int | None = None) -> dg.MarkdownMetadataValue:
    """The first `limit` rows; `total` counts all of them when `rows` are only the first ones."""
    rows = list(rows)
    total = len(rows) if total is None else total
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows[:limit]]
    if total > limit:
        lines.append(f"\n_{total - limit} more not shown_")
    return dg.MetadataValue.md("\n".join(lines))


def names(items: Iterable[str], limit: int = 50, total: int | None = None) -> str:
    """The first `limit` names in order; `total` counts all of them when `items` are only some."""
    items = sorted(items)
    total = len(items) if total is None else total
    shown = ", ".join(items[:limit])
    return shown + (f" and {total - limit} more" if total > limit else "") if items else "none"


def amount(cents: int) -> dg.FloatMetadataValue:
    """An amount in currency units as a number the asset's Plots tab draws. Computed exactly in integer
    cents; the float is made here, at the edge, and prints as the exact amount up to 10**13 units."""
    return dg.MetadataValue.float(cents / 100)


def main_currency(invoices_by_currency: dict[str, int]) -> str:
    """The currency most of a month's invoices are in (the first by name on a tie); "none" without any."""
    return min(invoices_by_currency, key=lambda c: (-invoices_by_currency[c], c)) if invoices_by_currency else "none"


def amounts_by_currency(main: str, amounts: dict[str, dict[str, int]]) -> dict[str, object]:
    """{name: {currency: cents}} as numeric entries: `name` in the `main` currency (named by the
    `currency` entry), `name (USD)` in every other currency a month has, so no amount is added to
    another currency's."""
    entries: dict[str, object] = {"currency": main}
    for name, by_currency in amounts.items():
        entries[name] = amount(by_currency.get(main, 0))
        entries |= {f"{name} ({c})": amount(cents) for c, cents in sorted(by_currency.items()) if c != main}
    return entries


def report_each_month(context: dg.AssetExecutionContext, per_month: dict) -> None:
    """Each month of the run gets its own metadata on its own partition's materialization: a range
    run (single-run backfill) reports every month as a run of that month alone would."""
    for period, metadata in per_month.items():
        context.add_asset_metadata(metadata, partition_key=period.key)
