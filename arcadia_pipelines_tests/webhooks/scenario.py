"""Billing activity that produces every pushed event type, through the real lifecycle services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.invoicing.events import append_month_end_events
from arcadia_pipelines.invoicing.month_invoiced import append_month_invoiced
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import invoice_events, month_invoiced_events
from arcadia_pipelines_tests.api.conftest import NOW, Ledger

PERIOD = Period.parse("2026-04")
PUSHED_KINDS = ("issued", "paid", "voided", "credited")


def month_of_drafts(engine: sa.Engine, invoices: int) -> list[int]:
    """`invoices` tenants' drafts for April 2026, their `created` events and the month.invoiced event."""
    ledger = Ledger(engine)
    ids = [ledger.invoice(ledger.tenant(f"t{n:03d}")) for n in range(invoices)]
    with engine.begin() as conn:
        append_month_end_events(conn, PERIOD.start, NOW)
        append_month_invoiced(conn, PERIOD.start, NOW)
    return ids


def drafts(engine: sa.Engine, *tenants: str, period: str = "2026-05") -> list[int]:
    """A draft for each new tenant."""
    ledger = Ledger(engine)
    return [ledger.invoice(ledger.tenant(t), period=period) for t in tenants]


def activity(engine: sa.Engine, invoice_ids: list[int], seed: int = 7):
    """Issue every draft, then pay, void or credit them in a seeded mixed order; yields after each
    step so a test can deliver while events keep coming."""
    rng, now = random.Random(seed), datetime(2026, 5, 2, tzinfo=timezone.utc)
    for n, invoice_id in enumerate(invoice_ids):
        with engine.begin() as conn:
            apply_move(conn, invoice_id, "issue", now + timedelta(seconds=n))
        if n % 25 == 24:
            yield
    later = list(invoice_ids)
    rng.shuffle(later)
    for n, invoice_id in enumerate(later):
        with engine.begin() as conn:
            step = n % 4
            if step == 0:
                apply_move(conn, invoice_id, "void", now)
            elif step in (1, 2):
                apply_move(conn, invoice_id, "pay", now)
            if step != 0 and n % 3 == 0:
                create_credit_note(conn, invoice_id, "goodwill for the outage", None, now)
        if n % 25 == 24:
            yield


def issued_later(engine: sa.Engine, *tenants: str) -> list[int]:
    """A May invoice issued for each new tenant: the ids of their invoice.issued events."""
    for invoice_id in drafts(engine, *tenants):
        with engine.begin() as conn:
            apply_move(conn, invoice_id, "issue", NOW)
    return pushed_event_ids(engine, "issued")[-len(tenants):]


def pushed_event_ids(engine: sa.Engine, *kinds: str, months: bool | None = None) -> list[int]:
    """The events of these feed kinds (default: every pushed one) and, with `months` (default: when no
    kinds are named), the month.invoiced events, in id order: what an endpoint subscribed to them gets."""
    with engine.connect() as conn:
        ids = conn.scalars(sa.select(invoice_events.c.id).where(invoice_events.c.kind.in_(kinds or PUSHED_KINDS))).all()
        if months or (months is None and not kinds):
            ids += conn.scalars(sa.select(month_invoiced_events.c.id)).all()
    return sorted(ids)
