"""The README's "Why this number?" examples, run as written against the demo: the `explain`
commands print what it shows, the API answers contain what it shows, its SQL finds the droplets."""

import re
import shlex
import sqlite3
from pathlib import Path

import pytest

from arcadia_pipelines_tests.test_readme import (_curl, _expectation, api_base, contains, demo_env,  # noqa: F401
                                                 output_pattern, run, section)

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess

WHY = section("Why this number?")


def blocks(language: str) -> list[list[str]]:
    return [b.splitlines() for b in re.findall(rf"```{language}\n(.*?)```", WHY, re.DOTALL)]


def test_explain_prints_what_the_readme_shows(demo_env):  # noqa: F811
    examples: list[tuple[str, list[str]]] = []
    for line in blocks("bash")[0]:
        if line.startswith("$ "):
            examples.append((line[2:], []))
        else:
            examples[-1][1].append(line)
    assert [c for c, _ in examples] == ["arcadia-pipelines explain 3", "arcadia-pipelines explain 2"]
    for command, shown in examples:
        p = run(shlex.split(command), demo_env)
        assert p.returncode == 0, p.stderr
        assert re.fullmatch(output_pattern(shown), p.stdout), f"$ {command}\n{p.stdout}"


def test_the_api_answers_what_the_readme_shows(demo_env, api_base):  # noqa: F811
    key = run(["arcadia-pipelines", "api-key", "create", "--role", "tenant", "--tenant", "pilot"], demo_env)
    requests, expected = [], []
    for line in blocks("bash")[1]:
        if line.startswith("curl"):
            requests.append(shlex.split(line.replace("$PILOT_KEY", key.stdout.strip())))
            expected.append("")
        else:
            expected[-1] += line.removeprefix("#").strip() + " "
    assert len(requests) == 2
    for words, comment in zip(requests, expected, strict=True):
        status, body = _expectation("# " + comment)
        answer = _curl(words, api_base)
        assert answer.status_code == (status or 200)
        assert contains(body, answer.json()), answer.text


def test_the_sql_finds_the_droplets_behind_the_overage(demo_env):  # noqa: F811
    [sql] = blocks("sql")
    with sqlite3.connect(Path(demo_env["DAGSTER_HOME"]) / "warehouse.db") as c:
        found = c.execute("\n".join(sql)).fetchall()
    assert [(r[0], r[4], r[7], r[9]) for r in found] == [(3, f"9100{n}", 720, "720") for n in range(3)]
