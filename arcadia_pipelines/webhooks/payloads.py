"""The request body: `{"id", "type", "created_at", "data"}`, `data` being the invoice or credit
note exactly as the API returns it now (api/invoices_repo.py, api/credit_notes.py; an invoice with
its lines, tax, credited amount and balance), or the month's summary for month.invoiced.
Compact ASCII JSON, so the bytes signed are the bytes sent."""

from __future__ import annotations

import json

import sqlalchemy as sa

from arcadia_pipelines.api.credit_notes import note_json
from arcadia_pipelines.api.invoices_repo import get_invoice
from arcadia_pipelines.api.keys import Principal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.credit_notes import get_credit_note
from arcadia_pipelines.warehouse.schema import month_invoiced_events

from .event_types import MONTH_INVOICED
from .events import Event

_EVERY_TENANT = Principal(key_id=0, role="platform_admin", tenant_id=None)


def _utc(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _month(conn: sa.Connection, event: Event) -> dict:
    m = month_invoiced_events
    row = conn.execute(sa.select(m).where(m.c.id == event.id)).one()
    return {"period_start": row.period_start.isoformat(), "period_end": Period(row.period_start).end.isoformat(),
            "invoices": row.invoices, "failed_tenants": row.failed_tenants,
            "totals": [{"currency": c, "total_cents": cents} for c, cents in sorted(json.loads(row.totals).items())]}


def event_data(conn: sa.Connection, event: Event) -> dict:
    if event.type == MONTH_INVOICED:
        return _month(conn, event)
    if event.credit_note_id is not None:
        return note_json(get_credit_note(conn, event.credit_note_id))
    return get_invoice(conn, _EVERY_TENANT, event.invoice_id)


def body(conn: sa.Connection, event: Event) -> bytes:
    return json.dumps({"id": event.id, "type": event.type, "created_at": _utc(event.occurred_at),
                       "data": event_data(conn, event)}, separators=(",", ":")).encode("ascii")
