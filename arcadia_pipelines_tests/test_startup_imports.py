"""Every CLI start and every code-location load imports the Dagster definitions; the libraries only
some commands or assets need (Parquet, PDF, countries, DigitalOcean, the HTTP server) are imported
where they are used, so that start-up stays cheap."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # loads the definitions in subprocesses

ONLY_WHERE_USED = {"pandas", "pyarrow", "numpy", "fpdf", "pycountry", "pydo", "azure", "requests", "urllib3",
                   "starlette", "uvicorn"}


def test_loading_the_definitions_and_the_cli_leaves_heavy_libraries_unimported():
    probe = ("import sys\n"
             "import arcadia_pipelines.cli as cli, arcadia_pipelines.definitions, arcadia_pipelines.dagster_runs.launch\n"
             "cli.build_parser()\n"
             "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n")
    loaded = _top_level_modules(probe)
    assert "dagster" in loaded
    assert loaded & ONLY_WHERE_USED == set()


def test_the_step_forkserver_preloads_what_a_step_process_would_import(tmp_path):
    """Each shard step's process is forked from a server that imported arcadia_pipelines.step_processes:
    the instance's storage classes (named by its dagster.yaml) and a resolved repository are
    already in memory, so opening the instance in the step imports next to nothing."""
    probe = ("import sys, dagster as dg\n"
             "import arcadia_pipelines.step_processes\n"
             "before = set(sys.modules)\n"
             "dg.DagsterInstance.get().dispose()\n"
             "print(len(set(sys.modules) - before))\n")
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    imported_later = int(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                                        check=True).stdout)
    cold = ("import sys, dagster as dg\n"
            "import arcadia_pipelines.definitions\n"
            "before = set(sys.modules)\n"
            "dg.DagsterInstance.get().dispose()\n"
            "print(len(set(sys.modules) - before))\n")
    imported_cold = int(subprocess.run([sys.executable, "-c", cold], capture_output=True, text=True, env=env,
                                       check=True).stdout)
    assert imported_later < imported_cold / 4, (imported_later, imported_cold)


def test_the_cli_help_imports_neither_dagster_nor_the_database_libraries():
    """`--help` of every verb, and the start of a verb that needs no Dagster, pays for neither Dagster
    nor SQLAlchemy, Alembic or cryptography (each verb imports what it needs when it runs)."""
    probe = ("import sys, contextlib, io\n"
             "from arcadia_pipelines.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
             "    main(['webhooks', 'add', '--help'])\n"
             "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n")
    loaded = _top_level_modules(probe)
    assert "arcadia_pipelines" in loaded
    assert loaded & {"dagster", "sqlalchemy", "alembic", "cryptography"} == set()


def _top_level_modules(probe: str) -> set[str]:
    """The top-level modules `probe` (a program printing them) finds imported, in a fresh Python."""
    return set(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split())
