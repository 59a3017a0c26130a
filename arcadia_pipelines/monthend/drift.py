"""Drift after invoicing: which invoices no longer match their data, by how much, and what to do.

A month is recomputed in memory from current data by the month-end's own engine (recompute.py),
a batch of tenants at a time, and compared with its stored invoices line by line, each line
keyed by subscription, kind and meter (or addon). An issued or paid invoice stands at its
amounts minus its correction credit notes (goodwill notes correct nothing: a concession is not a
difference from the data), so a note crediting exactly what drift found clears it: its
tax follows the credit-note rule (the invoice's own rate on the difference, rounded half up
once). A draft is compared with what `force` would write (today's tax rate). Void invoices are
never compared. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Collection, Iterable, NamedTuple

import sqlalchemy as sa

from arcadia_pipelines.billing.credit_notes import CORRECTION, GOODWILL
from arcadia_pipelines.billing.invoice import InvoiceDraft
from arcadia_pipelines.billing.lifecycle import RECOMPUTABLE
from arcadia_pipelines.billing.money import exact, round_ratio, to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.reads import TenantRange, tenant_ranges
from arcadia_pipelines.warehouse.schema import credit_note_lines, credit_notes, tenant_invoice_lines, tenant_invoices

from .drift_advice import advice
from .recompute import PeriodInput, Recomputed, one_tenant, recompute


class LineKey(NamedTuple):
    """What identifies an invoice line across recomputations (its description and amount may change)."""

    subscription_id: str | None  # None only for the tax line
    kind: str                    # plan_base, addon, overage or tax
    item: str | None             # overage: the meter; addon: its description ('Addon: storage_50gb'); else None

    @classmethod
    def of(cls, subscription_id: str | None, kind: str, meter: str | None, description: str) -> "LineKey":
        return cls(subscription_id, kind, meter if kind == "overage" else description if kind == "addon" else None)


@dataclass(frozen=True)
class LineDrift:
    key: LineKey
    description: str                 # the recomputed line's (the invoiced one's when the line would go)
    invoice_line_id: int | None      # None when the recomputation adds the line
    invoiced_cents: int              # the line's amount minus what credit notes credited on it; 0 if absent
    recomputed_cents: int            # 0 when the recomputation drops the line
    deployment_id: str | None
    resource_kind: str | None
    meter: str | None
    recomputed_quantity: Decimal | None
    recomputed_unit_price_cents: Decimal | None

    @property
    def difference_cents(self) -> int:
        """recomputed - invoiced: below 0 over-billed (creditable), above 0 under-billed."""
        return self.recomputed_cents - self.invoiced_cents


@dataclass(frozen=True)
class InvoiceDrift:
    invoice_id: int
    tenant_id: str
    period: Period
    status: str                      # draft, issued or paid
    number: str | None
    currency: str
    invoiced_subtotal_cents: int     # minus credit notes
    invoiced_tax_cents: int
    invoiced_total_cents: int
    recomputed_subtotal_cents: int
    recomputed_tax_cents: int
    recomputed_total_cents: int
    lines: tuple[LineDrift, ...]     # the non-tax lines that differ
    correction_notes: tuple[str, ...] = ()  # numbers of its credit notes that count here
    goodwill_notes: tuple[str, ...] = ()    # and of those that do not (concessions)
    correction_credited_cents: int = 0      # the correction notes' subtotal

    @property
    def over_billed_cents(self) -> int:
        return sum(-d.difference_cents for d in self.lines if d.difference_cents < 0)

    @property
    def under_billed_cents(self) -> int:
        return sum(d.difference_cents for d in self.lines if d.difference_cents > 0)

    @property
    def difference_cents(self) -> int:
        return self.recomputed_total_cents - self.invoiced_total_cents

    @property
    def action(self) -> str:
        """What to do, in one line of plain words (drift_advice.py)."""
        return advice(self)


@dataclass
class DriftReport:
    period: Period
    drifts: list[InvoiceDrift] = field(default_factory=list)  # worst first
    not_invoiced: list[str] = field(default_factory=list)  # tenants the month would invoice now: re-run it
    not_recomputable: dict[int, str] = field(default_factory=dict)  # invoice -> the rule its tenant's data breaks
    invoices_compared: int = 0


def invoice_drift(conn: sa.Connection, period: Period,
                  invoice_ids: Collection[int] | None = None) -> list[InvoiceDrift]:
    """Every non-void invoice of `period` (or of `invoice_ids` among them) that differs from a
    recomputation from current data, worst first; invoices that match are left out."""
    return period_drift(conn, period, invoice_ids).drifts


def period_drift(conn: sa.Connection, period: Period, invoice_ids: Collection[int] | None = None) -> DriftReport:
    report = DriftReport(period)
    inputs = PeriodInput.read(conn, period)
    for tenant_range in _ranges(conn, period, invoice_ids):
        _compare_range(conn, inputs, tenant_range, invoice_ids, report)
    report.drifts.sort(key=lambda d: (-abs(d.difference_cents), -(d.over_billed_cents + d.under_billed_cents),
                                      d.invoice_id))
    return report


def _ranges(conn: sa.Connection, period: Period, invoice_ids: Collection[int] | None) -> Iterable[TenantRange]:
    """Every tenant a batch at a time, or, for chosen invoices, just their tenants."""
    if invoice_ids is None:
        return tenant_ranges(conn)
    i = tenant_invoices
    wanted = conn.scalars(sa.select(i.c.tenant_id).distinct()
                          .where(i.c.period_start == period.start, i.c.id.in_(list(invoice_ids))))
    return [r for r in (one_tenant(conn, t) for t in sorted(wanted)) if r is not None]


@dataclass
class _Invoiced:
    row: sa.Row
    lines: dict[LineKey, list] = field(default_factory=dict)  # key -> [line id, description, net cents]
    credited_subtotal: int = 0
    credited_tax: int = 0
    notes: dict[str, list[str]] = field(default_factory=dict)  # purpose -> note numbers


def _read_invoices(conn: sa.Connection, period: Period, tenant_range: TenantRange,
                   invoice_ids: Collection[int] | None) -> tuple[dict[str, _Invoiced], set[str]]:
    """The range's non-void invoices (net of correction credit notes) by tenant, and every tenant with one."""
    i, ln, cn, cnl = tenant_invoices, tenant_invoice_lines, credit_notes, credit_note_lines
    in_range = [i.c.period_start == period.start, *tenant_range.where(i.c.tenant_id)]
    invoiced, everyone = {}, set()
    for r in conn.execute(sa.select(i.c.id, i.c.tenant_id, i.c.status, i.c.number, i.c.currency, i.c.subtotal_cents,
                                    i.c.tax_cents, i.c.tax_rate).where(*in_range)):
        everyone.add(r.tenant_id)
        if r.status != "void" and (invoice_ids is None or r.id in invoice_ids):
            invoiced[r.tenant_id] = _Invoiced(r)
    by_id = {inv.row.id: inv for inv in invoiced.values()}
    for invoice_id, number, purpose in conn.execute(sa.select(cn.c.invoice_id, cn.c.number, cn.c.purpose)
                                                    .join(i, i.c.id == cn.c.invoice_id).where(*in_range)
                                                    .order_by(cn.c.id)):
        if invoice_id in by_id:
            by_id[invoice_id].notes.setdefault(purpose, []).append(number)
    corrections = [*in_range, cn.c.purpose == CORRECTION]
    for r in conn.execute(sa.select(cn.c.invoice_id, sa.func.sum(cn.c.subtotal_cents), sa.func.sum(cn.c.tax_cents))
                          .join(i, i.c.id == cn.c.invoice_id).where(*corrections).group_by(cn.c.invoice_id)):
        if r[0] in by_id:
            by_id[r[0]].credited_subtotal, by_id[r[0]].credited_tax = int(r[1]), int(r[2])
    credited = dict(conn.execute(sa.select(cnl.c.invoice_line_id, sa.func.sum(cnl.c.amount_cents))
                                 .join(cn, cn.c.id == cnl.c.credit_note_id).join(i, i.c.id == cn.c.invoice_id)
                                 .where(*corrections).group_by(cnl.c.invoice_line_id)).all())
    for line_id, invoice_id, kind, subscription_id, meter, description, cents in conn.execute(
            sa.select(ln.c.id, ln.c.invoice_id, ln.c.kind, ln.c.subscription_id, ln.c.meter, ln.c.description,
                      ln.c.amount_cents)
            .join(i, i.c.id == ln.c.invoice_id).where(*in_range, ln.c.kind != "tax")
            .order_by(ln.c.invoice_id, ln.c.line_no)):
        inv = by_id.get(invoice_id)
        if inv is not None:
            key = LineKey.of(subscription_id, kind, meter, description)
            line = inv.lines.setdefault(key, [line_id, description, 0])
            line[2] += cents - int(credited.get(line_id, 0))
    return invoiced, everyone


