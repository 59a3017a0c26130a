"""A clone of the repository works with nothing beside it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
OUTSIDE = str(PurePosixPath("..", "shared"))  # built from pieces so that this file does not match itself
VENDORED_SPEC = REPO / "vendor" / "digitalocean-openapi" / "specification"


def repository_files() -> list[Path]:
    """Tracked files, and new ones git does not ignore (so a file is caught before its commit)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, check=True, capture_output=True).stdout
    return [REPO / name for name in listed.decode().split("\0") if name and (REPO / name).is_file()]


def test_no_file_refers_to_a_path_outside_the_repository():
    offenders = [str(path.relative_to(REPO)) for path in repository_files() if OUTSIDE.encode() in path.read_bytes()]
    assert offenders == []


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from [value] if key == "$ref" and isinstance(value, str) else _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_the_vendored_spec_is_closed_under_ref_and_licensed():
    """Every `$ref` in the excerpt reaches a file of the excerpt, so the validator never looks elsewhere."""
    files = [VENDORED_SPEC / "DigitalOcean-public.v2.yaml", *VENDORED_SPEC.rglob("*.yml")]
    dangling = []
    for path in files:
        for ref in _refs(yaml.safe_load(path.read_text(encoding="utf-8"))):
            target = (path.parent / urlsplit(ref).path).resolve()
            if urlsplit(ref).path and not (target.is_relative_to(VENDORED_SPEC) and target.is_file()):
                dangling.append(f"{path.relative_to(VENDORED_SPEC)}: {ref}")
    assert len(files) > 10 and dangling == []
    assert "Apache License" in (VENDORED_SPEC.parent / "LICENSE").read_text()
    assert "7c1300c479fed9c353cda9fc21cd968619552304" in (VENDORED_SPEC.parent / "SOURCE.md").read_text()
