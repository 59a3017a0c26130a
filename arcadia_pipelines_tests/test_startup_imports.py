"""Every CLI start and every code-location load imports the Dagster definitions; the libraries only
some commands or assets need (Parquet, PDF, countries, DigitalOcean, the HTTP server) are imported
where they are used, so that start-up stays cheap."""

import subprocess
import sys

ONLY_WHERE_USED = {"pandas", "pyarrow", "numpy", "fpdf", "pycountry", "pydo", "azure", "requests", "urllib3",
                   "starlette", "uvicorn"}


def test_loading_the_definitions_and_the_cli_leaves_heavy_libraries_unimported():
    probe = ("import sys\n"
             "import arcadia_pipelines.cli as cli, arcadia_pipelines.definitions, arcadia_pipelines.runs\n"
             "cli.build_parser()\n"
             "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n")
    loaded = set(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                check=True).stdout.split())
    assert "dagster" in loaded
    assert loaded & ONLY_WHERE_USED == set()
