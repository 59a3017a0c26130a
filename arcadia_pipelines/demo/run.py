"""`arcadia-pipelines demo`: seed an embedded warehouse, invoice April 2026 through Dagster, print it;
then observe a local fake DigitalOcean, store its April bill and set it against revenue."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.render import render_invoice
from arcadia_pipelines.runs import QUIET_CONSOLE, failure_reason, run_monthly_invoicing
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import upgrade
from arcadia_pipelines.warehouse.schema import tenant_invoice_lines, tenant_invoices, tenants

from .fake_do import demo_do_server
from .report import print_cost_vs_revenue, print_inventory
from .seed import seed

DEMO_PERIOD = Period.parse("2026-04")


def _home() -> Path:
    """DAGSTER_HOME when set (the run then shows in `dagster dev`), else a fresh temporary one."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = tempfile.mkdtemp(prefix="arcadia-demo-")
        Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = home
    return Path(home)


def print_invoices(engine: sa.Engine, period: Period) -> None:
    i, ln = tenant_invoices, tenant_invoice_lines
    with engine.connect() as conn:
        invoices = conn.execute(sa.select(i, tenants.c.name).join(tenants, tenants.c.id == i.c.tenant_id)
                                .where(i.c.period_start == period.start).order_by(i.c.tenant_id)).all()
        for inv in invoices:
            lines = conn.execute(sa.select(ln).where(ln.c.invoice_id == inv.id).order_by(ln.c.line_no)).all()
            tax = [x.description for x in lines if x.kind == "tax"]
            print(render_invoice(
                f"\nInvoice #{inv.id}  {inv.name} ({inv.tenant_id})  {period.label}  [{inv.status}]",
                inv.currency, [(x.description, x.quantity, x.unit_price_cents, x.amount_cents)
                               for x in lines if x.kind != "tax"],
                inv.subtotal_cents, inv.tax_cents, inv.total_cents, tax[0] if tax else "tax (none)"))


def run_digitalocean(instance: dg.DagsterInstance) -> dict[str, dg.ExecuteInProcessResult]:
    """`do_inventory`, then `cloud_invoices` and `cost_vs_revenue` for the demo month, with the code
    location's own resources pointed at the local fake through the environment."""
    from arcadia_pipelines.definitions import defs

    server = demo_do_server(DEMO_PERIOD)
    os.environ.update(DIGITALOCEAN_TOKEN=server.token, DIGITALOCEAN_API_URL=server.url)
    try:
        inventory = defs.resolve_job_def("do_inventory_job").execute_in_process(
            instance=instance, run_config=QUIET_CONSOLE, raise_on_error=False)
        costs = defs.resolve_job_def("cloud_costs").execute_in_process(
            partition_key=DEMO_PERIOD.key, instance=instance, run_config=QUIET_CONSOLE, raise_on_error=False)
    finally:
        server.stop()
    return {"do_inventory": inventory, f"cloud_costs {DEMO_PERIOD.key}": costs}


def _outcome(result: dg.ExecuteInProcessResult) -> str:
    return f"run {result.run_id} {'succeeded' if result.success else 'FAILED: ' + failure_reason(result)}"


def run_demo() -> int:
    home = _home()
    db = home / "demo-warehouse.db"
    db.unlink(missing_ok=True)
    os.environ["ARCADIA_WAREHOUSE_URL"] = f"sqlite:///{db}"
    engine = create_warehouse_engine()
    upgrade(engine)
    with engine.begin() as conn:
        seed(conn)
    with dg.DagsterInstance.get() as instance:
        result = run_monthly_invoicing(DEMO_PERIOD, instance)
        cloud = run_digitalocean(instance)
    print(f"monthly_invoicing {DEMO_PERIOD.key}: {_outcome(result)}")
    print_invoices(engine, DEMO_PERIOD)
    print()
    for name, r in cloud.items():
        print(f"{name}: {_outcome(r)}")
    print_inventory(engine)
    print_cost_vs_revenue(engine, DEMO_PERIOD)
    print(f"\nDAGSTER_HOME={home}\nwarehouse: {db}\n"
          f"See the run in the UI: DAGSTER_HOME={home} dagster dev -m arcadia_pipelines.definitions")
    return 0 if result.success and all(r.success for r in cloud.values()) else 1
