"""Where a verb's document goes: `-o FILE`, stdout (`-o -`), or by default a file named after
the document (its number)."""

from __future__ import annotations

import sys
from pathlib import Path

from arcadia_pipelines.cli.common import CliError


def write_document(args, default_name: str, data: bytes) -> None:
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = args.output or default_name
    try:
        Path(path).write_bytes(data)
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror or e}; pick another file with -o") from None
    print(f"wrote {path} ({len(data)} bytes)", file=args.stderr)
