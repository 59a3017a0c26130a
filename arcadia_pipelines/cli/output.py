"""Where a verb's document goes: a file (`-o FILE`) or stdout (`-o -`)."""

from __future__ import annotations

import sys
from pathlib import Path

from arcadia_pipelines.cli.common import CliError


def write_document(args, data: bytes) -> None:
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(args.output).write_bytes(data)
    except OSError as e:
        raise CliError(f"cannot write {args.output}: {e.strerror or e}") from None
    print(f"wrote {args.output} ({len(data)} bytes)", file=args.stderr)
