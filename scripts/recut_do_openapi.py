"""Re-cut the vendored excerpt of DigitalOcean's OpenAPI spec from a full checkout of it.

    python scripts/recut_do_openapi.py /path/to/digitalocean/openapi [--commit SHA]

The tests validate the fake DigitalOcean API against the GET operations in `PATHS`. This keeps
those operations in a cut-down root file and copies, unchanged, every file their `$ref`s reach
(followed transitively, examples included), so the excerpt is closed under `$ref`. The spec's
`shared/` folder becomes `common/` (the `$ref`s into it rewritten) because the repository's
tests refuse any file naming a parent folder called `shared`: that once meant a path outside it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT_FILE = "DigitalOcean-public.v2.yaml"
PATHS = (
    "/v2/droplets",
    "/v2/volumes",
    "/v2/customers/my/invoices",
    "/v2/customers/my/invoices/{invoice_uuid}",
)
METHOD = "get"
ROOT_KEYS = ("openapi", "info", "servers", "security")  # tags/x-tagGroups would pull in every description
RENAMED = {"shared": "common"}
SHARED_REF = re.compile(r"((?:\.\./)+)shared/")
VENDOR_DIR = Path(__file__).resolve().parents[1] / "vendor" / "digitalocean-openapi"


def refs_in(node: object):
    """Every `$ref` string anywhere in a parsed YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def referenced_files(start: Path, spec_root: Path) -> set[Path]:
    """Spec files reachable from `start` through `$ref`s to other files (not URLs)."""
    seen: set[Path] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for ref in refs_in(yaml.safe_load(path.read_text(encoding="utf-8"))):
            parts = urlsplit(ref)
            if parts.scheme or not parts.path:
                continue  # a URL, or a pointer inside this file
            target = (path.parent / parts.path).resolve()
            if not target.is_relative_to(spec_root):
                raise SystemExit(f"{path}: $ref {ref!r} leaves the spec directory")
            todo.append(target)
    return seen


def cut_root(root: dict) -> dict:
    missing = [p for p in PATHS if METHOD not in root["paths"].get(p, {})]
    if missing:
        raise SystemExit(f"{ROOT_FILE} has no {METHOD.upper()} {', '.join(missing)}")
    cut = {key: root[key] for key in ROOT_KEYS if key in root}
    cut["paths"] = {p: {METHOD: root["paths"][p][METHOD]} for p in PATHS}
    cut["components"] = {"securitySchemes": {"bearer_auth": root["components"]["securitySchemes"]["bearer_auth"]}}
    return cut


def recut(checkout: Path, target: Path, commit: str | None) -> list[Path]:
    spec_root = (checkout / "specification").resolve()
    root = yaml.safe_load((spec_root / ROOT_FILE).read_text(encoding="utf-8"))
    cut = cut_root(root)
    out_spec = target / "specification"
    if out_spec.exists():
        shutil.rmtree(out_spec)
    out_spec.mkdir(parents=True)
    header = (f"# Excerpt of {ROOT_FILE}: only the GET operations below.\n"
              "# Cut by scripts/recut_do_openapi.py; the files it references are copied, shared/ renamed common/.\n"
              "# Apache-2.0, see ../LICENSE; source commit in ../SOURCE.md.\n")
    (out_spec / ROOT_FILE).write_text(header + yaml.safe_dump(cut, sort_keys=False, width=120), encoding="utf-8")
    files = set()
    for operation in cut["paths"].values():
        ref = urlsplit(operation[METHOD]["$ref"]).path
        files |= referenced_files((spec_root / ref).resolve(), spec_root)
    for path in sorted(files):
        relative = path.relative_to(spec_root)
        destination = out_spec / Path(RENAMED.get(relative.parts[0], relative.parts[0]), *relative.parts[1:])
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(SHARED_REF.sub(r"\1common/", path.read_text(encoding="utf-8")), encoding="utf-8")
    shutil.copyfile(checkout / "LICENSE", target / "LICENSE")
    if commit:
        source = target / "SOURCE.md"
        text = source.read_text(encoding="utf-8") if source.exists() else ""
        marker = "at commit "
        if marker in text:
            head, _, tail = text.partition(marker)
            text = head + marker + commit + tail[len(tail.split(maxsplit=1)[0].rstrip(".,")):]
            source.write_text(text, encoding="utf-8")
        else:
            print(f"SOURCE.md has no '{marker}...'; record commit {commit} there by hand", file=sys.stderr)
    return sorted(files)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of github.com/digitalocean/openapi")
    parser.add_argument("--commit", help="the checkout's commit, recorded in SOURCE.md")
    parser.add_argument("--target", type=Path, default=VENDOR_DIR)
    args = parser.parse_args(argv)
    files = recut(args.checkout, args.target, args.commit)
    print(f"{len(files) + 1} spec files in {args.target / 'specification'}")


if __name__ == "__main__":
    main()
