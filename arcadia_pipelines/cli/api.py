"""`arcadia-pipelines api`: serve the invoice API (api/) over HTTP."""

from __future__ import annotations

import argparse
import socket

from arcadia_pipelines.cli.common import examples
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "api"
ABOUT = "Serve the invoice API over HTTP."
EXAMPLE = "api --port 8080"


def _port(text: str) -> int:
    if not (text.isdigit() and 1 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {text!r}")
    return int(text)


def _check_can_listen(host: str, port: int) -> None:
    """Refuse in one line before uvicorn starts and logs its own lines about a taken address."""
    try:
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OSError as e:
        raise ValueError(f"cannot listen on {host}:{port}: {e.strerror or e}; pick another --port or --host, "
                         "or stop what is using it") from None


def cmd_api(args) -> int:
    from arcadia_pipelines.api.server import serve

    _check_can_listen(args.host, args.port)
    with open_warehouse() as engine:
        serve(engine, args.host, args.port)
    return 0


def register(sub) -> None:
    a = sub.add_parser(VERB, help=ABOUT, epilog=examples("api", "api --host 0.0.0.0 --port 8080"),
                       description=ABOUT + " Reads the warehouse in ARCADIA_WAREHOUSE_URL (migrated at "
                       "startup); every request needs an API key (see api-key). OpenAPI at /api/v1/openapi.json.")
    a.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    a.add_argument("--port", type=_port, default=8080, help="default 8080")
    a.set_defaults(fn=cmd_api)
