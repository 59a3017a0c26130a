"""The Dagster instance the CLI runs on, safe to open from several processes at once.

Dagster creates a fresh home's SQLite storages (tables and their Alembic stamp) when the
instance is first opened; two processes doing that at once can leave the home with two
Alembic heads, broken for good. So the first opening happens under an exclusive lock on a file
in the home, and a home without a `dagster.yaml` gets a minimal one with telemetry off (no
banner or missing-file warning on the terminal). A home that has a `dagster.yaml`, such as the
production one, is left as it is.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from arcadia_pipelines.failures.lines import exception_line, one_line, underlying
from arcadia_pipelines.warehouse.engine import dagster_home

LOCK_FILE = ".arcadia-instance.lock"
FRESH_HOME_CONFIG = """\
# Written by arcadia-pipelines on first use of this DAGSTER_HOME: runs, event logs and schedules
# in SQLite files here. For the production instance, copy the repository's dagster.yaml instead.
telemetry:
  enabled: false
"""


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_config_if_fresh(home: Path) -> None:
    if not any((home / name).exists() for name in ("dagster.yaml", "dagster.yml")):
        tmp = home / f".dagster.yaml.{os.getpid()}"
        tmp.write_text(FRESH_HOME_CONFIG)
        tmp.replace(home / "dagster.yaml")


@contextmanager
def open_instance() -> Iterator[dg.DagsterInstance]:
    """The DAGSTER_HOME instance; its storages are created (or migrated) by one process at a time."""
    home = dagster_home()
    os.environ["DAGSTER_HOME"] = str(home)
    with _exclusive(home / LOCK_FILE):
        _write_config_if_fresh(home)
        instance = _load(home)
    with instance:
        yield instance


class InstanceUnavailable(ValueError):
    """The home's dagster.yaml cannot be loaded or its storage cannot be reached, in one line."""


def _load(home: Path) -> dg.DagsterInstance:
    try:
        return dg.DagsterInstance.get()
    except dg.DagsterInvalidConfigError as e:
        reason = one_line(e.errors[0].message.split("Stack Trace:")[0] if e.errors else str(e))
        raise InstanceUnavailable(f"the Dagster instance in {home} cannot be loaded from its dagster.yaml: "
                                  f"{reason.rpartition('PostProcessingError: ')[2]}") from None
    except Exception as e:
        raise InstanceUnavailable(
            f"the Dagster instance in {home} cannot open its storage: "
            + exception_line(underlying(e), "check the storage in its dagster.yaml (e.g. DAGSTER_POSTGRES_URL) "
                             "and that its database is up")) from None
