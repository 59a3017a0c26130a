"""The accounts-receivable export of a month: its issued, paid and void invoices and their lines as
CSV and Parquet (pandas + pyarrow), with a manifest of row counts, sums and SHA-256 checksums.

Files go to `<ARCADIA_EXPORT_DIR>/ar/<YYYY-MM>/` (default `$DAGSTER_HOME/exports`). The month is
the billing period (`period_start`); each invoice carries its issued/paid/voided dates for booking.
Exact: cents are int64, rates, quantities and unit prices exact decimal strings, never floats.
Idempotent: rows in a fixed order, no run time in any file, Parquet without writer metadata that
could vary, and nothing is written when no byte changes, so a re-run on unchanged data changes no
byte (not even a modification time). All or nothing: `<YYYY-MM>` is a link switched in one step to a
complete new version of the month's files (published_folder.py), so a failed export leaves the
previous one, manifest included, exactly as it was, and its error names the file. Credit notes are
a third table: the notes of the month's invoices (one row per note, with the number of the invoice
it credits).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.engine import dagster_home
from arcadia_pipelines.warehouse.schema import (
    credit_notes,
    tenant_invoice_lines,
    tenant_invoices,
)

from .published_folder import publish

if TYPE_CHECKING:  # imported where used: the code location loads this module on every start
    import pandas as pd
    import pyarrow as pa

EXPORT_DIR_ENV = "ARCADIA_EXPORT_DIR"
EXPORTED_STATUSES = ("issued", "paid", "void")
MANIFEST = "manifest.json"


@functools.cache
def schemas() -> dict[str, pa.Schema]:
    """Each exported table's Arrow schema."""
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    invoices = pa.schema([
        ("invoice_id", pa.int64()), ("number", pa.string()), ("tenant_id", pa.string()), ("bill_to_name", pa.string()),
        ("bill_to_tax_id", pa.string()), ("period_start", pa.date32()), ("period_end", pa.date32()),
        ("status", pa.string()), ("currency", pa.string()), ("subtotal_cents", pa.int64()), ("tax_cents", pa.int64()),
        ("total_cents", pa.int64()), ("tax_name", pa.string()), ("tax_rate", pa.string()), ("issued_at", ts),
        ("due_at", ts), ("paid_at", ts), ("voided_at", ts),
    ])
    lines = pa.schema([
        ("line_id", pa.int64()), ("invoice_id", pa.int64()), ("number", pa.string()), ("line_no", pa.int64()),
        ("kind", pa.string()), ("description", pa.string()), ("deployment_id", pa.string()),
        ("subscription_id", pa.string()), ("resource_kind", pa.string()), ("meter", pa.string()),
        ("quantity", pa.string()), ("unit_price_cents", pa.string()), ("amount_cents", pa.int64()),
    ])
    notes = pa.schema([
        ("credit_note_id", pa.int64()), ("number", pa.string()), ("invoice_id", pa.int64()),
        ("invoice_number", pa.string()), ("tenant_id", pa.string()), ("currency", pa.string()),
        ("reason", pa.string()), ("purpose", pa.string()), ("subtotal_cents", pa.int64()), ("tax_cents", pa.int64()),
        ("total_cents", pa.int64()), ("tax_name", pa.string()), ("tax_rate", pa.string()), ("created_at", ts),
    ])
    return {"invoices": invoices, "invoice_lines": lines, "credit_notes": notes}


SUMMED = {"invoices": ("subtotal_cents", "tax_cents", "total_cents"), "invoice_lines": ("amount_cents",),
          "credit_notes": ("subtotal_cents", "tax_cents", "total_cents")}


def export_dir() -> Path:
    return Path(os.environ.get(EXPORT_DIR_ENV) or dagster_home() / "exports")


def month_dir(period: Period, root: Path | None = None) -> Path:
    return (root or export_dir()) / "ar" / period.label


@dataclass(frozen=True)
class ArExport:
    folder: Path
    manifest: dict
    changed: list[str]  # files whose bytes changed (written) in this run