def _compare_range(conn: sa.Connection, inputs: PeriodInput, tenant_range: TenantRange,
                   invoice_ids: Collection[int] | None, report: DriftReport) -> None:
    invoiced, everyone = _read_invoices(conn, inputs.period, tenant_range, invoice_ids)
    if not invoiced and invoice_ids is not None:
        return
    recomputed: dict[str, Recomputed] = {r.tenant_id: r for r in recompute(conn, inputs, tenant_range)}
    for tenant_id, inv in invoiced.items():
        report.invoices_compared += 1
        now = recomputed.get(tenant_id)
        if now is not None and now.errors:
            report.not_recomputable[inv.row.id] = str(now.errors[0])
            continue
        drift = _compare(inv, now.draft if now else None, inputs.period)
        if drift is not None:
            report.drifts.append(drift)
    if invoice_ids is None:
        report.not_invoiced += sorted(t for t, r in recomputed.items() if r.draft and t not in everyone)


def _recomputed_lines(draft: InvoiceDraft | None) -> dict[LineKey, tuple]:
    lines = {}
    for q, ln in draft.lines if draft else ():
        lines[LineKey.of(q.subscription.id, ln.kind, ln.meter, ln.description)] = (q, ln)
    return lines


def _compare(inv: _Invoiced, draft: InvoiceDraft | None, period: Period) -> InvoiceDrift | None:
    r, is_draft = inv.row, inv.row.status in RECOMPUTABLE
    now = _recomputed_lines(draft)
    differing = []
    for key in [*inv.lines, *(k for k in now if k not in inv.lines)]:  # invoice line order, new lines last
        line_id, old_text, old = inv.lines.get(key, (None, None, 0))
        q, ln = now.get(key, (None, None))
        new = ln.amount_cents if ln else 0
        if new != old or (is_draft and ln is not None and ln.description != old_text):
            differing.append(LineDrift(
                key, ln.description if ln else old_text, line_id, old, new,
                q.subscription.deployment_id if q else None, ln.resource_kind if ln else None,
                ln.meter if ln else None, to_decimal(ln.quantity) if ln else None,
                to_decimal(ln.unit_price_cents, 12) if ln else None))
    subtotal = r.subtotal_cents - inv.credited_subtotal
    tax = r.tax_cents - inv.credited_tax
    new_subtotal = draft.totals.subtotal_cents if draft else 0
    if is_draft:
        new_tax = draft.totals.tax_cents if draft else 0
    else:  # the credit-note rule: the invoice's own rate on the difference, rounded half up once
        rate = exact(r.tax_rate) if r.tax_rate is not None else Fraction(0)
        new_tax = tax + round_ratio((new_subtotal - subtotal) * rate.numerator, rate.denominator)
    if not differing and (new_subtotal, new_tax) == (subtotal, tax):
        return None
    return InvoiceDrift(r.id, r.tenant_id, period, r.status, r.number, r.currency, subtotal, tax, subtotal + tax,
                        new_subtotal, new_tax, new_subtotal + new_tax, tuple(differing),
                        tuple(inv.notes.get(CORRECTION, ())), tuple(inv.notes.get(GOODWILL, ())), inv.credited_subtotal)
