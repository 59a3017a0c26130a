"""Webhooks: the events feed pushed to finance endpoints, signed, retried in order and replayable.

event_types.py and events.py (which events, in which order), payloads.py (the JSON body), signing.py (the
Arcadia-Signature header), secret_box.py (signing secrets encrypted at rest), endpoints.py (the
endpoints' table), delivery.py (one delivery pass), status.py (per-endpoint figures).
"""
