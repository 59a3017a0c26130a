"""`arcadia-pipelines webhooks add|list|disable|enable|rotate-secret|redeliver|deliver`."""

from __future__ import annotations

import argparse
import json

from arcadia_pipelines.cli.common import CliError, examples, positive_id
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "webhooks"
ABOUT = ("Push invoice events to finance endpoints, signed and retried: add, list, disable, rotate-secret, "
         "redeliver, deliver.")
EXAMPLE = "webhooks add --url https://ledger.example.com/arcadia"


def _checked(check_name: str):
    """An argument type running webhooks/endpoints.py's `check_name` on the text; the module (with
    SQLAlchemy and cryptography) is imported only when the argument is given, not at every start."""
    def parse(text: str) -> str:
        from arcadia_pipelines.webhooks import endpoints

        try:
            getattr(endpoints, check_name)(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        return text
    return parse


def cmd_add(args) -> int:
    from arcadia_pipelines.webhooks.endpoints import add_endpoint

    with open_warehouse() as engine:
        endpoint_id, secret = add_endpoint(engine, args.url, args.events)
    # only the secret on stdout, so SECRET=$(arcadia-pipelines webhooks add ...) captures exactly it
    print(f"added webhook endpoint {endpoint_id}; its signing secret is shown only now, store it safely",
          file=args.stderr)
    print(secret)
    return 0


def cmd_list(args) -> int:
    from arcadia_pipelines.webhooks.delivery import utc_now
    from arcadia_pipelines.webhooks.status import endpoint_status

    with open_warehouse(existing=True) as engine, engine.connect() as conn:
        rows = endpoint_status(conn, utc_now())
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':>4}  {'status':<8} {'last_event':>10} {'lag':>6} {'lag_s':>7} {'fail_1d':>7} {'parked':>6}  url  events")
    for r in rows:
        print(f"{r['id']:>4}  {'disabled' if r['disabled'] else 'enabled':<8} {r['last_delivered_event_id'] or '-':>10} "
              f"{r['lag_events']:>6} {r['lag_seconds']:>7} {r['failures_last_day']:>7} {r['parked']:>6}  "
              f"{r['url']}  {','.join(r['events'])}")
        for p in r["parked_events"]:
            print(f"      parked event {p['event_id']}: {p['error']}")
    return 0


def _set_disabled(disabled: bool):
    def cmd(args) -> int:
        from arcadia_pipelines.webhooks.endpoints import set_disabled

        with open_warehouse(existing=True) as engine:
            changed = set_disabled(engine, args.id, disabled)
        state = "disabled" if disabled else "enabled"
        print(f"webhook endpoint {args.id} {state if changed else 'was already ' + state}")
        return 0
    return cmd


def cmd_rotate(args) -> int:
    from arcadia_pipelines.webhooks.endpoints import rotate_secret

    with open_warehouse(existing=True) as engine:
        secret = rotate_secret(engine, args.id)
    print(f"webhook endpoint {args.id} has a new signing secret, shown only now; requests are signed with it "
          "from now on", file=args.stderr)
    print(secret)
    return 0


def cmd_redeliver(args) -> int:
    from arcadia_pipelines.webhooks.endpoints import redeliver

    with open_warehouse(existing=True) as engine:
        n = redeliver(engine, args.endpoint, args.from_event)
    scope = f"endpoint {args.endpoint}" if args.endpoint else "every endpoint"
    if args.from_event is None:
        print(f"{n} parked event(s) of {scope} queued again; the next delivery pass sends them")
    else:
        print(f"{scope} will get every event from {args.from_event} on again, in order, from the next delivery pass")
    return 0


def cmd_deliver(args) -> int:
    from arcadia_pipelines.webhooks.delivery import deliver_pass

    with open_warehouse(existing=True) as engine:
        r = deliver_pass(engine)
    if r.busy:
        raise CliError("another delivery pass (a deliver_webhooks run?) is running; try again when it ends")
    waiting = f"; {len(r.waiting)} endpoint(s) wait for a retry, the next at " \
              f"{min(r.waiting.values()).isoformat(timespec='seconds')}" if r.waiting else ""
    print(f"delivered {r.delivered} event(s), {r.failed} failed attempt(s), {len(r.parked)} parked{waiting}")
    for endpoint, event, why in r.parked:
        print(f"endpoint {endpoint}: event {event} parked after the attempt limit ({why})")
    return 0


def register(sub) -> None:
    """`webhooks` and its sub-verbs, one per move of an endpoint."""
    from arcadia_pipelines.webhooks.event_types import EVENT_TYPES

    w = sub.add_parser(VERB, help=ABOUT,
                       description=ABOUT + " Requests are signed (Arcadia-Signature); see the README's "
                       "Webhooks section for the payload and how to verify it.",
                       epilog=examples(EXAMPLE, "webhooks list",
                                       "webhooks redeliver --endpoint 1 --from 120", "webhooks deliver"))
    verbs = w.add_subparsers(dest="verb", required=True, metavar="VERB")
    a = verbs.add_parser("add", help="add an endpoint and print only its signing secret on stdout",
                         description="Add an endpoint and print only its signing secret on stdout (shown once: it is "
                         "stored encrypted). It receives the events from now on.",
                         epilog=examples("webhooks add --url https://ledger.example.com/arcadia --events "
                                         "invoice.issued,invoice.paid")
                         + "\n  SECRET=$(arcadia-pipelines webhooks add --url https://ledger.example.com/arcadia)")
    a.add_argument("--url", required=True, type=_checked("check_url"), help="http:// or https:// URL events are POSTed to")
    a.add_argument("--events", metavar="TYPE,...", type=_checked("parse_event_types"),
                   help=f"event types to send (default every one): {', '.join(EVENT_TYPES)}")
    a.set_defaults(fn=cmd_add)
    ls = verbs.add_parser("list", help="every endpoint: last delivered event, lag, failures, parked events",
                          description="Every endpoint with its last delivered event, lag (events and seconds), "
                          "failures in the last day and parked events (never its secret).",
                          epilog=examples("webhooks list", "webhooks list --json"))
    ls.add_argument("--json", action="store_true", help="as JSON")
    ls.set_defaults(fn=cmd_list)
    for name, disabled, text in (("disable", True, "stop sending to an endpoint; it keeps its place"),
                                 ("enable", False, "resume a disabled endpoint where it stopped")):
        v = verbs.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".",
                             epilog=examples(f"webhooks {name} 1"))
        v.add_argument("id", type=positive_id("an endpoint"))
        v.set_defaults(fn=_set_disabled(disabled))
    r = verbs.add_parser("rotate-secret", help="a new signing secret for an endpoint, printed once on stdout",
                         description="Give an endpoint a new signing secret and print only it on stdout; requests are "
                         "signed with it from now on.", epilog=examples("webhooks rotate-secret 1"))
    r.add_argument("id", type=positive_id("an endpoint"))
    r.set_defaults(fn=cmd_rotate)
    rd = verbs.add_parser("redeliver", help="send parked events again, or every event from an id on",
                          description="Without --from: queue the parked (dead) events again. With --from: send every "
                          "event from EVENT_ID on again, in order. Every endpoint unless --endpoint.",
                          epilog=examples("webhooks redeliver --endpoint 1", "webhooks redeliver --endpoint 1 --from 120"))
    rd.add_argument("--endpoint", metavar="ID", type=positive_id("an endpoint"))
    rd.add_argument("--from", dest="from_event", metavar="EVENT_ID", type=positive_id("an event"))
    rd.set_defaults(fn=cmd_redeliver)
    verbs.add_parser("deliver", help="one delivery pass now, in the foreground",
                     description="One delivery pass now, in the foreground (for hosts without the Dagster daemon): "
                     "sends every due event and exits 0 when nothing is left to deliver right now (retries not due "
                     "yet wait for a later pass).", epilog=examples("webhooks deliver")).set_defaults(fn=cmd_deliver)
