"""`arcadia-pipelines migrate`: create or upgrade the warehouse's tables."""

from __future__ import annotations

from arcadia_pipelines.cli.common import examples
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "migrate"
ABOUT = "Create or upgrade every table in the warehouse (ARCADIA_WAREHOUSE_URL)."
EXAMPLE = "migrate"


def cmd_migrate(args) -> int:
    from arcadia_pipelines.warehouse.engine import redacted
    from arcadia_pipelines.warehouse.migrate import upgrade

    with open_warehouse() as engine:
        print(f"warehouse {redacted(str(engine.url.render_as_string(hide_password=False)))} "
              f"is at schema revision {upgrade(engine)}")
    return 0


def register(sub) -> None:
    sub.add_parser(VERB, help=ABOUT, epilog=examples(EXAMPLE),
                   description=ABOUT + " Idempotent; every run also does it.").set_defaults(fn=cmd_migrate)
