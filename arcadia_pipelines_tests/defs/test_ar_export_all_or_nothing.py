"""An `ar_export` that fails half-way (the disk fills while `manifest.json`, the last file, is written) leaves
the previous export byte for byte as it was, consistent with its manifest, and says which file in
one line; the next export replaces the whole month at once."""

from __future__ import annotations

import errno
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import tenant_invoices

from .runs import evaluations
from .test_ar_export import FILES, demo_month, export, hashes  # noqa: F401 - the fixture

PAID = datetime(2026, 5, 12, tzinfo=timezone.utc)


def disk_full_on(monkeypatch, file_name: str) -> None:
    """The OS refuses, with ENOSPC, every write to a file named `file_name` (an injected fault)."""
    write = os.write

    def full(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(f"/{file_name}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write(fd, data)

    monkeypatch.setattr(os, "write", full)


def state(folder: Path) -> dict:
    return {name: ((folder / name).read_bytes(), (folder / name).stat().st_mtime_ns) for name in FILES}


def test_a_failed_export_leaves_the_previous_one_intact_and_the_next_replaces_it_whole(
        instance, warehouse_url, demo_month, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ARCADIA_EXPORT_DIR", str(tmp_path / "exports"))
    folder = tmp_path / "exports" / "ar" / "2026-04"
    assert export(instance).success
    before = state(folder)
    with demo_month.begin() as c:
        pilot = c.scalar(sa.select(tenant_invoices.c.id).where(tenant_invoices.c.tenant_id == "pilot"))
        apply_move(c, pilot, "pay", PAID)

    with monkeypatch.context() as fault:
        disk_full_on(fault, "manifest.json")  # the last file: the new CSV and Parquet files are written by then
        failed = export(instance)
    assert not failed.success
    [failure] = [e.step_failure_data for e in failed.all_events if e.is_step_failure]
    said = failure.user_failure_data.description
    assert said == (f"ar_export 2026-04: cannot write {folder / 'manifest.json'}: No space left on device "
                    "(the previous files are unchanged)")
    assert state(folder) == before  # byte-identical, not even touched
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {n: f["sha256"] for n, f in manifest["files"].items()} == {
        n: h for n, h in hashes(folder).items() if n != "manifest.json"}
    assert not [p for p in folder.parent.rglob("*") if ".staging-" in p.name]  # nothing half-written left

    again = export(instance)
    assert again.success and all(check.passed for check in evaluations(again))
    statuses = pd.read_csv(folder / "invoices.csv").set_index("tenant_id")["status"]
    assert statuses["pilot"] == "paid"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["invoices"]["by_status"] == {"issued": 1, "paid": 2, "void": 1}
    assert {n: f["sha256"] for n, f in manifest["files"].items()} == {
        n: h for n, h in hashes(folder).items() if n != "manifest.json"}
    unchanged = [n for n in FILES if before[n][0] == (folder / n).read_bytes()]
    assert "invoice_lines.csv" in unchanged and "invoices.csv" not in unchanged
    assert all((folder / n).stat().st_mtime_ns == before[n][1] for n in unchanged)  # untouched files keep their time
