"""What the benchmark ran on, for RESULTS.md."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib.metadata import version
from pathlib import Path

from .warehouses import pg_admin


def _proc(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def describe(backends: list[str]) -> list[tuple[str, str]]:
    mem_kb = _proc("/proc/meminfo", "MemTotal").split()[0]
    facts = [
        ("CPU", _proc("/proc/cpuinfo", "model name")),
        ("cores", str(os.cpu_count())),
        ("memory", f"{int(mem_kb) / 1024 / 1024:.1f} GiB" if mem_kb.isdigit() else mem_kb),
        ("OS", platform.platform()),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
    ]
    if "postgresql" in backends:
        admin = pg_admin()
        with admin.connect() as c:
            facts.append(("PostgreSQL", c.exec_driver_sql("SHOW server_version").scalar()))
            facts += [(f"PostgreSQL {k}", c.exec_driver_sql(f"SHOW {k}").scalar())
                      for k in ("shared_buffers", "work_mem", "synchronous_commit")]
        admin.dispose()
    facts += [(pkg, version(pkg)) for pkg in ("dagster", "sqlalchemy", "psycopg")]
    return facts
