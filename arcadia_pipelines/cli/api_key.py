"""`arcadia-pipelines api-key create|revoke|list`: the invoice API's keys (api/keys.py)."""

from __future__ import annotations

from arcadia_pipelines.cli.common import UsageError, examples, positive_id
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "api-key"
ABOUT = "Create, list or revoke invoice API keys."
EXAMPLE = "api-key create --role tenant --tenant pilot"


def cmd_key_create(args) -> int:
    from arcadia_pipelines.api.keys import create_key

    if args.role == "tenant" and not args.tenant:
        raise UsageError("a tenant key needs --tenant ID")
    if args.role != "tenant" and args.tenant:
        raise UsageError(f"a {args.role} key sees every tenant; drop --tenant")
    with open_warehouse() as engine:
        key_id, key = create_key(engine, args.role, args.tenant)
    scope = f"tenant {args.tenant}" if args.tenant else "every tenant"
    # only the key on stdout, so KEY=$(arcadia-pipelines api-key create ...) captures exactly it
    print(f"created api key {key_id} ({args.role}, {scope}); it is shown only now, store it safely",
          file=args.stderr)
    print(key)
    return 0


def cmd_key_revoke(args) -> int:
    from arcadia_pipelines.api.keys import revoke_key

    with open_warehouse(existing=True) as engine:
        when, now = revoke_key(engine, args.id)
    print(f"api key {args.id} {'revoked' if now else 'was already revoked'} at {when.isoformat(timespec='seconds')}")
    return 0


def cmd_key_list(args) -> int:
    from arcadia_pipelines.api.keys import list_keys

    with open_warehouse(existing=True) as engine:
        rows = list_keys(engine)
    print(f"{'id':>5}  {'prefix':<10} {'role':<15} {'tenant':<20} {'created_at':<26} revoked_at")
    for r in rows:
        revoked = r["revoked_at"].isoformat(timespec="seconds") if r["revoked_at"] else "-"
        print(f"{r['id']:>5}  {r['key_prefix']:<10} {r['role']:<15} {r['tenant_id'] or '-':<20} "
              f"{r['created_at'].isoformat(timespec='seconds'):<26} {revoked}")
    return 0


def register(sub) -> None:
    k = sub.add_parser(VERB, help=ABOUT, description=ABOUT + " Only a key's SHA-256 hash is stored.",
                       epilog=examples("api-key create --role platform_admin", "api-key list", "api-key revoke 2"))
    verbs = k.add_subparsers(dest="verb", required=True, metavar="VERB")
    c = verbs.add_parser("create", help="create a key and print only it on stdout",
                         description="Create a key and print only the key on stdout (shown once: only its hash is "
                         "stored). A platform_admin key sees every tenant; a tenant key only --tenant's invoices.",
                         epilog=examples("api-key create --role platform_admin", EXAMPLE)
                         + "\n  PILOT_KEY=$(arcadia-pipelines api-key create --role tenant --tenant pilot)")
    c.add_argument("--role", required=True, choices=["platform_admin", "tenant"])
    c.add_argument("--tenant", metavar="ID", help="the tenant a tenant key is scoped to (required for a tenant key)")
    c.set_defaults(fn=cmd_key_create)
    r = verbs.add_parser("revoke", help="revoke a key by id (see `api-key list`)",
                         description="Revoke a key by its id from `api-key list`; it is refused from the next "
                         "request on.", epilog=examples("api-key revoke 2"))
    r.add_argument("id", type=positive_id("a key"))
    r.set_defaults(fn=cmd_key_revoke)
    verbs.add_parser("list", help="every key's id, prefix, role, tenant and dates (never the key)",
                     description="List every key's id, prefix, role, tenant and dates (never the key).",
                     epilog=examples("api-key list")).set_defaults(fn=cmd_key_list)
