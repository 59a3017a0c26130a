"""`arcadia-pipelines api` and `arcadia-pipelines api-key create|revoke|list`."""

from __future__ import annotations

import argparse
import socket

from arcadia_pipelines.cli import VERBS, examples


def _port(text: str) -> int:
    if not (text.isdigit() and 1 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {text!r}")
    return int(text)


def _key_id(text: str) -> int:
    if not (text.isdigit() and 1 <= int(text) < 2**63):
        raise argparse.ArgumentTypeError(f"a key id is a positive whole number, got {text!r}")
    return int(text)


def _engine():
    from arcadia_pipelines.warehouse.engine import create_warehouse_engine
    from arcadia_pipelines.warehouse.migrate import upgrade

    engine = create_warehouse_engine()
    upgrade(engine)
    return engine


def _check_can_listen(host: str, port: int) -> None:
    """Refuse in one line before uvicorn starts and logs its own lines about a taken address."""
    try:
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OSError as e:
        raise ValueError(f"cannot listen on {host}:{port}: {e.strerror or e}; pick another --port or --host, "
                         "or stop what is using it") from None


def cmd_api(args) -> int:
    from .server import serve

    _check_can_listen(args.host, args.port)
    serve(_engine(), args.host, args.port)
    return 0


def cmd_key_create(args) -> int:
    from .keys import create_key

    key_id, key = create_key(_engine(), args.role, args.tenant)
    scope = f"tenant {args.tenant}" if args.tenant else "every tenant"
    # only the key on stdout, so KEY=$(arcadia-pipelines api-key create ...) captures exactly it
    print(f"created api key {key_id} ({args.role}, {scope}); it is shown only now, store it safely",
          file=args.stderr)
    print(key)
    return 0


def cmd_key_revoke(args) -> int:
    from .keys import revoke_key

    when, now = revoke_key(_engine(), args.id)
    print(f"api key {args.id} {'revoked' if now else 'was already revoked'} at {when.isoformat(timespec='seconds')}")
    return 0


def cmd_key_list(args) -> int:
    from .keys import list_keys

    rows = list_keys(_engine())
    print(f"{'id':>5}  {'prefix':<10} {'role':<15} {'tenant':<20} {'created_at':<26} revoked_at")
    for r in rows:
        revoked = r["revoked_at"].isoformat(timespec="seconds") if r["revoked_at"] else "-"
        print(f"{r['id']:>5}  {r['key_prefix']:<10} {r['role']:<15} {r['tenant_id'] or '-':<20} "
              f"{r['created_at'].isoformat(timespec='seconds'):<26} {revoked}")
    return 0


def add_commands(sub) -> None:
    """Register `api` and `api-key` on the top-level subparsers."""
    about = {verb: sentence for verb, sentence, _ in VERBS}
    a = sub.add_parser("api", help=about["api"], epilog=examples("api", "api --host 0.0.0.0 --port 8080"),
                       description=about["api"] + " Reads the warehouse in ARCADIA_WAREHOUSE_URL (migrated at "
                       "startup); every request needs an API key (see api-key). OpenAPI at /api/v1/openapi.json.")
    a.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    a.add_argument("--port", type=_port, default=8080, help="default 8080")
    a.set_defaults(fn=cmd_api)

    k = sub.add_parser("api-key", help=about["api-key"],
                       description=about["api-key"] + " Only a key's SHA-256 hash is stored.",
                       epilog=examples("api-key create --role platform_admin", "api-key list", "api-key revoke 2"))
    verbs = k.add_subparsers(dest="verb", required=True, metavar="VERB")
    c = verbs.add_parser("create", help="create a key and print only it on stdout",
                         description="Create a key and print only the key on stdout (shown once: only its hash is "
                         "stored). A platform_admin key sees every tenant; a tenant key only --tenant's invoices.",
                         epilog=examples("api-key create --role platform_admin",
                                         "api-key create --role tenant --tenant pilot")
                         + "\n  PILOT_KEY=$(arcadia-pipelines api-key create --role tenant --tenant pilot)")
    c.add_argument("--role", required=True, choices=["platform_admin", "tenant"])
    c.add_argument("--tenant", metavar="ID", help="the tenant a tenant key is scoped to")
    c.set_defaults(fn=cmd_key_create)
    r = verbs.add_parser("revoke", help="revoke a key by id (see `api-key list`)",
                         description="Revoke a key by its id from `api-key list`; it is refused from the next "
                         "request on.", epilog=examples("api-key revoke 2"))
    r.add_argument("id", type=_key_id)
    r.set_defaults(fn=cmd_key_revoke)
    verbs.add_parser("list", help="every key's id, prefix, role, tenant and dates (never the key)",
                     description="List every key's id, prefix, role, tenant and dates (never the key).",
                     epilog=examples("api-key list")).set_defaults(fn=cmd_key_list)
