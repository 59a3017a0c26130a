"""`arcadia-pipelines api` and `arcadia-pipelines api-key create|revoke|list`."""

from __future__ import annotations

import argparse


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


def cmd_api(args) -> int:
    from .server import serve

    serve(_engine(), args.host, args.port)
    return 0


def cmd_key_create(args) -> int:
    from .keys import create_key

    key_id, key = create_key(_engine(), args.role, args.tenant)
    scope = f"tenant {args.tenant}" if args.tenant else "every tenant"
    print(f"created api key {key_id} ({args.role}, {scope}); it is shown only now, store it safely:")
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
    a = sub.add_parser("api", help="serve the invoice API")
    a.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    a.add_argument("--port", type=_port, default=8080, help="default 8080")
    a.set_defaults(fn=cmd_api)

    k = sub.add_parser("api-key", help="create, revoke or list invoice API keys")
    verbs = k.add_subparsers(dest="verb", required=True)
    c = verbs.add_parser("create", help="print a new key (last line); only its hash is stored")
    c.add_argument("--role", required=True, choices=["platform_admin", "tenant"])
    c.add_argument("--tenant", metavar="ID", help="the tenant a tenant key is scoped to")
    c.set_defaults(fn=cmd_key_create)
    r = verbs.add_parser("revoke", help="revoke a key by id (see `api-key list`)")
    r.add_argument("id", type=_key_id)
    r.set_defaults(fn=cmd_key_revoke)
    verbs.add_parser("list", help="every key's id, prefix, role, tenant and dates (never the key)"
                     ).set_defaults(fn=cmd_key_list)
