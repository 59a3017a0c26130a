"""The README's CLI and invoice API examples, run as written against the demo, so they cannot drift.

In the CLI section each `$ command` is run and its output compared with the lines shown under it
(`...` alone on a line stands for any lines, `…` inside a line for any text). In the invoice API
section each line runs in order: `VAR=$(arcadia-pipelines ...)`, `arcadia-pipelines ...`, and
`curl` (sent with httpx to a real `arcadia-pipelines api`); a `# => [status] {json}` comment under a
request is what its answer must contain (`...` marks what the README leaves out)."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import time

import httpx
import pytest

from arcadia_pipelines_tests.test_cli import EXE, ROOT

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess

README = (ROOT / "README.md").read_text()
README_BASE_URL = "http://127.0.0.1:8080"


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def first_bash_block(text: str) -> list[str]:
    return re.search(r"```bash\n(.*?)```", text, re.DOTALL).group(1).splitlines()


def output_pattern(shown: list[str]) -> str:
    pattern = ""
    for line in shown:
        if line.strip() == "...":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += "[^\n]*".join(re.escape(part) for part in line.rstrip().split("…")) + r"\n"
    return pattern


def run(words: list[str], env: dict, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    assert words[0] == "arcadia-pipelines", words
    return subprocess.run([EXE, *words[1:]], env={**env, **(extra_env or {})}, capture_output=True, text=True,
                          timeout=180)


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory) -> dict:
    """`DAGSTER_HOME=... arcadia-pipelines demo`, as the README's examples assume."""
    home = tmp_path_factory.mktemp("readme_home")
    env = {k: v for k, v in os.environ.items() if k not in ("ARCADIA_WAREHOUSE_URL", "DIGITALOCEAN_TOKEN")}
    env["DAGSTER_HOME"] = str(home)
    p = subprocess.run([EXE, "demo"], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stderr == ""        # a fresh home: no telemetry banner, no missing dagster.yaml warning
    return env


def test_the_cli_sections_examples_print_what_the_readme_shows(demo_env):
    lines = first_bash_block(section("CLI"))
    examples: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("$ "):
            examples.append((line[2:], []))
        else:
            examples[-1][1].append(line)
    assert len(examples) >= 5
    for command, shown in examples:
        words = shlex.split(command)
        extra = dict(w.split("=", 1) for w in words if re.fullmatch(r"[A-Z_]+=.*", w))
        p = run([w for w in words if not re.fullmatch(r"[A-Z_]+=.*", w)], demo_env, extra)
        actual = "".join(line.rstrip() + "\n" for line in (p.stdout + p.stderr).splitlines())
        assert re.fullmatch(output_pattern(shown), actual), f"$ {command}\n{actual}"
        failed = any(": error: " in line for line in shown)
        assert (p.returncode != 0) == failed, f"$ {command}: exit {p.returncode}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def api_base(demo_env):
    port = _free_port()
    server = subprocess.Popen([EXE, "api", "--port", str(port)], env=demo_env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the API server did not start"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def contains(expected, actual) -> bool:
    """`expected` is `actual` with parts left out: dict keys anywhere, list items at the end."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and contains(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) <= len(actual) and \
            all(contains(e, a) for e, a in zip(expected, actual))
    return expected == actual


def _expectation(comment: str) -> tuple[int | None, object]:
    status, _, body = comment.removeprefix("# =>").strip().partition(" ")
    if not status.isdigit():
        status, body = "", comment.removeprefix("# =>").strip()
    body = re.sub(r",\s*\.\.\.", "", body).replace("{...}", "{}")
    return (int(status) if status else None), json.loads(body)


def _curl(words: list[str], base: str) -> httpx.Response:
    method, headers, url, i = "GET", {}, None, 1
    while i < len(words):
        if words[i] == "-s":
            i += 1
        elif words[i] in ("-X", "-H"):
            if words[i] == "-X":
                method = words[i + 1]
            else:
                name, _, value = words[i + 1].partition(":")
                headers[name] = value.strip()
            i += 2
        else:
            url, i = words[i], i + 1
    assert url and url.startswith(README_BASE_URL), words
    return httpx.request(method, base + url.removeprefix(README_BASE_URL), headers=headers, timeout=30)


def test_the_invoice_api_examples_answer_what_the_readme_shows(demo_env, api_base):
    variables: dict[str, str] = {}
    last: httpx.Response | None = None
    checked = 0
    for line in first_bash_block(section("Invoice API")):
        if line.startswith("# =>"):
            status, body = _expectation(line)
            assert last is not None, line
            assert (last.status_code == status) if status else last.is_success, (line, last.status_code, last.text)
            assert contains(body, last.json()), (line, last.text)
            checked += 1
            continue
        if not line.strip() or line.startswith("#"):
            continue
        assignment = re.fullmatch(r"(\w+)=\$\((.+)\)", line.strip())
        if assignment:
            p = run(shlex.split(assignment.group(2)), demo_env)
            assert p.returncode == 0 and re.fullmatch(r"ak_[A-Za-z0-9_-]{43}\n", p.stdout), (line, p.stderr)
            variables[assignment.group(1)] = p.stdout.strip()
            continue
        words = shlex.split(re.sub(r"\$(\w+)", lambda m: variables[m.group(1)], line), comments=True)
        if words[0] == "curl":
            last = _curl(words, api_base)
        else:
            p = run(words, demo_env)
            assert p.returncode == 0, (line, p.stderr)
    assert checked >= 6

