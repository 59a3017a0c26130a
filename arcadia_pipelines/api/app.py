"""The Starlette application of the invoice API (CONTRACT.md, "Invoice API").

Endpoints are plain functions: Starlette runs them in its thread pool, where blocking
SQLAlchemy calls belong. Reads and moves go through separate engines (engines.py).
"""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arcadia_pipelines.warehouse.migrate import upgrade

from .auth import principal, reading
from .credit_notes import credit_note_routes
from .documents import document_routes
from .engines import ApiEngines
from .errors import EXCEPTION_HANDLERS, log
from .events import events_routes
from .invoices_repo import MOVES, get_invoice, list_page, move
from .limits import RequestSizeLimits
from .openapi import DOCUMENT
from .params import invoice_id, list_query
from .preview import preview_routes
from .usage_evidence import usage_routes
from .webhooks import webhook_routes


def create_app(engine: sa.Engine) -> Starlette:
    """The API on `engine`'s warehouse, which it migrates at startup; requests use the API's own
    engines on the same URL, disposed at shutdown."""
    db = ApiEngines.on(engine.url)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await run_in_threadpool(upgrade, engine)
        yield
        db.dispose()

    def list_invoices(request: Request) -> JSONResponse:
        with reading(request, db.reads) as (who, conn):
            data, next_cursor = list_page(conn, who, list_query(request.query_params))
        return JSONResponse({"data": data, "next_cursor": next_cursor})

    def show_invoice(request: Request) -> JSONResponse:
        with reading(request, db.reads) as (who, conn):
            return JSONResponse({"data": get_invoice(conn, who, invoice_id(request.path_params["id"]))})

    def move_endpoint(name: str):
        def endpoint(request: Request) -> JSONResponse:
            who = principal(request, db.reads, admin_only=True)
            invoice = move(db.moves, who, invoice_id(request.path_params["id"]), name)
            log.info("invoice %s is now %s (api key %s)", invoice["id"], invoice["status"], who.key_id)
            return JSONResponse({"data": invoice})
        return endpoint

    def openapi(_request: Request) -> JSONResponse:
        return JSONResponse(DOCUMENT)

    routes = [
        Route("/api/v1/openapi.json", openapi, methods=["GET"]),
        Route("/api/v1/invoices", list_invoices, methods=["GET"]),
        *preview_routes(db),  # before /invoices/{id}, which would take "preview" for an id
        Route("/api/v1/invoices/{id}", show_invoice, methods=["GET"]),
        *(Route(f"/api/v1/invoices/{{id}}/{name}", move_endpoint(name), methods=["POST"]) for name in MOVES),
        *credit_note_routes(db),
        *usage_routes(db),
        *document_routes(db),
        *events_routes(db),
        *webhook_routes(db),
    ]
    return Starlette(routes=routes, middleware=[Middleware(RequestSizeLimits)], exception_handlers=EXCEPTION_HANDLERS,
                     lifespan=lifespan)
