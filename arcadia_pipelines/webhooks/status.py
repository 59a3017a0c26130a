"""Per-endpoint figures for `webhooks list`, `GET /api/v1/webhooks` and the job's metadata: last
delivered event, lag (events of its types not yet delivered, and how old the oldest is), failures
in the last day and parked events. Never the secret."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from arcadia_pipelines.warehouse.schema import webhook_deliveries, webhook_endpoints, webhook_failures

from .endpoints import shown_url
from .events import count_after, events_after


def endpoint_status(conn: sa.Connection, now: datetime) -> list[dict]:
    e, d, f = webhook_endpoints, webhook_deliveries, webhook_failures
    out = []
    for ep in conn.execute(sa.select(e).order_by(e.c.id)):
        types = frozenset(ep.event_types.split(","))
        queued = conn.execute(sa.select(sa.func.count(), sa.func.min(d.c.event_id))
                              .where(d.c.endpoint_id == ep.id, d.c.parked_at.is_(None), d.c.event_id <= ep.cursor_event_id)).one()
        first = events_after(conn, types, min(ep.cursor_event_id, (queued[1] or ep.cursor_event_id + 1) - 1), 1)
        parked = conn.execute(sa.select(d.c.event_id, d.c.last_error).where(d.c.endpoint_id == ep.id,
                                                                          d.c.parked_at.is_not(None))
                              .order_by(d.c.event_id)).all()
        out.append({
            "id": ep.id, "url": shown_url(ep.url), "events": ep.event_types.split(","),
            "disabled": ep.disabled_at is not None,
            "last_delivered_event_id": ep.last_delivered_event_id,
            "last_delivered_at": ep.last_delivered_at.isoformat().replace("+00:00", "Z") if ep.last_delivered_at else None,
            "lag_events": count_after(conn, types, ep.cursor_event_id) + queued[0],
            "lag_seconds": max(0, int((now - first[0].occurred_at).total_seconds())) if first else 0,
            "failures_last_day": conn.scalar(sa.select(sa.func.count()).where(
                f.c.endpoint_id == ep.id, f.c.failed_at > now - timedelta(days=1))),
            "parked": len(parked), "parked_events": [{"event_id": p.event_id, "error": p.last_error} for p in parked],
        })
    return out
