"""The README runs as written: every ```bash block, in order, in one shell whose variables and
exports carry from block to block (so the demo's warehouse and the keys created in one section
serve the next), with the output it shows.

How a block is read:
- `$ command` lines make a transcript: the lines under a command up to the next one are its
  output (stdout and stderr), `...` alone on a line standing for any lines and `…` inside a line
  for any text; it must fail (non-zero exit) exactly when its output shows `: error: `.
- Other lines are commands (a trailing `\\` continues one); each must exit 0.
- `# => [STATUS] {json}` under a request is what its answer contains (`...` marks what the README
  leaves out; a comment may run on over following `#` lines); a request without one must answer
  2xx. Other `#` lines are comments.
- `<!-- not run: WHY -->` on the line before a block leaves it out, saying why.

Requests go to a real `arcadia-pipelines api` the test starts on a free port (`curl` is the real
one, its `127.0.0.1:8080` pointed at that port); a long-running command (`dg dev`) is started, its
UI awaited, and stopped."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from arcadia_pipelines_tests.test_cli import ROOT

README_PATH = ROOT / "README.md"
README_API = "127.0.0.1:8080"
STATUS = re.compile(r"\n?\[http (\d{3})\]\n")
NOT_RUN = re.compile(r"<!-- not run: (.+?) -->")
# commands that serve until stopped: how to tell they are up (their port, from -p/--port or the default)
LONG_RUNNING = {("dg", "dev"): 3000, ("arcadia-pipelines", "api"): 8080}


@dataclass
class Command:
    text: str
    line: int                      # where it is in README.md
    transcript: bool
    shown: list[str] = field(default_factory=list)
    answer: str | None = None      # the `# =>` comment under it


@dataclass
class Block:
    section: str
    line: int
    commands: list[Command]
    not_run: str | None


def _expectation(comment: str) -> tuple[int | None, object]:
    status, _, body = comment.removeprefix("# =>").strip().partition(" ")
    if not status.isdigit():
        status, body = "", comment.removeprefix("# =>").strip()
    body = re.sub(r",\s*\.\.\.", "", body).replace("{...}", "{}").replace("[...]", "[]")
    return (int(status) if status else None), json.loads(body)


def _complete(comment: str) -> bool:
    try:
        _expectation(comment)
        return True
    except ValueError:
        return False


def parse_block(lines: list[str], first_line: int) -> list[Command]:
    transcript = any(line.startswith("$ ") for line in lines)
    commands: list[Command] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("# =>"):
            answer = line
            while not _complete(answer) and i + 1 < len(lines) and lines[i + 1].startswith("#"):
                i += 1
                answer += " " + lines[i].lstrip("#").strip()
            commands[-1].answer = answer
        elif transcript and commands and not line.startswith(("$ ", "#")):
            commands[-1].shown.append(line)
        elif line.strip() and not line.startswith("#"):
            start, text = i, line.removeprefix("$ ") if transcript else line
            while text.rstrip().endswith("\\"):
                i += 1
                text += "\n" + lines[i]
            commands.append(Command(text, first_line + start, transcript))
        i += 1
    return commands


def readme_blocks(text: str) -> list[Block]:
    blocks, section = [], ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("## "):
            section = lines[i][3:]
        if lines[i].strip() == "```bash":
            end = lines.index("```", i + 1)
            not_run = NOT_RUN.fullmatch(lines[i - 1].strip())
            blocks.append(Block(section, i + 1, parse_block(lines[i + 1:end], i + 2),
                                not_run.group(1) if not_run else None))
            i = end
        i += 1
    return blocks


def output_pattern(shown: list[str]) -> str:
    pattern = ""
    for line in shown:
        if line.strip() == "...":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += "[^\n]*".join(re.escape(part) for part in line.rstrip().split("…")) + r"\n"
    return pattern


def contains(expected, actual) -> bool:
    """`expected` is `actual` with parts left out: dict keys anywhere, list items at the end."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and contains(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) <= len(actual) and \
            all(contains(e, a) for e, a in zip(expected, actual))
    return expected == actual


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
        return True
    except httpx.TransportError:
        return False


class Shell:
    """One shell session as a reader's terminal: each command runs in bash with the variables and
    exports the earlier ones left (`set -a`: assignments are exported too)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.state = folder.parent / "shell_state.sh"
        self.state.write_text("")
        shims = folder.parent / "shims"
        shims.mkdir()
        (shims / "curl").write_text(
            "#!/bin/bash\n# the README's curl: its 127.0.0.1:8080 is the test's API server; the status on a last line\n"
            'args=(); for a in "$@"; do args+=("${a//' + README_API + '/$README_TEST_API}"); done\n'
            f'exec {shutil.which("curl")} -w "\\n[http %{{http_code}}]\\n" "${{args[@]}}"\n')
        (shims / "curl").chmod(0o755)
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("DAGSTER_", "ARCADIA_", "DIGITALOCEAN_", "VIRTUAL_ENV"))}
        self.env = {**keep, "PATH": f"{shims}:{Path(sys.executable).parent}:{os.environ['PATH']}",
                    "README_TEST_API": "127.0.0.1:1"}
        self.servers: list[subprocess.Popen] = []

    def _script(self, command: str) -> str:
        return (f"set -a -o pipefail\nsource {self.state}\n{command}\nstatus=$?\n"
                f"export -p | grep -v README_TEST_API > {self.state}\nexit $status\n")

    def run(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", self._script(command)], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=600)

    def value(self, name: str) -> str:
        return self.run(f'printf %s "${name}"').stdout

    def serve(self, command: str, port: int) -> subprocess.Popen:
        """Start a command that serves until stopped, and wait until `port` answers."""
        assert not _answers(port), f"port {port} is taken: cannot run `{command}` as the README says"
        log = open(self.folder.parent / f"server-{len(self.servers)}.log", "w")
        server = subprocess.Popen(["bash", "-c", f"set -a\nsource {self.state}\nexec {command}"], cwd=self.folder,
                                  env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.servers.append(server)
        deadline = time.monotonic() + 180
        while not _answers(port):
            assert server.poll() is None, f"`{command}` stopped: {Path(log.name).read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"`{command}` did not answer on port {port} in 180 s"
            time.sleep(0.5)
        return server

    def stop(self, server: subprocess.Popen) -> None:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server and what it started (dg dev's webserver, daemon)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

    def start_api(self) -> None:
        """The README's `arcadia-pipelines api`, on a free port its curl is pointed at."""
        port = _free_port()
        self.serve(f"arcadia-pipelines api --port {port}", port)
        self.env["README_TEST_API"] = f"127.0.0.1:{port}"


