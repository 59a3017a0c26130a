"""Bad input found for a period, kept per stage so BI and the next run can see it."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.reads import TenantRange
from arcadia_pipelines.warehouse.schema import billing_errors


def replace_errors(conn: sa.Connection, period: Period, stage: str, errors: list[BillingError],
                   tenant_range: TenantRange = TenantRange()) -> None:
    """The stage's errors of the period for the tenants in `tenant_range` (errors naming no
    tenant belong to the range that starts at the first tenant)."""
    e = billing_errors
    in_range = sa.and_(sa.true(), *tenant_range.where(e.c.tenant_id))
    if tenant_range.after is None:
        in_range = sa.or_(e.c.tenant_id.is_(None), in_range)
    conn.execute(sa.delete(e).where(e.c.period_start == period.start, e.c.stage == stage, in_range))
    if errors:
        now = datetime.now(timezone.utc)
        conn.execute(sa.insert(billing_errors), [
            {"period_start": period.start, "stage": stage, "tenant_id": e.tenant_id,
             "subscription_id": e.subscription_id, "rule": e.rule, "message": e.message,
             "recorded_at": now} for e in errors])


def failed_tenants(conn: sa.Connection, period: Period, stages: tuple[str, ...]) -> set[str]:
    q = sa.select(billing_errors.c.tenant_id).distinct().where(
        billing_errors.c.period_start == period.start, billing_errors.c.stage.in_(stages))
    return set(conn.scalars(q))


def period_errors(conn: sa.Connection, period: Period, stages: tuple[str, ...] | None = None) -> list[BillingError]:
    """The period's errors (of `stages` when given), by tenant and in the order they were found."""
    q = (sa.select(billing_errors).where(billing_errors.c.period_start == period.start,
                                         *([billing_errors.c.stage.in_(stages)] if stages else []))
         .order_by(billing_errors.c.tenant_id, billing_errors.c.id))
    return [BillingError(r.rule, r.message, tenant_id=r.tenant_id, subscription_id=r.subscription_id)
            for r in conn.execute(q)]


def errors_by_tenant(errors: list[BillingError]) -> dict[str, list[BillingError]]:
    """{tenant: its errors}, errors naming no tenant left out."""
    by_tenant: dict[str, list[BillingError]] = {}
    for e in errors:
        if e.tenant_id is not None:
            by_tenant.setdefault(e.tenant_id, []).append(e)
    return by_tenant
