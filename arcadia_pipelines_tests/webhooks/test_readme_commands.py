"""The README's Webhooks commands run as written: each exits 0, `add` and `rotate-secret` print
only a secret, and the others never print one."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

import pytest

from arcadia_pipelines_tests.test_cli import EXE, ROOT
from .readme import first_bash_block, section

pytestmark = pytest.mark.slow


def readme_commands() -> list[list[str]]:
    """The block's arcadia-pipelines commands, continuation lines joined, `VAR=$(...)` unwrapped."""
    text = "\n".join(first_bash_block(section("Webhooks"))).replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if words and re.fullmatch(r"[A-Z_]+=\$\(arcadia-pipelines", words[0]):
            words = ["arcadia-pipelines", *words[1:]]
            words[-1] = words[-1].rstrip(")")
        if words and words[0] == "arcadia-pipelines":
            commands.append(words[1:])
    return commands


def test_the_readme_webhooks_commands_run_as_written(warehouse_url):
    env = {**os.environ, "ARCADIA_WAREHOUSE_URL": warehouse_url}
    commands = readme_commands()
    assert [c[:2] for c in commands][:3] == [["webhooks", "add"], ["webhooks", "list"], ["webhooks", "deliver"]]
    secrets = []
    for words in commands:
        done = subprocess.run([EXE, *words], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (words, done.stderr)
        if words[1] in ("add", "rotate-secret"):
            assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}\n", done.stdout)
            secrets.append(done.stdout.strip())
        else:
            assert not any(s in done.stdout + done.stderr for s in secrets)
    assert len(secrets) == 2 and len(commands) >= 7
