"""arcadia-pipelines: month-end billing from the command line.

Every verb answers a failure with exactly one line on stderr (what is wrong and what to do) and a
non-zero exit; Dagster's own output goes to the run's event log, and anything else a library
writes to stderr goes to arcadia-pipelines.log in DAGSTER_HOME (or the temporary folder)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.cli import (api, api_key, credit_note, demo, explain, invoice, migrate, preview, quote,
                                   rollup, webhooks)
from arcadia_pipelines.cli.common import PROG, CliError, Parser, UsageError
from arcadia_pipelines.failures.lines import exception_line, one_line, underlying

# Each verb is one module with VERB, ABOUT (one sentence), EXAMPLE and register(subparsers);
# a new verb is one more module here. The top-level help lists them in this order.
VERB_MODULES = [migrate, rollup, quote, preview, demo, api, api_key, invoice, credit_note, explain, webhooks]
LOG_NAME = "arcadia-pipelines.log"


def build_parser() -> Parser:
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0],
               epilog="examples:\n" + "\n".join(f"  {PROG} {m.EXAMPLE}" for m in VERB_MODULES)
               + f"\n\nEach verb has its own help, e.g. '{PROG} quote --help'.")
    sub = p.add_subparsers(dest="command", required=True, metavar="VERB")
    for module in VERB_MODULES:
        module.register(sub)
    return p


def parse(parser: Parser, argv: list[str] | None):
    """The arguments; an unknown one is refused by the verb it was given to, so the line names
    that verb and its help."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        leaf = parser
        for name in filter(None, [args.command, getattr(args, "verb", None)]):
            leaf = next(a for a in leaf._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
        leaf.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def open_log() -> TextIO:
    """arcadia-pipelines.log in DAGSTER_HOME (or the temporary folder), opened for appending; a
    home or log that cannot be written is refused in one line before the verb starts."""
    from arcadia_pipelines.warehouse.engine import DagsterHomeUnavailable, dagster_home

    try:
        folder = dagster_home() if os.environ.get("DAGSTER_HOME") else Path(tempfile.gettempdir())
    except DagsterHomeUnavailable as e:
        raise CliError(str(e)) from None
    try:
        return open(folder / LOG_NAME, "a")
    except OSError as e:
        raise CliError(f"cannot append to the log {folder / LOG_NAME} ({e.strerror or e}); make it a file you can "
                       "write, remove it, or point DAGSTER_HOME at another folder") from None


@contextmanager
def stray_output_to_log(log: TextIO) -> Iterator[TextIO]:
    """While a verb runs, file descriptor 2 (banners, warnings, a driver's own prints) goes to the
    log; yields the terminal's stderr for the verb's own lines."""
    sys.stderr.flush()
    saved = os.dup(2)
    with log:
        os.dup2(log.fileno(), 2)
    terminal = os.fdopen(os.dup(saved), "w", buffering=1)
    try:
        yield terminal
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        terminal.close()


def _run(args) -> tuple[int, str | None]:
    """The verb's exit code and, on failure, its one line."""
    try:
        return args.fn(args), None
    except UsageError as e:
        return 2, one_line(str(e))
    except (CliError, BillingError, ValueError) as e:
        return 1, one_line(str(e))
    except KeyboardInterrupt:
        return 130, "interrupted"
    except BrokenPipeError:  # the reader (e.g. `| head`) has gone: nothing to tell it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141, None
    except Exception as e:  # a database or Dagster failure still gets one readable line
        return 1, exception_line(underlying(e))


# Start-up allocates a few hundred thousand objects that live until exit (Dagster's modules, the
# code location); with the default threshold (700) the collector walks them ~500 times, 0.3 s of a
# one-tenant rollup. Collecting every 30,000 allocations keeps cycles collected, a few dozen times.
PROGRAM_GC_THRESHOLD = (30_000, 20)


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the program itself: the process is ours
        gc.set_threshold(*PROGRAM_GC_THRESHOLD)
    args = parse(build_parser(), argv)
    verb = " ".join(filter(None, [args.command, getattr(args, "verb", None)]))
    if args.command == "api":      # a server: its own logs belong on the terminal
        args.stderr = sys.stderr
        code, line = _run(args)
    else:
        try:
            log = open_log()
        except CliError as e:
            code, line = 1, str(e)
        else:
            with stray_output_to_log(log) as terminal:
                args.stderr = terminal
                code, line = _run(args)
    if line:
        help_hint = f"; see '{PROG} {verb} --help'" if code == 2 else ""
        print(f"{PROG} {verb}: error: {line}{help_hint}", file=sys.stderr)
    if argv is None:  # the program itself, about to exit
        # The interpreter's last garbage collections would walk the ~200,000 objects Dagster
        # leaves behind, half a second of every command's time; leave them to process exit.
        gc.freeze()
    return code
