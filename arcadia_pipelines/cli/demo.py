"""`arcadia-pipelines demo`: the worked example on an embedded warehouse (demo/run.py)."""

from __future__ import annotations

from arcadia_pipelines.cli.common import CliError, examples

VERB = "demo"
ABOUT = "Invoice April 2026 on an embedded demo warehouse and print the invoices and costs."
EXAMPLE = "demo"


def cmd_demo(args) -> int:
    from arcadia_pipelines.demo.run import run_demo

    if run_demo() != 0:
        raise CliError("a demo run failed: its FAILED line above says why")
    return 0


def register(sub) -> None:
    sub.add_parser(VERB, help=ABOUT, epilog=examples(EXAMPLE),
                   description=ABOUT + " With DAGSTER_HOME set the runs stay in that instance."
                   ).set_defaults(fn=cmd_demo)