def _text(value) -> str | None:
    return None if value is None else f"{Decimal(value).normalize():f}"


def read_month(conn: sa.Connection, period: Period) -> dict[str, pd.DataFrame]:
    """The month's exported invoices and lines as DataFrames, in id order."""
    i, ln = tenant_invoices, tenant_invoice_lines
    month = [i.c.period_start == period.start, i.c.status.in_(EXPORTED_STATUSES)]
    schema = schemas()
    invoices = [{**r._asdict(), "tax_rate": _text(r.tax_rate)} for r in conn.execute(
        sa.select(*(i.c[f.name] if f.name != "invoice_id" else i.c.id.label("invoice_id") for f in schema["invoices"]))
        .where(*month).order_by(i.c.id))]
    lines = [{**r._asdict(), "quantity": _text(r.quantity), "unit_price_cents": _text(r.unit_price_cents)}
             for r in conn.execute(
        sa.select(ln.c.id.label("line_id"), ln.c.invoice_id, i.c.number, ln.c.line_no, ln.c.kind, ln.c.description,
                  ln.c.deployment_id, ln.c.subscription_id, ln.c.resource_kind, ln.c.meter, ln.c.quantity,
                  ln.c.unit_price_cents, ln.c.amount_cents)
        .join(i, i.c.id == ln.c.invoice_id).where(*month).order_by(ln.c.invoice_id, ln.c.line_no, ln.c.id))]
    cn = credit_notes
    notes = [{**r._asdict(), "tax_rate": _text(r.tax_rate)} for r in conn.execute(
        sa.select(cn.c.id.label("credit_note_id"), cn.c.number, cn.c.invoice_id, i.c.number.label("invoice_number"),
                  cn.c.tenant_id, cn.c.currency, cn.c.reason, cn.c.purpose, cn.c.subtotal_cents, cn.c.tax_cents, cn.c.total_cents,
                  cn.c.tax_name, cn.c.tax_rate, cn.c.created_at)
        .join(i, i.c.id == cn.c.invoice_id).where(*month).order_by(cn.c.id))]
    return {"invoices": _frame(invoices, schema["invoices"]), "invoice_lines": _frame(lines, schema["invoice_lines"]),
            "credit_notes": _frame(notes, schema["credit_notes"])}


def _frame(rows: list[dict], schema: pa.Schema) -> pd.DataFrame:
    """Typed through Arrow, so empty months and null columns keep their types (int64 cents, never float)."""
    import pandas as pd
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=schema).to_pandas(types_mapper=pd.ArrowDtype)


def _csv_bytes(df: pd.DataFrame) -> bytes:
    import pandas as pd
    import pyarrow as pa

    out = df.copy()
    for name, dtype in out.dtypes.items():
        if isinstance(dtype, pd.ArrowDtype) and pa.types.is_timestamp(dtype.pyarrow_dtype):
            out[name] = out[name].map(lambda v: None if pd.isna(v) else v.isoformat().replace("+00:00", "Z"))
    return out.to_csv(index=False, lineterminator="\n").encode()


