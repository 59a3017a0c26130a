"""One line, always: every verb of the real `arcadia-pipelines` console script, walked through what
goes wrong around it (DAGSTER_HOME a file or impossible to create, its log unwritable, a database
we do not support, a mistyped SQLite path, a bad option), answers with exactly one line on stderr
naming what is wrong and what to do, no traceback; usage errors exit 2, the rest 1."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from arcadia_pipelines.cli import build_parser
from arcadia_pipelines_tests.test_cli import EXE

pytestmark = pytest.mark.slow


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


# Every leaf verb with arguments it would accept; the test below fails when a verb is added without
# joining the walk.
VERBS = {
    "migrate": [], "rollup": ["--period", "2026-04"], "quote": ["--plan", "studio", "--period", "2026-04"],
    "preview": ["--tenant", "pilot"], "demo": [], "api": ["--port", _free_port()],
    "api-key create": ["--role", "platform_admin"], "api-key list": [], "api-key revoke": ["1"],
    "invoice pdf": ["INV-000001"], "invoice csv": ["1"],
    "credit-note suggest": ["INV-000001"], "credit-note pdf": ["CN-000001"], "credit-note csv": ["1"],
    "explain": ["INV-000001"],
    "webhooks add": ["--url", "http://127.0.0.1:9/hook"], "webhooks list": [], "webhooks disable": ["1"],
    "webhooks enable": ["1"], "webhooks rotate-secret": ["1"], "webhooks redeliver": [], "webhooks deliver": [],
}
CREATES_THE_WAREHOUSE = {"migrate", "rollup", "demo", "api", "api-key create", "webhooks add"}  # the rest need it to exist
WRITES_NO_LOG = {"api"}  # a server: its logs go to the terminal


def leaves(parser, prefix=()) -> set[str]:
    subs = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    if not subs:
        return {" ".join(prefix)}
    return set().union(*(leaves(p, (*prefix, name)) for name, p in subs[0].choices.items()))


def test_the_walk_covers_every_verb():
    assert leaves(build_parser()) == set(VERBS)


def run(verb: str, env: dict, *extra: str, cwd: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "ARCADIA_WAREHOUSE_URL")}
    return subprocess.run([EXE, *verb.split(), *VERBS[verb], *extra], env={**base, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def one_line(p: subprocess.CompletedProcess, verb: str, code: int) -> str:
    assert (p.returncode, p.stdout) == (code, ""), (p.returncode, p.stdout, p.stderr)
    [line] = p.stderr.splitlines()
    assert line.startswith(f"arcadia-pipelines {verb}: error: ") and "Traceback" not in line, line
    return line.removeprefix(f"arcadia-pipelines {verb}: error: ")


@pytest.mark.parametrize("verb", VERBS)
def test_a_dagster_home_that_is_a_file_or_cannot_be_created(verb, tmp_path):
    a_file = tmp_path / "home"
    a_file.write_text("not a folder")
    for home, why in ((a_file, "it is a file"), (a_file / "under", "Not a directory")):
        line = one_line(run(verb, {"DAGSTER_HOME": str(home)}, cwd=tmp_path), verb, 1)
        assert line == (f"DAGSTER_HOME {home} is not a folder that can be created or written ({why}); "
                        "point DAGSTER_HOME at a folder you can write")


@pytest.mark.parametrize("verb", sorted(set(VERBS) - WRITES_NO_LOG))
def test_a_log_that_cannot_be_written(verb, tmp_path):
    (tmp_path / "arcadia-pipelines.log").mkdir()
    line = one_line(run(verb, {"DAGSTER_HOME": str(tmp_path)}, cwd=tmp_path), verb, 1)
    assert line == (f"cannot append to the log {tmp_path}/arcadia-pipelines.log (Is a directory); make it a file "
                    "you can write, remove it, or point DAGSTER_HOME at another folder")


@pytest.mark.parametrize("verb", VERBS)
def test_a_database_we_do_not_support_is_named_with_the_ones_we_do(verb, tmp_path):
    env = {"DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": "mysql://arcadia:hunter2@127.0.0.1/billing"}
    line = one_line(run(verb, env, cwd=tmp_path), verb, 1)
    assert line == ("the warehouse URL names 'mysql', which is not supported: set ARCADIA_WAREHOUSE_URL to a "
                    "postgresql:// (PostgreSQL) or sqlite:/// (SQLite) URL")


@pytest.mark.parametrize("verb", sorted(set(VERBS) - CREATES_THE_WAREHOUSE))
def test_a_mistyped_sqlite_path_is_refused_never_created(verb, tmp_path):
    typo = tmp_path / "wherehouse.db"
    env = {"DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": f"sqlite:///{typo}"}
    line = one_line(run(verb, env, cwd=tmp_path), verb, 1)
    assert line == (f"no warehouse at {typo}: check ARCADIA_WAREHOUSE_URL (or DAGSTER_HOME, whose warehouse.db is "
                    "the default), or create one with 'arcadia-pipelines migrate' or 'arcadia-pipelines demo'")
    assert not typo.exists() and not (tmp_path / "warehouse.db").exists()


@pytest.mark.parametrize("verb", VERBS)
def test_a_usage_error_exits_2_pointing_at_help(verb, tmp_path):
    line = one_line(run(verb, {"DAGSTER_HOME": str(tmp_path)}, "--no-such-option", cwd=tmp_path), verb, 2)
    assert line.endswith(f"; see 'arcadia-pipelines {verb} --help'"), line