def _long_running(command: str) -> int | None:
    words = command.split("#")[0].split()
    words = [words[0].rsplit("/", 1)[-1], *words[1:]] if words else words
    default = LONG_RUNNING.get(tuple(words[:2]))
    if default is None:
        return None
    flags = dict(zip(words, words[1:]))
    return int(flags.get("-p") or flags.get("--port") or default)


def check(shell: Shell, block: Block, c: Command) -> None:
    where = f"README.md:{c.line} ({block.section}): {c.text}"
    if README_API in c.text and shell.env["README_TEST_API"] == "127.0.0.1:1":
        shell.start_api()
    port = _long_running(c.text)
    if port is not None:
        shell.stop(shell.serve(c.text, port))
        return
    p = shell.run(c.text)
    output = p.stdout + p.stderr
    statuses = [int(s) for s in STATUS.findall(output)]
    body = STATUS.sub("", p.stdout)
    if c.answer:
        status, expected = _expectation(c.answer)
        assert statuses and (statuses[-1] == status if status else 200 <= statuses[-1] < 300), (where, output)
        assert contains(expected, json.loads(body)), f"{where}\nanswered: {body}"
    else:
        assert all(200 <= s < 300 for s in statuses), f"{where}\nanswered: {output}"
    if c.transcript and not c.answer:
        actual = "".join(line.rstrip() + "\n" for line in STATUS.sub("", output).splitlines())
        assert re.fullmatch(output_pattern(c.shown), actual), f"{where}\nprinted:\n{actual}"
        failed = any(": error: " in line for line in c.shown)
        assert (p.returncode != 0) == failed, f"{where}: exit {p.returncode}\n{output}"
    else:
        assert p.returncode == 0, f"{where}: exit {p.returncode}\n{output}"


@pytest.mark.slow
def test_every_shell_example_runs_as_written_in_order(tmp_path):
    blocks = readme_blocks(README_PATH.read_text())
    run = [b for b in blocks if not b.not_run]
    assert len(run) >= 10 and sum(len(b.commands) for b in run) >= 50
    folder = tmp_path / "repo"       # the reader's checkout: the README runs from the repository root
    folder.mkdir()
    for name in (".venv", "pyproject.toml", "workspace.yaml", "dagster.yaml", "arcadia_pipelines"):
        (folder / name).symlink_to(Path(sys.prefix) if name == ".venv" else ROOT / name)
    shell = Shell(folder)
    try:
        for block in run:
            for command in block.commands:
                check(shell, block, command)
        # the "Why this number?" SQL, on the warehouse the examples used
        why = README_PATH.read_text().split("\n## Why this number?\n")[1].split("\n## ")[0]
        [sql] = re.findall(r"```sql\n(.*?)```", why, re.DOTALL)
        with sqlite3.connect(Path(shell.value("DAGSTER_HOME")) / "warehouse.db") as c:
            found = c.execute(sql).fetchall()
        assert [(r[0], r[4], r[7], r[9]) for r in found] == [(3, f"9100{n}", 720, "720") for n in range(3)]
    finally:
        for server in shell.servers:
            shell.stop(server)


def test_the_reader_sees_every_block_run_or_told_why_not():
    """The extractor finds each block's commands, and leaves out only blocks marked not run."""
    blocks = readme_blocks(README_PATH.read_text())
    assert sum(b.not_run is not None for b in blocks) <= 6, [b.not_run for b in blocks if b.not_run]
    cli = next(b for b in blocks if b.section == "CLI")
    assert cli.commands[1].text.startswith("arcadia-pipelines quote --plan studio")
    assert cli.commands[1].shown[-1].strip() == "total AUD                                                                       70.64"
    api = next(b for b in blocks if b.section == "Invoice API")
    assert [c.answer is not None for c in api.commands].count(True) >= 6


def test_the_schedules_the_readme_names_are_the_code_locations():
    from arcadia_pipelines.definitions import defs

    table = re.findall(r"^\| `\w+` \| .+ \| `(\w+)`: `[^`]+`", README_PATH.read_text(), re.MULTILINE)
    assert table and set(table) <= {s.name for s in defs.schedules}, table
