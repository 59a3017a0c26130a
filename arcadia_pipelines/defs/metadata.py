"""Run metadata shown in the Dagster UI: row counts and small markdown tables."""

from __future__ import annotations

from typing import Iterable, Sequence

import dagster as dg


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]], limit: int = 25) -> dg.MarkdownMetadataValue:
    rows = list(rows)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n_{len(rows) - limit} more not shown_")
    return dg.MetadataValue.md("\n".join(lines))


def names(items: Iterable[str], limit: int = 50) -> str:
    items = sorted(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "") if items else "none"