def _parquet_bytes(df: pd.DataFrame, schema: pa.Schema) -> bytes:
    """Deterministic Parquet: the schema without pandas' metadata, one row group, fixed options."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False).replace_schema_metadata(None)
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd", row_group_size=max(len(df), 1), write_statistics=True,
                   store_schema=False)
    return out.getvalue()


def _by_currency(df: pd.DataFrame, name: str) -> dict:
    return {cur: _sums(df[df["currency"] == cur], SUMMED[name]) for cur in sorted(set(df["currency"]))}


def _sums(df: pd.DataFrame, columns: tuple[str, ...]) -> dict:
    """Exact sums per currency (lines: over every currency's invoices, by the invoices' currency)."""
    return {c: int(sum(int(v) for v in df[c])) for c in columns}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_month(conn: sa.Connection, period: Period, root: Path | None = None) -> ArExport:
    frames = read_month(conn, period)
    folder = month_dir(period, root)
    contents, files = {}, {}
    for name, df in frames.items():
        schema = schemas()[name]
        for file_name, data in ((f"{name}.csv", _csv_bytes(df)), (f"{name}.parquet", _parquet_bytes(df, schema))):
            contents[file_name] = data
            files[file_name] = {"rows": len(df), "sha256": sha256(data), "bytes": len(data)}
    invoices = frames["invoices"]
    manifest = {
        "period": period.label, "statuses": list(EXPORTED_STATUSES), "files": files,
        "invoices": {"rows": len(invoices), "by_status": {s: int((invoices["status"] == s).sum())
                                                          for s in EXPORTED_STATUSES},
                     "totals_by_currency": {cur: _sums(invoices[invoices["currency"] == cur], SUMMED["invoices"])
                                            for cur in sorted(set(invoices["currency"]))}},
        "invoice_lines": {"rows": len(frames["invoice_lines"]),
                          **_sums(frames["invoice_lines"], SUMMED["invoice_lines"])},
        "credit_notes": {"rows": len(frames["credit_notes"]), "totals_by_currency": _by_currency(frames["credit_notes"],
                                                                                                 "credit_notes")},
    }
    contents[MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    return ArExport(folder, manifest, publish(folder, contents))


def warehouse_totals(conn: sa.Connection, period: Period) -> dict:
    """What the export must add up to: per currency, the exported invoices' sums; the lines' sum."""
    i, ln = tenant_invoices, tenant_invoice_lines
    month = [i.c.period_start == period.start, i.c.status.in_(EXPORTED_STATUSES)]
    summed = SUMMED["invoices"]
    by_currency = {currency: dict(zip(summed, map(int, sums))) for currency, *sums in conn.execute(
        sa.select(i.c.currency, *(sa.func.sum(i.c[c]) for c in summed)).where(*month).group_by(i.c.currency))}
    lines = conn.scalar(sa.select(sa.func.coalesce(sa.func.sum(ln.c.amount_cents), 0))
                        .join(i, i.c.id == ln.c.invoice_id).where(*month))
    cn = credit_notes
    notes = {currency: dict(zip(summed, map(int, sums))) for currency, *sums in conn.execute(
        sa.select(cn.c.currency, *(sa.func.sum(cn.c[c]) for c in SUMMED["credit_notes"]))
        .join(i, i.c.id == cn.c.invoice_id).where(*month).group_by(cn.c.currency))}
    return {"totals_by_currency": by_currency, "amount_cents": int(lines), "credit_notes_by_currency": notes}


def exported_totals(folder: Path) -> dict:
    """The same sums read back from the written files: the CSVs and the Parquet files must agree."""
    import pandas as pd
    import pyarrow.parquet as pq

    found = {}
    for fmt in ("csv", "parquet"):
        if fmt == "csv":
            invoices = pd.read_csv(folder / "invoices.csv", dtype={"currency": str, "total_cents": "int64",
                                                                  "subtotal_cents": "int64", "tax_cents": "int64"},
                                   keep_default_na=False)
            lines = pd.read_csv(folder / "invoice_lines.csv", dtype={"amount_cents": "int64"}, keep_default_na=False)
            notes = pd.read_csv(folder / "credit_notes.csv", dtype={"currency": str, **dict.fromkeys(
                SUMMED["credit_notes"], "int64")}, keep_default_na=False)
        else:
            invoices = pq.read_table(folder / "invoices.parquet").to_pandas(types_mapper=pd.ArrowDtype)
            lines = pq.read_table(folder / "invoice_lines.parquet").to_pandas(types_mapper=pd.ArrowDtype)
            notes = pq.read_table(folder / "credit_notes.parquet").to_pandas(types_mapper=pd.ArrowDtype)
        found[fmt] = {"totals_by_currency": {cur: _sums(invoices[invoices["currency"] == cur], SUMMED["invoices"])
                                             for cur in sorted(set(invoices["currency"]))},
                      "amount_cents": _sums(lines, SUMMED["invoice_lines"])["amount_cents"],
                      "credit_notes_by_currency": _by_currency(notes, "credit_notes")}
    return found
