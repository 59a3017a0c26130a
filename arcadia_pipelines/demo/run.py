"""`arcadia-pipelines demo`: seed a warehouse, invoice April 2026 through Dagster, print it; then
observe a local fake DigitalOcean, store its April bill and set it against revenue.

With DAGSTER_HOME set, the demo writes the warehouse the code location reads (`warehouse_url()`:
$DAGSTER_HOME/warehouse.db unless ARCADIA_WAREHOUSE_URL says otherwise) and keeps its runs in that
instance, so `dg dev` afterwards shows its invoices, costs and checks. Seeding only adds missing
rows and re-runs skip invoiced tenants, so running it again changes nothing. Without
DAGSTER_HOME everything goes to a temporary folder.
"""

from __future__ import annotations

import os
import tempfile

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.dagster_runs.instance import open_instance
from arcadia_pipelines.documents.invoice_text import render_invoice
from arcadia_pipelines.dagster_runs.launch import QUIET_CONSOLE, failure_reason, run_monthly_invoicing
from arcadia_pipelines.warehouse.engine import create_warehouse_engine, redacted, warehouse_url
from arcadia_pipelines.warehouse.migrate import upgrade
from arcadia_pipelines.warehouse.schema import tenant_invoice_lines, tenant_invoices, tenants

from .fake_do import demo_do_server
from .report import print_cost_vs_revenue, print_inventory
from .seed import seed

DEMO_PERIOD = Period.parse("2026-04")


def _keeps_home() -> bool:
    """Whether the demo writes into the user's DAGSTER_HOME; if not, it points DAGSTER_HOME and
    the warehouse at a fresh temporary folder."""
    if os.environ.get("DAGSTER_HOME"):
        return True
    home = tempfile.mkdtemp(prefix="arcadia-demo-")
    os.environ.update(DAGSTER_HOME=home, ARCADIA_WAREHOUSE_URL=f"sqlite:///{home}/warehouse.db")
    return False


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
    kept = _keeps_home()
    url = warehouse_url()
    engine = create_warehouse_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        seed(conn)
    with open_instance() as instance:
        result = run_monthly_invoicing(DEMO_PERIOD, instance)
        cloud = run_digitalocean(instance)
    print(f"monthly_invoicing {DEMO_PERIOD.key}: {_outcome(result)}")
    print_invoices(engine, DEMO_PERIOD)
    print()
    for name, r in cloud.items():
        print(f"{name}: {_outcome(r)}")
    print_inventory(engine)
    print_cost_vs_revenue(engine, DEMO_PERIOD)
    engine.dispose()
    home = os.environ["DAGSTER_HOME"]
    print(f"\nDAGSTER_HOME={home}\nwarehouse: {redacted(url)}")
    if kept:
        print(f"See the runs, invoices and checks in the UI: DAGSTER_HOME={home} dg dev")
    else:
        print("This demo used a throw-away folder; to keep it for the UI, run "
              "DAGSTER_HOME=$PWD/.dagster_home arcadia-pipelines demo, then dg dev with the same DAGSTER_HOME")
    return 0 if result.success and all(r.success for r in cloud.values()) else 1
